//! One HTTPS GET, the way STS makes it, measured phase by phase: DNS, TCP
//! connect, TLS handshake, time to first byte, total.
//!
//! Hand-assembled from tokio (DNS, TCP), tokio-rustls (TLS, with a verifier that
//! records the served chain) and hyper's HTTP/1.1 client connection, because an
//! HTTP client library hides the phases and exposes only the leaf certificate.
//! Every wait is bounded by one deadline (`--timeout`), bodies by [`MAX_BODY_BYTES`],
//! redirects by [`MAX_REDIRECTS`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use super::tls::RecordingVerifier;

/// Response bodies larger than this are cut off (discovery and JWKS are a few KB).
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Redirects followed (each one reported).
pub const MAX_REDIRECTS: usize = 5;

/// Which redirects are followed, and why.
///
/// - Never to `http://` (or any scheme but `https://`): STS fetches the discovery
///   document and the JWKS only over https (IAM requires an `https://` provider URL),
///   so a redirect to plain http is a fetch STS cannot make, and following it would
///   send the request in clear text to whatever the issuer names.
/// - Never to another host. AWS documents no redirect handling for discovery or the
///   JWKS: its troubleshooting for "Couldn't retrieve verification key" asks for the
///   `.well-known` URL and `jwks_uri` to answer 200 themselves (AWS Knowledge
///   Center, "How can I resolve the AWS STS AssumeRoleWithWebIdentity API call error
///   InvalidIdentityToken?"). A redirect off the issuer's host would move the fetch,
///   and the TLS chain that counts for the thumbprint, to a host the provider URL
///   does not name, so it is not followed: what is there was not checked, and the
///   report says so (`http-redirect`, and the endpoint as unreachable).
/// - Same-host `https://` redirects are followed (at most [`MAX_REDIRECTS`]) to show
///   where they lead, each one reported (`http-redirect`).
///
/// A `jwks_uri` on another host is another matter: AWS documents it (the thumbprint
/// is then that host's), so it is fetched; see `issuer::probe`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The redirect leads to a scheme other than `https://`.
    NotHttps,
    /// The redirect leads to another host (`from` is the requested URL's host).
    OffHost { from: String, to: String },
}

/// A redirect that was not followed: where it led, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRedirect {
    pub to: String,
    pub refusal: Refusal,
}

impl RefusedRedirect {
    /// Why not, in words (the request was never made).
    pub fn reason(&self) -> String {
        match &self.refusal {
            Refusal::NotHttps => "STS fetches only https://".to_string(),
            Refusal::OffHost { from, to } => {
                format!("it leads to another host ({to}, not {from})")
            }
        }
    }
}

/// Whether the redirect from `requested` (the URL first asked for) to `next` is
/// followed (see [`Refusal`]).
fn refusal(requested: &url::Url, next: &url::Url) -> Option<Refusal> {
    if next.scheme() != "https" {
        return Some(Refusal::NotHttps);
    }
    let host = |u: &url::Url| u.host_str().unwrap_or_default().to_ascii_lowercase();
    (host(requested) != host(next)).then(|| Refusal::OffHost {
        from: host(requested),
        to: host(next),
    })
}
/// A proxy's CONNECT answer header is at most this long.
const MAX_PROXY_HEADER: usize = 8 << 10;

/// `--connect-to HOST:PORT:ADDR:PORT` (curl semantics; an empty HOST or PORT matches any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    pub host: String,
    pub port: Option<u16>,
    pub addr: String,
    pub addr_port: Option<u16>,
}

impl ConnectTo {
    pub fn parse(s: &str) -> Result<ConnectTo, String> {
        let bad = || {
            format!(
                "--connect-to {s:?}: expected HOST:PORT:ADDR:PORT (e.g. gitlab.example.test:443:127.0.0.1:8443)"
            )
        };
        let (host, rest) = s.split_once(':').ok_or_else(bad)?;
        let (port, rest) = rest.split_once(':').ok_or_else(bad)?;
        let (addr, addr_port) = rest.rsplit_once(':').ok_or_else(bad)?;
        let port_of = |p: &str| -> Result<Option<u16>, String> {
            if p.is_empty() {
                Ok(None)
            } else {
                p.parse().map(Some).map_err(|_| bad())
            }
        };
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        Ok(ConnectTo {
            host: host.to_ascii_lowercase(),
            port: port_of(port)?,
            addr: addr.to_string(),
            addr_port: port_of(addr_port)?,
        })
    }

    fn matches(&self, host: &str, port: u16) -> bool {
        (self.host.is_empty() || self.host.eq_ignore_ascii_case(host))
            && self.port.is_none_or(|p| p == port)
    }
}

/// An HTTP proxy from `HTTPS_PROXY` (CONNECT tunnelling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub url: String,
    pub host: String,
    pub port: u16,
    /// `NO_PROXY` entries (host names or domain suffixes).
    pub no_proxy: Vec<String>,
}

impl Proxy {
    /// From `HTTPS_PROXY`/`https_proxy` (and `NO_PROXY`/`no_proxy`), when set.
    pub fn from_env() -> Result<Option<Proxy>, String> {
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        let Some(raw) = var(&["HTTPS_PROXY", "https_proxy"]) else {
            return Ok(None);
        };
        let with_scheme = if raw.contains("://") {
            raw.clone()
        } else {
            format!("http://{raw}")
        };
        let u = url::Url::parse(&with_scheme)
            .map_err(|e| format!("HTTPS_PROXY {raw:?} is not a URL: {e}"))?;
        if u.scheme() != "http" {
            return Err(format!(
                "HTTPS_PROXY {raw:?}: only http:// proxies (CONNECT) are supported"
            ));
        }
        let host = u
            .host_str()
            .ok_or_else(|| format!("HTTPS_PROXY {raw:?} has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let no_proxy = var(&["NO_PROXY", "no_proxy"])
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().trim_start_matches('.').to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some(Proxy {
            url: raw,
            host,
            port: u.port().unwrap_or(80),
            no_proxy,
        }))
    }

    fn applies_to(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        !self
            .no_proxy
            .iter()
            .any(|n| n == "*" || host == *n || host.ends_with(&format!(".{n}")))
    }
}

/// How to reach the network.
#[derive(Debug, Clone)]
pub struct NetOptions {
    /// Bounds every fetch, all phases together (`--timeout`).
    pub timeout: Duration,
    pub connect_to: Vec<ConnectTo>,
    pub proxy: Option<Proxy>,
}

impl NetOptions {
    /// Whether `--connect-to` redirects connections for this host and port.
    pub fn overridden(&self, host: &str, port: u16) -> bool {
        self.connect_to.iter().any(|c| c.matches(host, port))
    }
}

/// One endpoint as fetched (SPEC §3 `endpoints.*`, without `tls`, which the
/// probe fills in from `chain`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Fetched {
    pub url: String,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub bytes: Option<u64>,
    pub cache_control: Option<String>,
    /// Each URL that answered with a redirect, in order.
    pub redirects: Vec<String>,
    /// The redirect that was not followed (then `error` says so).
    #[serde(skip)]
    pub refused_redirect: Option<RefusedRedirect>,
    pub error: Option<String>,
    pub elapsed_ms: Option<f64>,
    pub dns_ms: Option<f64>,
    pub connect_ms: Option<f64>,
    pub tls_ms: Option<f64>,
    pub ttfb_ms: Option<f64>,
    #[serde(skip)]
    pub body: Vec<u8>,
    #[serde(skip)]
    pub timed_out: bool,
    #[serde(skip)]
    pub elapsed: Option<Duration>,
    /// The chain the (last) server sent, exactly as sent.
    #[serde(skip)]
    pub chain: Option<Vec<CertificateDer<'static>>>,
    #[serde(skip)]
    pub tls_version: Option<String>,
    /// Host and port of the last request.
    #[serde(skip)]
    pub host: String,
    #[serde(skip)]
    pub via_proxy: bool,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

/// GETs `url`, following up to [`MAX_REDIRECTS`] same-host `https://` redirects
/// (see [`Refusal`] for the others), within `opts.timeout`.
pub async fn fetch(url: &url::Url, opts: &NetOptions) -> Fetched {
    let start = Instant::now();
    let deadline = start + opts.timeout;
    let mut current = url.clone();
    let mut redirects = Vec::new();
    loop {
        let mut f = fetch_once(&current, opts, deadline).await;
        f.elapsed = Some(start.elapsed());
        f.elapsed_ms = Some(ms(start.elapsed()));
        f.redirects = redirects.clone();
        let location = f
            .status
            .filter(|s| [301, 302, 303, 307, 308].contains(s))
            .and(f.error.is_none().then_some(()))
            .and_then(|_| f.body_location.take());
        let Some(location) = location else {
            return f.into_public();
        };
        let next = match current.join(&location) {
            Ok(next) => next,
            Err(e) => {
                let mut f = f.into_public();
                f.error = Some(format!(
                    "the redirect target {location:?} is not a URL: {e}"
                ));
                return f;
            }
        };
        if let Some(refusal) = refusal(url, &next) {
            let mut f = f.into_public();
            let refused = RefusedRedirect {
                to: next.to_string(),
                refusal,
            };
            f.error = Some(format!(
                "the redirect to {} was not followed: {} (the request was not made)",
                refused.to,
                refused.reason()
            ));
            f.refused_redirect = Some(refused);
            return f;
        }
        if redirects.len() >= MAX_REDIRECTS {
            let mut f = f.into_public();
            f.error = Some(format!("more than {MAX_REDIRECTS} redirects"));
            return f;
        }
        redirects.push(current.to_string());
        current = next;
    }
}

/// A fetch plus the `Location` of a redirect (internal).
struct Hop {
    inner: Fetched,
    body_location: Option<String>,
}

impl std::ops::Deref for Hop {
    type Target = Fetched;
    fn deref(&self) -> &Fetched {
        &self.inner
    }
}

impl std::ops::DerefMut for Hop {
    fn deref_mut(&mut self) -> &mut Fetched {
        &mut self.inner
    }
}

impl Hop {
    fn into_public(self) -> Fetched {
        self.inner
    }
}

enum Phase {
    Dns,
    Connect,
    Proxy,
    Tls,
    Response,
    Body,
}

impl Phase {
    fn words(&self) -> &'static str {
        match self {
            Phase::Dns => "resolving the host name",
            Phase::Connect => "connecting",
            Phase::Proxy => "opening the proxy tunnel",
            Phase::Tls => "the TLS handshake",
            Phase::Response => "waiting for the response",
            Phase::Body => "reading the body",
        }
    }
}

async fn fetch_once(url: &url::Url, opts: &NetOptions, deadline: Instant) -> Hop {
    let mut hop = Hop {
        inner: Fetched {
            url: url.to_string(),
            ..Fetched::default()
        },
        body_location: None,
    };
    let timed_out = |hop: &mut Hop, phase: Phase| {
        hop.timed_out = true;
        hop.error = Some(format!(
            "no answer within --timeout {} s ({})",
            opts.timeout.as_secs_f64(),
            phase.words()
        ));
    };
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        other => {
            hop.error = Some(format!("unsupported scheme {other}://"));
            return hop;
        }
    };
    let Some(host) = url
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
    else {
        hop.error = Some("the URL has no host".into());
        return hop;
    };
    let port = url.port_or_known_default().unwrap_or(443);
    hop.host = host.clone();

    // Where to connect: --connect-to, else a proxy, else the host itself.
    let override_to = opts.connect_to.iter().find(|c| c.matches(&host, port));
    let proxy = match override_to {
        Some(_) => None,
        None => opts.proxy.as_ref().filter(|p| p.applies_to(&host)),
    };
    hop.via_proxy = proxy.is_some();
    let (connect_host, connect_port) = match (override_to, proxy) {
        (Some(c), _) => (c.addr.clone(), c.addr_port.unwrap_or(port)),
        (None, Some(p)) => (p.host.clone(), p.port),
        (None, None) => (host.clone(), port),
    };

    // DNS.
    let addrs: Vec<SocketAddr> = match connect_host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, connect_port)],
        Err(_) => {
            let t = Instant::now();
            match timeout_at(
                deadline,
                tokio::net::lookup_host((connect_host.as_str(), connect_port)),
            )
            .await
            {
                Err(_) => {
                    timed_out(&mut hop, Phase::Dns);
                    return hop;
                }
                Ok(Err(e)) => {
                    hop.dns_ms = Some(ms(t.elapsed()));
                    hop.error = Some(format!("cannot resolve {connect_host}: {e}"));
                    return hop;
                }
                Ok(Ok(a)) => {
                    hop.dns_ms = Some(ms(t.elapsed()));
                    a.collect()
                }
            }
        }
    };

    // TCP.
    let t = Instant::now();
    let mut stream = None;
    let mut last_error = String::from("no address");
    for addr in &addrs {
        match timeout_at(deadline, TcpStream::connect(addr)).await {
            Err(_) => {
                timed_out(&mut hop, Phase::Connect);
                return hop;
            }
            Ok(Ok(s)) => {
                stream = Some(s);
                break;
            }
            Ok(Err(e)) => last_error = format!("{addr}: {e}"),
        }
    }
    hop.connect_ms = Some(ms(t.elapsed()));
    let Some(mut stream) = stream else {
        hop.error = Some(format!(
            "cannot connect to {connect_host}:{connect_port} ({last_error})"
        ));
        return hop;
    };
    let _ = stream.set_nodelay(true);

    if proxy.is_some() {
        match timeout_at(deadline, connect_tunnel(&mut stream, &host, port)).await {
            Err(_) => {
                timed_out(&mut hop, Phase::Proxy);
                return hop;
            }
            Ok(Err(e)) => {
                hop.error = Some(e);
                return hop;
            }
            Ok(Ok(())) => {}
        }
    }

    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let authority = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or(&host)),
        None => url.host_str().unwrap_or(&host).to_string(),
    };

    if !https {
        http_get(&mut hop, stream, &authority, &path, deadline, opts).await;
        return hop;
    }

    // TLS.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = RecordingVerifier::new(provider.clone());
    let config = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth(),
        Err(e) => {
            hop.error = Some(format!("TLS set-up failed: {e}"));
            return hop;
        }
    };
    let server_name = match ServerName::try_from(host.clone()) {
        Ok(n) => n,
        Err(e) => {
            hop.error = Some(format!("{host} is not a valid TLS server name: {e}"));
            return hop;
        }
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let t = Instant::now();
    let tls = match timeout_at(deadline, connector.connect(server_name, stream)).await {
        Err(_) => {
            timed_out(&mut hop, Phase::Tls);
            let recorded = verifier.recorded();
            hop.chain = (!recorded.is_empty()).then_some(recorded);
            return hop;
        }
        Ok(Err(e)) => {
            hop.tls_ms = Some(ms(t.elapsed()));
            hop.error = Some(format!("TLS handshake failed: {e}"));
            let recorded = verifier.recorded();
            hop.chain = (!recorded.is_empty()).then_some(recorded);
            return hop;
        }
        Ok(Ok(s)) => s,
    };
    hop.tls_ms = Some(ms(t.elapsed()));
    {
        let (_, conn) = tls.get_ref();
        hop.chain = conn
            .peer_certificates()
            .map(|c| c.to_vec())
            .or_else(|| Some(verifier.recorded()));
        hop.tls_version = conn.protocol_version().map(|v| match v {
            rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".to_string(),
            rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".to_string(),
            other => format!("{other:?}"),
        });
    }
    http_get(&mut hop, tls, &authority, &path, deadline, opts).await;
    hop
}

/// `CONNECT host:port` through an HTTP proxy.
async fn connect_tunnel(stream: &mut TcpStream, host: &str, port: u16) -> Result<(), String> {
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("proxy: {e}"))?;
    let mut header = Vec::new();
    let mut byte = [0u8; 1];
    while !header.ends_with(b"\r\n\r\n") {
        if header.len() >= MAX_PROXY_HEADER {
            return Err("proxy: the CONNECT answer header is too long".into());
        }
        match stream.read(&mut byte).await {
            Ok(0) => return Err("proxy: the connection closed during CONNECT".into()),
            Ok(_) => header.push(byte[0]),
            Err(e) => return Err(format!("proxy: {e}")),
        }
    }
    let text = String::from_utf8_lossy(&header);
    let status_line = text.lines().next().unwrap_or("");
    let ok = status_line
        .split_whitespace()
        .nth(1)
        .is_some_and(|s| s.starts_with('2'));
    if ok {
        Ok(())
    } else {
        Err(format!("proxy refused CONNECT {target}: {status_line}"))
    }
}

async fn http_get<S>(
    hop: &mut Hop,
    stream: S,
    authority: &str,
    path: &str,
    deadline: Instant,
    opts: &NetOptions,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let timed_out = |hop: &mut Hop, phase: Phase| {
        hop.timed_out = true;
        hop.error = Some(format!(
            "no answer within --timeout {} s ({})",
            opts.timeout.as_secs_f64(),
            phase.words()
        ));
    };
    let t = Instant::now();
    let (mut sender, conn) = match timeout_at(
        deadline,
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream)),
    )
    .await
    {
        Err(_) => return timed_out(hop, Phase::Response),
        Ok(Err(e)) => {
            hop.error = Some(format!("HTTP: {e}"));
            return;
        }
        Ok(Ok(pair)) => pair,
    };
    let driver = tokio::spawn(conn);
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::ACCEPT, "application/json")
        .header(
            hyper::header::USER_AGENT,
            concat!("oidc-doctor/", env!("CARGO_PKG_VERSION")),
        )
        .header(hyper::header::CONNECTION, "close")
        .body(Empty::<Bytes>::new());
    let request = match request {
        Ok(r) => r,
        Err(e) => {
            hop.error = Some(format!("cannot build the request for {path:?}: {e}"));
            driver.abort();
            return;
        }
    };
    let response = match timeout_at(deadline, sender.send_request(request)).await {
        Err(_) => {
            driver.abort();
            return timed_out(hop, Phase::Response);
        }
        Ok(Err(e)) => {
            hop.error = Some(format!("HTTP: {e}"));
            driver.abort();
            return;
        }
        Ok(Ok(r)) => r,
    };
    hop.ttfb_ms = Some(ms(t.elapsed()));
    hop.status = Some(response.status().as_u16());
    let header = |name: hyper::header::HeaderName| {
        response
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    hop.content_type = header(hyper::header::CONTENT_TYPE);
    hop.cache_control = header(hyper::header::CACHE_CONTROL);
    hop.body_location = header(hyper::header::LOCATION);
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    loop {
        match timeout_at(deadline, body.frame()).await {
            Err(_) => {
                hop.bytes = Some(bytes.len() as u64);
                driver.abort();
                return timed_out(hop, Phase::Body);
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                hop.error = Some(format!("reading the body: {e}"));
                break;
            }
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    if bytes.len() + data.len() > MAX_BODY_BYTES {
                        hop.error = Some(format!(
                            "the body is larger than {} MiB; stopped reading",
                            MAX_BODY_BYTES >> 20
                        ));
                        break;
                    }
                    bytes.extend_from_slice(data);
                }
            }
        }
    }
    driver.abort();
    hop.bytes = Some(bytes.len() as u64);
    hop.body = bytes;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_to_parses_like_curl() {
        let c = ConnectTo::parse("gitlab.example.test:443:127.0.0.1:8443").unwrap();
        assert_eq!(c.host, "gitlab.example.test");
        assert_eq!(c.port, Some(443));
        assert_eq!(c.addr, "127.0.0.1");
        assert_eq!(c.addr_port, Some(8443));
        assert!(c.matches("GitLab.example.test", 443));
        assert!(!c.matches("gitlab.example.test", 80));
        let v6 = ConnectTo::parse("::[::1]:9000").unwrap();
        assert_eq!(
            (v6.host.as_str(), v6.port, v6.addr.as_str()),
            ("", None, "::1")
        );
        assert!(ConnectTo::parse("nonsense").is_err());
        assert!(ConnectTo::parse("h:x:1.2.3.4:1").is_err());
    }
}
