//! `oidc-doctor check --role-arn … --endpoint-url <moto>` through the real binary: the role
//! and the OIDC provider are created through the AWS API (the SDK) in moto on loopback, the
//! token is really signed, the issuer is a real HTTPS server on loopback. Each test has its
//! own moto server, so the account's provider list is the test's own.

#![cfg(feature = "aws")]

mod common;
#[path = "support/issuer.rs"]
mod issuer;
#[path = "support/moto.rs"]
mod moto;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use common::expected::finding;
use common::{check_status as status, oidc_doctor, rule_names as rules, run_json};
use issuer::{Behaviour, HOST, ISSUER, NOW, Pki, Server, TestKey, claims, jwks_of, temp_file};
use moto::{MotoServer, iam_admin as admin};
use serde_json::{Value, json};

/// moto's fixed account.
const ACCOUNT: &str = "123456789012";
const SUB: &str = "project_path:mygroup/app:ref_type:branch:ref:main";

fn trust_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST}")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                format!("{HOST}:aud"): "sts.amazonaws.com",
                format!("{HOST}:sub"): SUB
            }}
        }]
    })
}

/// moto with a role `deploy` (MaxSessionDuration `max`) and a provider at `provider_url`.
fn aws_world(provider_url: &str, client_id: &str, thumbprint: &str, max: i32) -> MotoServer {
    let moto = MotoServer::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let iam = admin(&moto);
        iam.create_role()
            .role_name("deploy")
            .assume_role_policy_document(trust_policy().to_string())
            .max_session_duration(max)
            .send()
            .await
            .expect("create role");
        iam.create_open_id_connect_provider()
            .url(provider_url)
            .client_id_list(client_id)
            .thumbprint_list(thumbprint)
            .send()
            .await
            .expect("create provider");
    });
    moto
}

struct Issuer {
    pki: Pki,
    server: Server,
    key: TestKey,
    ca: tempfile::NamedTempFile,
}

fn issuer() -> Issuer {
    let pki = issuer::pki(HOST);
    let key = TestKey::rsa("k1");
    let server = issuer::serve(Behaviour::good(&pki, jwks_of(&[&key])));
    let ca = temp_file(&pki.root_pem);
    Issuer {
        pki,
        server,
        key,
        ca,
    }
}

/// `check --role-arn … --endpoint-url …` with dummy credentials and no AWS configuration
/// from this machine (no profile file, no instance metadata).
fn check(
    endpoint: &str,
    i: &Issuer,
    token: &str,
    extra: &[&str],
    code: i32,
) -> (Value, assert_cmd::Command) {
    let mut cmd = oidc_doctor();
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/oidc-doctor-test")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/oidc-doctor-test",
        )
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL");
    let mut args = vec![
        "check".to_string(),
        "--token".into(),
        token.into(),
        "--role-arn".into(),
        format!("arn:aws:iam::{ACCOUNT}:role/deploy"),
        "--endpoint-url".into(),
        endpoint.into(),
        "--now".into(),
        (NOW + 600).to_string(),
        "--connect-to".into(),
        i.server.connect_to(),
        "--ca-file".into(),
        i.ca.path().to_str().unwrap().into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    cmd.args(&args);
    let mut again = oidc_doctor();
    again.args(&args);
    (run_json(&mut cmd, code), again)
}

#[test]
fn the_role_and_provider_from_iam_admit_a_good_token() {
    let i = issuer();
    let moto = aws_world(
        ISSUER,
        "sts.amazonaws.com",
        &issuer::sha1_hex(i.pki.intermediate.as_ref()),
        3600,
    );
    let token = i.key.sign(&claims());
    let (v, _) = check(&moto.url(), &i, &token, &["--duration-seconds", "3600"], 0);
    assert_eq!(v["verdict"]["status"], "allowed", "{v:#}");
    assert_eq!(
        v["verdict"]["unverified"],
        json!([]),
        "everything was checked"
    );
    assert_eq!(rules(&v), Vec::<&str>::new());
    for name in [
        "oidc-provider",
        "issuer",
        "thumbprint",
        "token-signature",
        "audience",
        "trust-policy",
        "max-session-duration",
    ] {
        assert_eq!(status(&v, name), "passed", "{name}: {v:#}");
    }
    // The policy really came from IAM: the trace is the role's statement.
    assert_eq!(v["trace"][0]["applies"], true);
}

#[test]
fn an_audience_that_is_not_a_client_id_is_found_through_iam() {
    let i = issuer();
    let moto = aws_world(ISSUER, "https://gitlab.com", &"a".repeat(40), 3600);
    let token = i.key.sign(&claims());
    let (v, _) = check(&moto.url(), &i, &token, &[], 1);
    assert_eq!(
        v["verdict"]["blocking_rule"], "audience-not-in-client-ids",
        "{v:#}"
    );
    assert_eq!(
        v["verdict"]["predicted_error"],
        "InvalidIdentityToken: Incorrect token audience"
    );
    let f = finding(&v, "audience-not-in-client-ids");
    assert!(
        f["help"]
            .as_str()
            .unwrap()
            .contains(&format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST}")),
        "names the provider: {f:#}"
    );
}

#[test]
fn a_missing_provider_is_reported_with_its_near_miss() {
    let i = issuer();
    // A provider for another path on the same host: not the token's `iss`.
    let moto = aws_world(
        &format!("{ISSUER}/gitlab"),
        "sts.amazonaws.com",
        &"a".repeat(40),
        3600,
    );
    let token = i.key.sign(&claims());
    let (v, _) = check(&moto.url(), &i, &token, &[], 1);
    assert_eq!(v["verdict"]["blocking_rule"], "provider-not-found", "{v:#}");
    assert_eq!(
        v["verdict"]["predicted_error"],
        format!(
            "InvalidIdentityToken: No OpenIDConnect provider found in your account for {ISSUER}"
        )
    );
    let m = finding(&v, "provider-not-found")["message"]
        .as_str()
        .unwrap();
    assert!(m.contains("near miss") && m.contains("another path"), "{m}");
    assert_eq!(status(&v, "oidc-provider"), "failed");
}

#[test]
fn a_duration_over_the_roles_max_session_duration_is_read_from_iam() {
    let i = issuer();
    let moto = aws_world(ISSUER, "sts.amazonaws.com", &"a".repeat(40), 3600);
    let token = i.key.sign(&claims());
    let (v, _) = check(&moto.url(), &i, &token, &["--duration-seconds", "7200"], 1);
    assert_eq!(
        v["verdict"]["blocking_rule"],
        "duration-exceeds-max-session"
    );
    assert_eq!(
        v["verdict"]["predicted_error"],
        "ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    );
    assert!(
        finding(&v, "duration-exceeds-max-session")["message"]
            .as_str()
            .unwrap()
            .contains("MaxSessionDuration of 3600 seconds (the role's MaxSessionDuration in IAM)")
    );
    // A role that allows two hours takes it.
    let moto = aws_world(ISSUER, "sts.amazonaws.com", &"a".repeat(40), 7200);
    let (v, _) = check(&moto.url(), &i, &token, &["--duration-seconds", "7200"], 0);
    assert_eq!(status(&v, "max-session-duration"), "passed");
}

#[test]
fn a_trust_policy_from_iam_is_located_in_the_pretty_printed_document() {
    let i = issuer();
    let moto = aws_world(ISSUER, "sts.amazonaws.com", &"a".repeat(40), 3600);
    let token = i.key.sign(&json!({
        "iss": ISSUER, "aud": "sts.amazonaws.com",
        "sub": "project_path:mygroup/app:ref_type:branch:ref:feature",
        "iat": NOW, "nbf": NOW - 5, "exp": NOW + 3600
    }));
    let (v, _) = check(&moto.url(), &i, &token, &[], 1);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sub-not-admitted")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(
        f["location"]["path"],
        format!("arn:aws:iam::{ACCOUNT}:role/deploy")
    );
    assert_eq!(
        f["location"]["pointer"],
        format!("/Statement/0/Condition/StringEquals/{HOST}:sub")
    );
    assert!(f["location"]["line"].as_u64().unwrap() > 1);
}

/// A loopback TCP proxy in front of moto that records everything moto sends back.
fn recording_proxy(target: u16) -> (u16, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let Ok(mut server) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c2, &mut s2);
            });
            let record = record.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 << 10];
                while let Ok(n) = server.read(&mut buf) {
                    if n == 0 || client.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    record.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
    });
    (port, seen)
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

#[test]
fn assume_reports_the_identity_and_expiry_and_never_the_credentials() {
    let i = issuer();
    let moto = aws_world(
        ISSUER,
        "sts.amazonaws.com",
        &issuer::sha1_hex(i.pki.intermediate.as_ref()),
        3600,
    );
    let (proxy, seen) = recording_proxy(moto.port);
    let token = i.key.sign(&claims());
    let endpoint = format!("http://127.0.0.1:{proxy}");
    let extra = ["--assume", "--role-session-name", "gitlab-42"];
    let (v, mut human) = check(&endpoint, &i, &token, &extra, 0);
    assert_eq!(v["assume"]["outcome"], "succeeded", "{v:#}");
    assert_eq!(
        v["assume"]["assumed_role_arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/deploy/gitlab-42")
    );
    assert!(v["assume"]["expiration"].as_str().unwrap().contains('T'));
    assert_eq!(v["assume"]["as_predicted"], true);
    // What moto really sent back: the credentials must appear nowhere in our output.
    let json_out = v.to_string();
    let human_run = human
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let human_out = format!(
        "{}{}",
        String::from_utf8_lossy(&human_run.stdout),
        String::from_utf8_lossy(&human_run.stderr)
    );
    assert!(
        human_out.contains("AssumeRoleWithWebIdentity succeeded"),
        "{human_out}"
    );
    let responses = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    let mut secrets = Vec::new();
    let mut rest = responses.as_str();
    while let Some(at) = rest.find("<Credentials>") {
        let block = &rest[at..];
        for tag in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
            let open = format!("<{tag}>");
            let close = format!("</{tag}>");
            let value = between(block, &open, &close).expect("moto returned credentials");
            secrets.push(value.to_string());
        }
        rest = &block["<Credentials>".len()..];
    }
    assert!(
        secrets.len() >= 6,
        "two calls, three secrets each: {secrets:?}"
    );
    for secret in &secrets {
        assert!(secret.len() >= 16, "{secret}");
        assert!(
            !json_out.contains(secret.as_str()),
            "JSON output leaks {secret}"
        );
        assert!(
            !human_out.contains(secret.as_str()),
            "human output leaks {secret}"
        );
    }
}

#[test]
fn without_credentials_the_aws_checks_are_skipped_and_say_how_to_run_them() {
    let i = issuer();
    let token = i.key.sign(&claims());
    let home = tempfile::tempdir().unwrap();
    let start = std::time::Instant::now();
    let out = oidc_doctor()
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .args([
            "check",
            "--token",
            &token,
            "--role-arn",
            &format!("arn:aws:iam::{ACCOUNT}:role/deploy"),
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--now",
            &(NOW + 600).to_string(),
            "--connect-to",
            &i.server.connect_to(),
            "--ca-file",
            i.ca.path().to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::assert_schema_valid(&v);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["verdict"]["status"], "indeterminate", "{v:#}");
    let detail = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "oidc-provider")
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("--policy"), "says how to go on: {detail}");
    // The issuer and the token were still checked.
    assert_eq!(status(&v, "issuer"), "passed");
    assert_eq!(status(&v, "token-signature"), "passed");
}
