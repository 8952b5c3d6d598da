//! `oidc-doctor probe` through the real binary against an HTTPS issuer served on
//! loopback by the test (see support/issuer.rs): certificates made with rcgen
//! relative to `--now`, one test per server behaviour, the thumbprint compared
//! with the SHA-1 of the last served certificate computed here.

mod common;
#[path = "support/issuer.rs"]
mod issuer;

use std::time::{Duration, Instant};

use common::{oidc_doctor, stdout_of};
use issuer::{
    Behaviour, HOST, ISSUER, NOW_RFC3339, Pki, Server, TestKey, jwks_of, serve, sha1_hex, temp_file,
};
use serde_json::{Value, json};

struct Probe {
    json: Value,
    code: i32,
    stderr: String,
    wall: Duration,
}

impl Probe {
    fn rules(&self) -> Vec<&str> {
        self.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect()
    }

    fn finding(&self, rule: &str) -> &Value {
        self.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} in {:#}", self.json["findings"]))
    }

    fn message(&self, rule: &str) -> &str {
        self.finding(rule)["message"].as_str().unwrap()
    }
}

/// `probe URL --now NOW --format json` plus `args`, without any proxy from the
/// environment.
fn probe_url(url: &str, args: &[&str]) -> Probe {
    let start = Instant::now();
    let out = oidc_doctor()
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .args(["probe", url, "--now", NOW_RFC3339, "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let wall = start.elapsed();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    common::assert_schema_valid(&json);
    Probe {
        json,
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        wall,
    }
}

/// Probes [`ISSUER`] on `server` through `--connect-to`, with `ca` as trusted root when given.
fn probe(server: &Server, ca: Option<&Pki>, args: &[&str]) -> Probe {
    let ca_file = ca.map(|p| temp_file(&p.root_pem));
    let mut all = vec!["--connect-to".to_string(), server.connect_to()];
    if let Some(f) = &ca_file {
        all.push("--ca-file".into());
        all.push(f.path().to_str().unwrap().to_string());
    }
    all.extend(args.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    probe_url(ISSUER, &refs)
}

fn jwks() -> Value {
    jwks_of(&[&TestKey::rsa("k1"), &TestKey::ec("k2")])
}

fn good() -> (Pki, Behaviour) {
    let pki = issuer::pki(HOST);
    let b = Behaviour::good(&pki, jwks());
    (pki, b)
}

#[test]
fn a_healthy_issuer_has_no_connectivity_finding_at_all() {
    let (pki, b) = good();
    let server = serve(b);
    let p = probe(&server, Some(&pki), &[]);
    assert_eq!(p.rules(), Vec::<&str>::new(), "{:#}", p.json);
    assert_eq!(p.code, 0);
    let d = &p.json["endpoints"]["discovery"];
    assert_eq!(
        d["url"],
        "https://gitlab.example.test/.well-known/openid-configuration"
    );
    assert_eq!(d["status"], 200);
    assert_eq!(d["content_type"], "application/json");
    assert_eq!(d["error"], Value::Null);
    assert_eq!(
        d["dns_ms"],
        Value::Null,
        "--connect-to to an address: no DNS"
    );
    for phase in ["connect_ms", "tls_ms", "ttfb_ms", "elapsed_ms"] {
        assert!(d[phase].is_number(), "{phase}");
    }
    let j = &p.json["endpoints"]["jwks"];
    assert_eq!(j["url"], "https://gitlab.example.test/oauth/discovery/keys");
    assert_eq!(j["cache_control"], "max-age=86400, public, must-revalidate");
    assert_eq!(j["bytes"], json!(jwks().to_string().len()));
    let tls = &j["tls"];
    assert_eq!(tls["publicly_trusted"], true);
    assert_eq!(tls["chain"].as_array().unwrap().len(), 2);
    assert_eq!(tls["chain"][0]["subject"], "CN=gitlab.example.test");
    assert_eq!(
        tls["chain"][1]["subject"],
        "CN=oidc-doctor Test Intermediate CA"
    );
    assert_eq!(tls["chain"][0]["sha1"], sha1_hex(&pki.leaf));
    assert_eq!(tls["thumbprint"], sha1_hex(&pki.intermediate));
    assert_eq!(p.json["thumbprint"], sha1_hex(&pki.intermediate));
    let skipped: Vec<&Value> = p.json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "issuer-private-address")
        .collect();
    assert_eq!(
        skipped[0]["status"], "skipped",
        "--connect-to skips the DNS check"
    );
}

#[test]
fn human_output_shows_phases_chain_and_thumbprint() {
    let (pki, b) = good();
    let server = serve(b);
    let ca = temp_file(&pki.root_pem);
    let out = stdout_of(
        oidc_doctor()
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .args([
                "probe",
                ISSUER,
                "--now",
                NOW_RFC3339,
                "--connect-to",
                &server.connect_to(),
                "--ca-file",
                ca.path().to_str().unwrap(),
            ]),
        0,
    );
    insta::with_settings!({filters => vec![
        (r"\b[0-9a-f]{64}\b", "[sha256]"),
        (r"\b[0-9a-f]{40}\b", "[sha1]"),
        (r" +\d+\.\d ms  █*", " [ms]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (r"\d+ bytes", "[n] bytes"),
    ]}, {
        insta::assert_snapshot!("probe_human_healthy", out);
    });
}

#[test]
fn without_the_ca_the_chain_is_not_publicly_trusted_and_the_thumbprint_is_the_last_cert() {
    let (pki, b) = good();
    let server = serve(b);
    let p = probe(&server, None, &[]);
    assert_eq!(p.rules(), ["tls-not-publicly-trusted"]);
    assert_eq!(p.code, 0, "a warning");
    let thumb = sha1_hex(&pki.intermediate);
    assert!(p.message("tls-not-publicly-trusted").contains(&thumb));
    assert_eq!(
        p.json["endpoints"]["jwks"]["tls"]["publicly_trusted"],
        false
    );
    assert_eq!(p.json["endpoints"]["jwks"]["tls"]["thumbprint"], thumb);
}

#[test]
fn a_chain_out_of_order() {
    let (pki, mut b) = good();
    b.chain = vec![pki.leaf.clone(), pki.root.clone(), pki.intermediate.clone()];
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(p.rules(), ["tls-chain-order"], "{:#}", p.json["findings"]);
    assert!(
        p.message("tls-chain-order")
            .contains("certificate 0 (CN=gitlab.example.test) is issued by certificate 2")
    );
    assert_eq!(
        p.json["thumbprint"],
        sha1_hex(&pki.intermediate),
        "the last served certificate"
    );
    assert_eq!(p.code, 1);
}

#[test]
fn a_chain_in_order_ending_with_the_root_is_fine() {
    let (pki, mut b) = good();
    b.chain = vec![pki.leaf.clone(), pki.intermediate.clone(), pki.root.clone()];
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(p.rules(), Vec::<&str>::new(), "{:#}", p.json["findings"]);
    assert_eq!(p.json["thumbprint"], sha1_hex(&pki.root));
}

#[test]
fn a_chain_without_the_intermediate_is_incomplete() {
    let (pki, mut b) = good();
    b.chain = vec![pki.leaf.clone()];
    let p = probe(&serve(b), Some(&pki), &[]);
    assert!(
        p.rules().contains(&"tls-chain-incomplete"),
        "{:#}",
        p.json["findings"]
    );
    assert!(
        p.message("tls-chain-incomplete")
            .contains("CN=oidc-doctor Test Intermediate CA")
    );
    assert_eq!(p.json["thumbprint"], sha1_hex(&pki.leaf));
    assert!(
        p.message("tls-not-publicly-trusted")
            .contains(&sha1_hex(&pki.leaf))
    );
}

#[test]
fn a_self_signed_certificate_needs_the_thumbprint() {
    let (cert, key) = issuer::self_signed(HOST);
    let (_, mut b) = good();
    b.chain = vec![cert.clone()];
    b.key = std::sync::Arc::new(key);
    let p = probe(&serve(b), None, &[]);
    assert_eq!(
        p.rules(),
        ["tls-not-publicly-trusted"],
        "{:#}",
        p.json["findings"]
    );
    let thumb = sha1_hex(&cert);
    assert!(p.message("tls-not-publicly-trusted").contains(&thumb));
    assert_eq!(p.json["thumbprint"], thumb);
    assert!(p.stderr.is_empty(), "{}", p.stderr);
}

#[test]
fn thumbprint_mismatch_is_an_error_only_when_aws_relies_on_it() {
    let (pki, b) = good();
    let server = serve(b);
    let right = sha1_hex(&pki.intermediate);
    let stale = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";
    let p = probe(&server, None, &["--thumbprint", stale]);
    assert_eq!(p.finding("thumbprint-mismatch")["severity"], "error");
    assert!(p.message("thumbprint-mismatch").contains(&right));
    assert_eq!(p.code, 1);
    let p = probe(&server, Some(&pki), &["--thumbprint", stale]);
    assert_eq!(p.finding("thumbprint-mismatch")["severity"], "info");
    assert_eq!(p.code, 0);
    let upper_with_colons: String = right
        .to_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(":");
    let p = probe(
        &server,
        None,
        &["--thumbprint", stale, "--thumbprint", &upper_with_colons],
    );
    assert_eq!(p.rules(), ["tls-not-publicly-trusted"]);
}

#[test]
fn certificate_validity_follows_now() {
    let pki = issuer::pki_with_validity(HOST, -400, -1);
    let b = Behaviour::good(&pki, jwks());
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(p.rules(), ["tls-expired"], "{:#}", p.json["findings"]);
    assert!(
        p.message("tls-expired")
            .contains("expired on 2025-12-31T00:00:00Z (1 d ago)")
    );

    let pki = issuer::pki_with_validity(HOST, -60, 10);
    let b = Behaviour::good(&pki, jwks());
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(p.rules(), ["tls-expiring"], "{:#}", p.json["findings"]);
    // Near miss: 31 days left.
    let pki = issuer::pki_with_validity(HOST, -60, 31);
    let b = Behaviour::good(&pki, jwks());
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(p.rules(), Vec::<&str>::new());
}

#[test]
fn a_certificate_for_another_host() {
    let pki = issuer::pki("other.example.test");
    let b = Behaviour::good(&pki, jwks());
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(
        p.rules(),
        ["tls-hostname-mismatch"],
        "{:#}",
        p.json["findings"]
    );
}

#[test]
fn a_slow_discovery_is_reported_with_its_measured_time() {
    let (pki, mut b) = good();
    b.discovery_delay = Duration::from_millis(3_200);
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(p.rules(), ["discovery-slow"]);
    assert!(
        p.json["endpoints"]["discovery"]["elapsed_ms"]
            .as_f64()
            .unwrap()
            >= 3_200.0
    );
    assert!(
        p.json["endpoints"]["discovery"]["ttfb_ms"]
            .as_f64()
            .unwrap()
            >= 3_200.0
    );
    assert_eq!(p.code, 0);
}

#[test]
fn a_jwks_over_five_seconds_is_measured_not_only_timed_out() {
    let (pki, mut b) = good();
    b.jwks_delay = Duration::from_millis(5_300);
    let p = probe(&serve(b), Some(&pki), &["--timeout", "8"]);
    assert_eq!(p.rules(), ["jwks-timeout"]);
    let elapsed = p.json["endpoints"]["jwks"]["elapsed_ms"].as_f64().unwrap();
    assert!(elapsed >= 5_300.0, "{elapsed}");
    let msg = p.message("jwks-timeout");
    assert!(
        msg.contains("took 5.") && msg.contains("AWS gives up at 5 s"),
        "{msg}"
    );
    assert_eq!(p.json["endpoints"]["jwks"]["status"], 200);
}

#[test]
fn the_probe_gives_up_at_its_timeout() {
    let (pki, mut b) = good();
    b.jwks_delay = Duration::from_secs(9);
    let p = probe(&serve(b), Some(&pki), &["--timeout", "5.5"]);
    assert_eq!(p.rules(), ["jwks-timeout"]);
    let j = &p.json["endpoints"]["jwks"];
    assert!(j["elapsed_ms"].as_f64().unwrap() >= 5_500.0);
    assert!(
        j["error"]
            .as_str()
            .unwrap()
            .contains("no answer within --timeout 5.5 s")
    );
    assert!(j["status"].is_null());
    assert!(
        p.wall < Duration::from_secs(9),
        "finished before the server answered: {:?}",
        p.wall
    );
}

#[test]
fn an_uncacheable_jwks() {
    let (pki, mut b) = good();
    b.jwks_cache_control = "no-cache".into();
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(p.rules(), ["jwks-not-cacheable"]);
    assert_eq!(p.finding("jwks-not-cacheable")["severity"], "warning");
}

#[test]
fn a_jwks_with_101_rsa_keys() {
    let (pki, mut b) = good();
    let one = TestKey::rsa("x").jwk();
    let keys: Vec<Value> = (0..101)
        .map(|i| {
            let mut k = one.clone();
            k["kid"] = json!(format!("key-{i}"));
            k
        })
        .collect();
    b.jwks = json!({ "keys": keys });
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(p.rules(), ["jwks-invalid"]);
    assert!(
        p.message("jwks-invalid")
            .contains("101 RSA keys; STS accepts at most 100")
    );
}

#[test]
fn a_waf_page_instead_of_discovery() {
    let (pki, mut b) = good();
    b.discovery_answer = Some((
        403,
        "text/html; charset=UTF-8".into(),
        "<!DOCTYPE html><html><title>Attention Required!</title></html>".into(),
    ));
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(p.rules(), ["waf-challenge"]);
    assert!(
        p.message("waf-challenge")
            .contains("403 Forbidden with an HTML page")
    );
    assert_eq!(p.json["endpoints"]["discovery"]["status"], 403);
    assert!(p.json["endpoints"].get("jwks").is_none());
}

#[test]
fn a_redirected_discovery() {
    let (pki, mut b) = good();
    b.redirect_discovery = true;
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(p.rules(), ["http-redirect"]);
    let d = &p.json["endpoints"]["discovery"];
    assert_eq!(
        d["redirects"],
        json!(["https://gitlab.example.test/.well-known/openid-configuration"])
    );
    assert_eq!(
        d["url"],
        "https://gitlab.example.test/moved/.well-known/openid-configuration"
    );
}

#[test]
fn a_discovery_issuer_that_is_not_the_url_exactly() {
    let (pki, mut b) = good();
    b.issuer = format!("{ISSUER}/");
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(p.rules(), ["discovery-invalid"]);
    assert!(p.message("discovery-invalid").contains("trailing slash"));
    assert_eq!(p.code, 1);
}

#[test]
fn an_issuer_on_a_private_address_with_a_port() {
    let (_, b) = good();
    let server = serve(b);
    let url = format!("https://127.0.0.1:{}", server.port);
    let p = probe_url(&url, &[]);
    for rule in ["issuer-has-port", "issuer-private-address"] {
        assert!(p.rules().contains(&rule), "{rule}: {:?}", p.rules());
    }
    let plain = probe_url(&format!("http://127.0.0.1:{}", server.port), &[]);
    assert!(
        plain.rules().contains(&"issuer-not-https"),
        "{:?}",
        plain.rules()
    );
    assert!(
        plain.rules().contains(&"discovery-unreachable"),
        "{:?}",
        plain.rules()
    );
}

#[test]
fn a_jwks_uri_that_answers_404() {
    let (pki, mut b) = good();
    b.jwks_uri = format!("{ISSUER}/no/such/keys");
    let p = probe(&serve(b), Some(&pki), &[]);
    assert_eq!(p.rules(), ["jwks-unreachable"]);
    assert!(p.message("jwks-unreachable").contains("answered HTTP 404"));
}

/// Every issuer and TLS rule is triggered by a test here or, for the time rules
/// of the other endpoint, by the unit tests of src/issuer/validate.rs; the
/// healthy issuer above is the near miss of them all.
#[test]
fn every_connectivity_rule_is_tested() {
    let here = std::fs::read_to_string(common::root().join("tests/probe.rs")).unwrap();
    let unit = std::fs::read_to_string(common::root().join("src/issuer/validate.rs")).unwrap();
    for r in oidc_doctor::rules::ALL {
        if r.category == oidc_doctor::finding::Category::Connectivity {
            let quoted = format!("\"{}\"", r.name);
            assert!(
                here.contains(&quoted) || unit.contains(&quoted),
                "{} has no test",
                r.name
            );
        }
    }
}

#[test]
fn https_proxy_is_honoured_with_a_warning() {
    let (pki, b) = good();
    let server = serve(b);
    let proxy = connect_proxy(server.port);
    let ca = temp_file(&pki.root_pem);
    let out = oidc_doctor()
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{proxy}"))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .args([
            "probe",
            ISSUER,
            "--now",
            NOW_RFC3339,
            "--format",
            "json",
            "--ca-file",
            ca.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::assert_schema_valid(&v);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("an intercepting proxy changes the certificate chain"),
        "{stderr}"
    );
    assert_eq!(v["endpoints"]["jwks"]["status"], 200, "{v:#}");
    assert!(v["notes"][0].as_str().unwrap().contains("HTTPS_PROXY"));
    let p = Probe {
        json: v,
        code: 0,
        stderr: stderr.into_owned(),
        wall: Duration::ZERO,
    };
    assert!(
        !p.rules()
            .iter()
            .any(|r| r.starts_with("discovery") || r.starts_with("jwks")),
        "{:?}",
        p.rules()
    );
}

/// A minimal CONNECT proxy on loopback that tunnels every request to `target`
/// on 127.0.0.1, whatever host it names.
fn connect_proxy(target: u16) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if client.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let Ok(mut upstream) =
                        tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                    else {
                        return;
                    };
                    let _ = client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .await;
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
            }
        });
    });
    port
}
