//! Plain TCP listeners on loopback that count the connections they accept: to
//! prove that a run opened no socket (the count stays 0) or did (it grows), and
//! endpoints that never answer or refuse. Every listener binds 127.0.0.1 only.

#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Listener {
    pub port: u16,
    count: Arc<AtomicUsize>,
}

impl Listener {
    /// Connections accepted so far.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn spawn(keep_open: bool) -> Listener {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("addr").port();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming() {
            c.fetch_add(1, Ordering::SeqCst);
            if keep_open {
                // Accepted and never answered: the client's request sits unread.
                open.push(stream);
            }
        }
    });
    Listener { port, count }
}

/// Accepts, counts, and closes each connection at once.
pub fn counting() -> Listener {
    spawn(false)
}

/// Accepts, counts, and keeps each connection open without ever answering.
pub fn silent() -> Listener {
    spawn(true)
}

/// A loopback port nothing listens on (bound, then released): connecting is refused.
pub fn refusing_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("addr").port()
}
