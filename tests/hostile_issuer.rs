//! Hardening: issuers that try to hang or exhaust the client. A JWKS endpoint that
//! trickles a byte every 50 ms forever, one that announces and streams a 1 GiB body,
//! and one that redirects to itself forever: `probe` finishes within its timeout,
//! its memory stays bounded (peak RSS read from /proc while it runs), and the
//! finding says what happened.

mod common;
#[path = "support/issuer.rs"]
mod issuer;

use std::time::{Duration, Instant};

use issuer::{Behaviour, HOST, Hostile, ISSUER, NOW_RFC3339, TestKey, jwks_of, temp_file};
use serde_json::Value;

struct Run {
    json: Value,
    wall: Duration,
    /// Peak resident set size in KiB (VmHWM), sampled until the process exits.
    peak_kib: u64,
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn probe_hostile(hostile: Hostile, timeout: &str) -> Run {
    let pki = issuer::pki(HOST);
    let mut b = Behaviour::good(&pki, jwks_of(&[&TestKey::rsa("k1")]));
    b.hostile_jwks = Some(hostile);
    let server = issuer::serve(b);
    let ca = temp_file(&pki.root_pem);
    let start = Instant::now();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("oidc-doctor"))
        .args([
            "probe",
            ISSUER,
            "--now",
            NOW_RFC3339,
            "--format",
            "json",
            "--timeout",
            timeout,
            "--connect-to",
            &server.connect_to(),
            "--ca-file",
            ca.path().to_str().unwrap(),
        ])
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak_kib = 0;
    // Sample the high-water mark until the process exits (VmHWM only grows).
    while child.try_wait().unwrap().is_none() {
        if let Some(k) = vm_hwm_kib(pid) {
            peak_kib = peak_kib.max(k);
        }
        std::thread::sleep(Duration::from_millis(5));
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "probe still running after 60 s"
        );
    }
    let out = child.wait_with_output().unwrap();
    let wall = start.elapsed();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    common::assert_schema_valid(&json);
    assert_eq!(out.status.code(), Some(1), "{json:#}");
    Run {
        json,
        wall,
        peak_kib,
    }
}

fn jwks_error(r: &Run) -> &str {
    r.json["endpoints"]["jwks"]["error"].as_str().unwrap_or("")
}

fn rules(r: &Run) -> Vec<&str> {
    r.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

#[test]
fn a_jwks_that_trickles_forever_is_cut_off_at_the_timeout() {
    let r = probe_hostile(Hostile::Trickle, "3");
    assert!(
        r.wall < Duration::from_secs(10),
        "ended near its 3 s timeout: {:?}",
        r.wall
    );
    assert!(
        jwks_error(&r).contains("within --timeout"),
        "{}",
        jwks_error(&r)
    );
    assert!(
        rules(&r).contains(&"jwks-unreachable") || rules(&r).contains(&"jwks-timeout"),
        "{:?}",
        rules(&r)
    );
}

#[test]
fn a_one_gib_jwks_is_read_only_up_to_the_cap_and_memory_stays_bounded() {
    let r = probe_hostile(Hostile::HugeBody, "20");
    assert!(
        jwks_error(&r).contains("larger than 1 MiB"),
        "{}",
        jwks_error(&r)
    );
    assert!(
        r.peak_kib > 0 && r.peak_kib < 200 * 1024,
        "peak RSS {} KiB for a 1 GiB body",
        r.peak_kib
    );
    assert!(r.wall < Duration::from_secs(20), "{:?}", r.wall);
}

#[test]
fn a_jwks_that_redirects_to_itself_stops_after_five_redirects() {
    let r = probe_hostile(Hostile::RedirectLoop, "10");
    assert!(
        jwks_error(&r).contains("more than 5 redirects"),
        "{}",
        jwks_error(&r)
    );
    assert_eq!(
        r.json["endpoints"]["jwks"]["redirects"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(rules(&r), ["jwks-unreachable"]);
    let message = r.json["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("more than 5 redirects"), "{message}");
}
