//! An in-test HTTPS issuer on loopback (tokio + rustls), certificates made at
//! test time with rcgen relative to the `--now` the tests pass, and really
//! signed test tokens (RS256, ES256) with their JWKs.
//!
//! Every server binds 127.0.0.1 only; nothing here touches another address.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The "now" every test passes with `--now`: 2026-01-01T00:00:00Z.
pub const NOW: i64 = 1_767_225_600;
pub const NOW_RFC3339: &str = "2026-01-01T00:00:00Z";
/// The issuer host the tests serve through `--connect-to`.
pub const HOST: &str = "gitlab.example.test";
pub const ISSUER: &str = "https://gitlab.example.test";
const DAY: i64 = 86_400;

fn at(offset_days: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(NOW + offset_days * DAY).expect("in range")
}

fn ca_params(cn: &str, from: i64, to: i64) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = at(from);
    p.not_after = at(to);
    p
}

fn leaf_params(host: &str, from: i64, to: i64) -> CertificateParams {
    leaf_params_for(&[host], from, to)
}

/// A leaf valid for every one of `hosts` (the first is its common name).
fn leaf_params_for(hosts: &[&str], from: i64, to: i64) -> CertificateParams {
    let mut p = CertificateParams::new(hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>())
        .expect("params");
    p.distinguished_name.push(
        DnType::CommonName,
        hosts.first().copied().unwrap_or("localhost"),
    );
    p.is_ca = IsCa::ExplicitNoCa;
    p.not_before = at(from);
    p.not_after = at(to);
    p
}

fn key_der(k: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(k.serialize_der()))
}

/// A test PKI: root → intermediate → leaf for `host`.
pub struct Pki {
    pub root: CertificateDer<'static>,
    pub root_pem: String,
    pub intermediate: CertificateDer<'static>,
    pub leaf: CertificateDer<'static>,
    pub leaf_key: PrivateKeyDer<'static>,
}

/// The leaf valid from `from` to `to` days around [`NOW`]; the CAs for ten years.
pub fn pki_with_validity(host: &str, from: i64, to: i64) -> Pki {
    pki_for_hosts(&[host], from, to)
}

/// A test PKI whose leaf is valid for each of `hosts`, from `from` to `to` days around [`NOW`].
pub fn pki_for_hosts(hosts: &[&str], from: i64, to: i64) -> Pki {
    let root_key = KeyPair::generate().expect("key");
    let root =
        CertifiedIssuer::self_signed(ca_params("oidc-doctor Test Root CA", -400, 3650), root_key)
            .expect("root");
    let inter_key = KeyPair::generate().expect("key");
    let inter = CertifiedIssuer::signed_by(
        ca_params("oidc-doctor Test Intermediate CA", -300, 3000),
        inter_key,
        &root,
    )
    .expect("intermediate");
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = leaf_params_for(hosts, from, to)
        .signed_by(&leaf_key, &inter)
        .expect("leaf");
    Pki {
        root: root.der().clone(),
        root_pem: root.pem(),
        intermediate: inter.der().clone(),
        leaf: leaf.der().clone(),
        leaf_key: key_der(&leaf_key),
    }
}

pub fn pki(host: &str) -> Pki {
    pki_with_validity(host, -30, 300)
}

/// A self-signed leaf for `host`.
pub fn self_signed(host: &str) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = KeyPair::generate().expect("key");
    let cert = leaf_params(host, -30, 300).self_signed(&key).expect("cert");
    (cert.der().clone(), key_der(&key))
}

/// SHA-1 of a DER certificate, computed here independently of the tool (the
/// value `openssl x509 -fingerprint -sha1` prints, lowercase without colons).
pub fn sha1_hex(der: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the server does.
#[derive(Clone)]
pub struct Behaviour {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: Arc<PrivateKeyDer<'static>>,
    /// The `issuer` the discovery document claims.
    pub issuer: String,
    pub jwks_uri: String,
    pub discovery_delay: Duration,
    pub jwks_delay: Duration,
    pub jwks_cache_control: String,
    pub jwks: Value,
    /// Replaces the discovery answer: status, content type, body.
    pub discovery_answer: Option<(u16, String, String)>,
    /// Discovery answers 301 to /moved/.well-known/openid-configuration.
    pub redirect_discovery: bool,
    /// Discovery answers 302 to this URL (another host, `http://`, …).
    pub discovery_redirect_to: Option<String>,
    /// A hostile JWKS endpoint (hardening tests).
    pub hostile_jwks: Option<Hostile>,
}

/// Ways a JWKS endpoint can try to hang or exhaust its client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hostile {
    /// Headers, then one byte every 50 ms, forever.
    Trickle,
    /// `content-length: 1 GiB` and zeros for as long as the client reads.
    HugeBody,
    /// 302 to itself, forever.
    RedirectLoop,
}

impl Behaviour {
    /// A well-behaved issuer at [`ISSUER`] serving `pki`'s chain in order.
    pub fn good(pki: &Pki, jwks: Value) -> Behaviour {
        Behaviour {
            chain: vec![pki.leaf.clone(), pki.intermediate.clone()],
            key: Arc::new(pki.leaf_key.clone_key()),
            issuer: ISSUER.to_string(),
            jwks_uri: format!("{ISSUER}/oauth/discovery/keys"),
            discovery_delay: Duration::ZERO,
            jwks_delay: Duration::ZERO,
            jwks_cache_control: "max-age=86400, public, must-revalidate".into(),
            jwks,
            discovery_answer: None,
            redirect_discovery: false,
            discovery_redirect_to: None,
            hostile_jwks: None,
        }
    }
}

/// A running server; it lives as long as the test process.
pub struct Server {
    pub port: u16,
}

impl Server {
    /// `--connect-to` for [`HOST`]:443 to this server.
    pub fn connect_to(&self) -> String {
        format!("{HOST}:443:127.0.0.1:{}", self.port)
    }
}

pub fn serve(b: Behaviour) -> Server {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    std_listener.set_nonblocking(true).expect("nonblocking");
    let port = std_listener.local_addr().expect("addr").port();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(b.chain.clone(), b.key.clone_key())
    .expect("server certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let b = b.clone();
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        let _ = handle(tls, &b).await;
                    }
                });
            }
        });
    });
    Server { port }
}

async fn handle<S>(mut s: S, b: &Behaviour) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 << 10 {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    let discovery = json!({
        "issuer": b.issuer,
        "jwks_uri": b.jwks_uri,
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    })
    .to_string();
    if path == "/oauth/discovery/keys" {
        match b.hostile_jwks {
            Some(Hostile::Trickle) => {
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{").await?;
                loop {
                    s.flush().await?;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    s.write_all(b" ").await?;
                }
            }
            Some(Hostile::HugeBody) => {
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n").await?;
                let chunk = vec![b' '; 64 << 10];
                for _ in 0..(1usize << 30) / chunk.len() {
                    s.write_all(&chunk).await?;
                }
                return Ok(());
            }
            Some(Hostile::RedirectLoop) => {
                s.write_all(format!("HTTP/1.1 302 Found\r\nlocation: {ISSUER}/oauth/discovery/keys\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes()).await?;
                s.flush().await?;
                let _ = s.shutdown().await;
                return Ok(());
            }
            None => {}
        }
    }
    let (status, ctype, cache, body, location) = match path.as_str() {
        "/.well-known/openid-configuration" if b.discovery_redirect_to.is_some() => (
            302,
            "text/plain".to_string(),
            None,
            String::new(),
            b.discovery_redirect_to.clone(),
        ),
        "/.well-known/openid-configuration" if b.redirect_discovery => (
            301,
            "text/plain".to_string(),
            None,
            String::new(),
            Some(format!("{ISSUER}/moved/.well-known/openid-configuration")),
        ),
        "/.well-known/openid-configuration" | "/moved/.well-known/openid-configuration" => {
            tokio::time::sleep(b.discovery_delay).await;
            match &b.discovery_answer {
                Some((st, ct, body)) => (*st, ct.clone(), None, body.clone(), None),
                None => (200, "application/json".into(), None, discovery, None),
            }
        }
        "/oauth/discovery/keys" => {
            tokio::time::sleep(b.jwks_delay).await;
            (
                200,
                "application/json".into(),
                Some(b.jwks_cache_control.clone()),
                b.jwks.to_string(),
                None,
            )
        }
        _ => (404, "text/plain".into(), None, "not found".into(), None),
    };
    let mut response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    if let Some(c) = cache {
        response.push_str(&format!("cache-control: {c}\r\n"));
    }
    if let Some(l) = location {
        response.push_str(&format!("location: {l}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&body);
    s.write_all(response.as_bytes()).await?;
    s.flush().await?;
    let _ = s.shutdown().await;
    Ok(())
}

/// Writes `text` to a temporary file and returns it (kept alive by the caller).
pub fn temp_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut f, text.as_bytes()).expect("write");
    f
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A signing key generated in the test, with its public JWK.
pub enum TestKey {
    Rsa(aws_lc_rs::rsa::KeyPair, String),
    Ec(aws_lc_rs::signature::EcdsaKeyPair, String),
}

impl TestKey {
    pub fn rsa(kid: &str) -> TestKey {
        let k =
            aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("RSA key");
        TestKey::Rsa(k, kid.to_string())
    }

    pub fn ec(kid: &str) -> TestKey {
        let k = aws_lc_rs::signature::EcdsaKeyPair::generate(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        )
        .expect("EC key");
        TestKey::Ec(k, kid.to_string())
    }

    pub fn kid(&self) -> &str {
        match self {
            TestKey::Rsa(_, k) | TestKey::Ec(_, k) => k,
        }
    }

    pub fn alg(&self) -> &'static str {
        match self {
            TestKey::Rsa(..) => "RS256",
            TestKey::Ec(..) => "ES256",
        }
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        use aws_lc_rs::signature::KeyPair as _;
        match self {
            TestKey::Rsa(k, kid) => {
                let public = k.public_key();
                json!({
                    "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                })
            }
            TestKey::Ec(k, kid) => {
                let point = k.public_key().as_ref();
                json!({
                    "kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
                    "x": b64(&point[1..33]), "y": b64(&point[33..65]),
                })
            }
        }
    }

    /// A compact JWS over `claims`, really signed, naming `kid` in the header.
    pub fn sign_with_kid(&self, claims: &Value, kid: &str) -> String {
        let header = json!({"alg": self.alg(), "typ": "JWT", "kid": kid});
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let rng = SystemRandom::new();
        let signature = match self {
            TestKey::Rsa(k, _) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &rng,
                    input.as_bytes(),
                    &mut sig,
                )
                .expect("sign");
                sig
            }
            TestKey::Ec(k, _) => k
                .sign(&rng, input.as_bytes())
                .expect("sign")
                .as_ref()
                .to_vec(),
        };
        format!("{input}.{}", b64(&signature))
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_kid(claims, self.kid())
    }
}

pub fn jwks_of(keys: &[&TestKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() })
}

/// GitLab-shaped claims issued at [`NOW`] by [`ISSUER`], valid for an hour.
pub fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": "sts.amazonaws.com",
        "sub": "project_path:mygroup/app:ref_type:branch:ref:main",
        "project_path": "mygroup/app",
        "ref": "main",
        "ref_type": "branch",
        "runner_id": 12,
        "iat": NOW,
        "nbf": NOW - 5,
        "exp": NOW + 3600
    })
}
