//! Say only what was checked (issue 14): the real binary against loopback servers
//! made by the test, one test per way the tool used to vouch for something it had
//! not checked, each with the near miss that shows the check is real.
//!
//! - a signature is "verified" only with keys from `--jwks-file` or fetched over
//!   TLS that validated for the host against trusted roots (`decode`, `check`);
//! - every JWKS key is validated (`jwks-key-invalid`);
//! - a redirect is never followed to `http://` or to another host, an `http://`
//!   `jwks_uri` is never fetched, and a `jwks_uri` on another host is fetched (as
//!   STS does) and reported;
//! - `check --offline` opens no socket at all, AWS included (counted on loopback,
//!   and run in an empty network namespace);
//! - `check --assume` says whether the call was sent: unanswered is not "not made".
//!
//! Expiry and validity are judged at `--now`; no assertion depends on wall time.

mod common;
#[path = "support/issuer.rs"]
mod issuer;
#[path = "support/listeners.rs"]
mod listeners;

use base64::Engine as _;
use common::{check_status, oidc_doctor, rule_names as rules, run_json};
use issuer::{Behaviour, HOST, ISSUER, NOW, NOW_RFC3339, Pki, TestKey, claims, jwks_of, temp_file};
use serde_json::{Value, json};

const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";
const SUB: &str = "project_path:mygroup/app:ref_type:branch:ref:main";

fn policy() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::123456789012:oidc-provider/{HOST}")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                format!("{HOST}:aud"): "sts.amazonaws.com",
                format!("{HOST}:sub"): SUB
            }}
        }]
    })
    .to_string()
}

/// The message of the (first) finding of `rule`.
fn message<'a>(v: &'a Value, rule: &str) -> &'a str {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {:#}", v["findings"]))["message"]
        .as_str()
        .expect("message")
}

/// The detail of the check `name`.
fn detail<'a>(v: &'a Value, name: &str) -> &'a str {
    v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {v:#}"))["detail"]
        .as_str()
        .expect("detail")
}

/// `decode TOKEN --verify --now … --connect-to …` plus `extra`, without a proxy.
fn decode_verify(server: &issuer::Server, token: &str, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = oidc_doctor();
    cmd.env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .args(["decode", token, "--verify", "--now"])
        .arg((NOW + 600).to_string())
        .args(["--connect-to", &server.connect_to()])
        .args(extra);
    cmd
}

// --- 1. A signature checked with unauthenticated keys is not "verified".

#[test]
fn decode_verify_with_keys_over_a_chain_to_no_trusted_root_is_not_verified() {
    let key = TestKey::rsa("served-key");
    let pki = issuer::pki(HOST);
    let server = issuer::serve(Behaviour::good(&pki, jwks_of(&[&key])));
    let token = key.sign(&claims());

    // No --ca-file: the chain verifies against no trusted root. The signature does
    // match the served key, but the key's origin is unauthenticated.
    let v = run_json(&mut decode_verify(&server, &token, &[]), 0);
    assert_eq!(rules(&v), ["tls-not-publicly-trusted"], "{v:#}");
    let verification = &v["token"]["verification"];
    assert_eq!(verification["status"], "unauthenticated", "{v:#}");
    let d = verification["detail"].as_str().unwrap();
    assert!(
        d.starts_with(
            r#"RS256 signature matches key "served-key", but the keys are unauthenticated: "#
        ),
        "{d}"
    );
    assert!(d.contains("gitlab.example.test"), "names the host: {d}");
    assert!(
        message(&v, "tls-not-publicly-trusted").contains(
            "the keys fetched from gitlab.example.test are unauthenticated, so a signature checked with them is not verified"
        ),
        "{v:#}"
    );
    // The human output says so too, and never "verified" with a tick.
    let mut human = decode_verify(&server, &token, &[]);
    let out = common::stdout_of(&mut human, 0);
    assert!(!out.contains('✓'), "{out}");
    assert!(!out.contains("signature verified"), "{out}");
    assert!(
        out.contains(r#"not verified: RS256 signature matches key "served-key", but the keys are unauthenticated"#),
        "{out}"
    );

    // Near miss: the same server with its root trusted (--ca-file) verifies.
    let ca = temp_file(&pki.root_pem);
    let v = run_json(
        &mut decode_verify(&server, &token, &["--ca-file", ca.path().to_str().unwrap()]),
        0,
    );
    assert_eq!(v["token"]["verification"]["status"], "verified", "{v:#}");
    assert_eq!(rules(&v), Vec::<&str>::new());
}

#[test]
fn decode_verify_with_a_certificate_for_another_host_is_not_verified() {
    let key = TestKey::rsa("k1");
    // A certificate from a trusted CA, but for another host than the issuer's.
    let pki = issuer::pki("other.example.test");
    let server = issuer::serve(Behaviour::good(&pki, jwks_of(&[&key])));
    let ca = temp_file(&pki.root_pem);
    let v = run_json(
        &mut decode_verify(
            &server,
            &key.sign(&claims()),
            &["--ca-file", ca.path().to_str().unwrap()],
        ),
        1,
    );
    assert_eq!(rules(&v), ["tls-hostname-mismatch"], "{v:#}");
    assert_eq!(v["token"]["verification"]["status"], "unauthenticated");
    assert!(
        message(&v, "tls-hostname-mismatch").contains(
            "the keys fetched from gitlab.example.test are unauthenticated, so a signature checked with them is not verified"
        ),
        "{v:#}"
    );
}

#[test]
fn check_counts_a_signature_over_unauthenticated_keys_as_not_verified() {
    let key = TestKey::rsa("k1");
    let pki = issuer::pki(HOST);
    let server = issuer::serve(Behaviour::good(&pki, jwks_of(&[&key])));
    let token = key.sign(&claims());
    let policy = temp_file(&policy());
    let ca = temp_file(&pki.root_pem);
    let check = |extra: &[&str], code: i32| {
        run_json(
            oidc_doctor()
                .env_remove("HTTPS_PROXY")
                .env_remove("https_proxy")
                .args(["check", "--token", &token, "--now"])
                .arg((NOW + 600).to_string())
                .args(["--connect-to", &server.connect_to()])
                .args(["--policy", policy.path().to_str().unwrap()])
                .args(["--role-arn", ROLE, "--no-aws"])
                .args(["--provider-client-id", "sts.amazonaws.com"])
                .args(extra),
            code,
        )
    };
    // Without the CA: the policy admits the token (exit 0 stays the contract for
    // "allowed"), but the signature is not counted as verified.
    let v = check(&[], 0);
    assert_eq!(v["verdict"]["status"], "allowed", "{v:#}");
    assert_eq!(check_status(&v, "token-signature"), "skipped", "{v:#}");
    let d = detail(&v, "token-signature");
    assert!(
        d.starts_with(r#"RS256 signature matches key "k1", but the keys are unauthenticated: "#),
        "{d}"
    );
    assert!(
        v["verdict"]["unverified"]
            .as_array()
            .unwrap()
            .contains(&json!("token-signature")),
        "{v:#}"
    );
    assert!(
        v["verdict"]["summary"]
            .as_str()
            .unwrap()
            .contains("as far as was checked (not verified: ")
    );
    // Near miss: with the CA the same signature is verified.
    let v = check(&["--ca-file", ca.path().to_str().unwrap()], 0);
    assert_eq!(check_status(&v, "token-signature"), "passed", "{v:#}");
    assert!(
        detail(&v, "token-signature").starts_with(r#"RS256 signature verified with key "k1""#),
        "{v:#}"
    );
}

// --- 2. JWKS keys are validated.

/// `probe ISSUER` against a good issuer serving `jwks`, its root trusted.
fn probe_jwks(jwks: Value) -> (Value, i32) {
    let pki = issuer::pki(HOST);
    let server = issuer::serve(Behaviour::good(&pki, jwks));
    let ca = temp_file(&pki.root_pem);
    let out = oidc_doctor()
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .args(["probe", ISSUER, "--now", NOW_RFC3339, "--format", "json"])
        .args(["--connect-to", &server.connect_to()])
        .args(["--ca-file", ca.path().to_str().unwrap()])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    common::assert_schema_valid(&v);
    (v, out.status.code().unwrap_or(-1))
}

#[test]
fn probe_refuses_a_jwks_whose_only_key_has_an_all_zero_900000_character_modulus() {
    let jwks = json!({"keys": [{
        "kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
        "n": "A".repeat(900_000), "e": "AQAB"
    }]});
    let (v, code) = probe_jwks(jwks);
    assert_eq!(code, 1, "{:#}", v["findings"]);
    assert_eq!(rules(&v), ["jwks-key-invalid", "jwks-invalid"]);
    assert_eq!(
        message(&v, "jwks-key-invalid"),
        r#"key "k1" (index 0), RSA: the modulus `n` is zero (675,000 zero octets)"#
    );
    assert_eq!(
        message(&v, "jwks-invalid"),
        "the JWKS holds no key STS can use"
    );
    assert_eq!(check_status(&v, "jwks"), "failed");
}

#[test]
fn probe_names_an_ec_key_off_its_curve_beside_a_good_key() {
    let good = TestKey::rsa("good");
    let ec = TestKey::ec("bent");
    let mut bent = ec.jwk();
    // Flip the lowest bit of `y`: the point leaves the curve (for its `x` only y and
    // p − y lie on it, and y ^ 1 is p − y only for y = (p ± 1)/2, one value in 2²⁵⁶).
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut y = b64.decode(bent["y"].as_str().unwrap()).unwrap();
    *y.last_mut().unwrap() ^= 1;
    bent["y"] = json!(b64.encode(&y));
    let (v, code) = probe_jwks(json!({"keys": [good.jwk(), bent]}));
    assert_eq!(code, 1);
    assert_eq!(
        rules(&v),
        ["jwks-key-invalid"],
        "the good key is still usable"
    );
    assert_eq!(
        message(&v, "jwks-key-invalid"),
        r#"key "bent" (index 1), EC: the point (`x`, `y`) is not on P-256"#
    );
    // Near miss: the untouched EC key passes.
    let (v, code) = probe_jwks(jwks_of(&[&good, &ec]));
    assert_eq!((rules(&v), code), (vec![], 0));
}

#[test]
fn decode_with_a_jwks_file_reports_a_malformed_key_by_kid_and_index() {
    let key = TestKey::rsa("k1");
    let mut small = key.jwk();
    small["kid"] = json!("short");
    small["n"] = json!("AQAB"); // a 17-bit modulus
    let jwks = temp_file(&json!({"keys": [key.jwk(), small]}).to_string());
    let v = run_json(
        oidc_doctor()
            .args(["decode", &key.sign(&claims()), "--now"])
            .arg((NOW + 600).to_string())
            .args(["--jwks-file", jwks.path().to_str().unwrap()]),
        1,
    );
    assert_eq!(rules(&v), ["jwks-key-invalid"], "{v:#}");
    assert_eq!(
        message(&v, "jwks-key-invalid"),
        r#"key "short" (index 1), RSA: the modulus has 17 bits; at least 2,048 are required (RFC 7518 §3.3)"#
    );
    // The token's own key is sound, and the file is trusted: verified.
    assert_eq!(v["token"]["verification"]["status"], "verified");
}

// --- 3. Redirects and `jwks_uri`: never to http://, never off-host, reported.

/// `probe ISSUER` with `b` on a fresh server, its root trusted, and `connect_to`
/// for the other hosts and ports.
fn probe_with(pki: &Pki, b: Behaviour, connect_to: &[String]) -> (Value, i32) {
    let server = issuer::serve(b);
    let ca = temp_file(&pki.root_pem);
    let mut cmd = oidc_doctor();
    cmd.env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .args(["probe", ISSUER, "--now", NOW_RFC3339, "--format", "json"])
        .args(["--timeout", "5"])
        .args(["--connect-to", &server.connect_to()])
        .args(["--ca-file", ca.path().to_str().unwrap()]);
    for c in connect_to {
        cmd.args(["--connect-to", c]);
    }
    let out = cmd.output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    common::assert_schema_valid(&v);
    (v, out.status.code().unwrap_or(-1))
}

#[test]
fn a_discovery_redirect_to_plain_http_is_not_followed() {
    let pki = issuer::pki(HOST);
    let mut b = Behaviour::good(&pki, jwks_of(&[&TestKey::rsa("k1")]));
    b.discovery_redirect_to = Some(format!("http://{HOST}/.well-known/openid-configuration"));
    let plain = listeners::counting();
    let (v, code) = probe_with(&pki, b, &[format!("{HOST}:80:127.0.0.1:{}", plain.port)]);
    assert_eq!(plain.count(), 0, "no connection to the http:// target");
    assert_eq!(code, 1);
    assert_eq!(
        rules(&v),
        ["http-redirect", "discovery-unreachable"],
        "{v:#}"
    );
    assert_eq!(
        message(&v, "http-redirect"),
        "discovery https://gitlab.example.test/.well-known/openid-configuration redirects to http://gitlab.example.test/.well-known/openid-configuration: not followed, since STS fetches only https:// (the request was not made)"
    );
    assert!(
        message(&v, "discovery-unreachable").contains("the redirect to http://gitlab.example.test/.well-known/openid-configuration was not followed"),
        "{v:#}"
    );
    assert_eq!(check_status(&v, "jwks"), "skipped");
}

#[test]
fn a_discovery_redirect_to_another_host_is_reported_and_not_followed() {
    let pki = issuer::pki_for_hosts(&[HOST, "elsewhere.example.test"], -30, 300);
    let mut b = Behaviour::good(&pki, jwks_of(&[&TestKey::rsa("k1")]));
    b.discovery_redirect_to =
        Some("https://elsewhere.example.test/.well-known/openid-configuration".into());
    let elsewhere = listeners::counting();
    let (v, code) = probe_with(
        &pki,
        b,
        &[format!(
            "elsewhere.example.test:443:127.0.0.1:{}",
            elsewhere.port
        )],
    );
    assert_eq!(elsewhere.count(), 0, "the other host was not contacted");
    assert_eq!(code, 1);
    assert_eq!(
        rules(&v),
        ["http-redirect", "discovery-unreachable"],
        "{v:#}"
    );
    assert_eq!(
        message(&v, "http-redirect"),
        "discovery https://gitlab.example.test/.well-known/openid-configuration redirects to https://elsewhere.example.test/.well-known/openid-configuration, on another host (elsewhere.example.test, not gitlab.example.test): not followed (the request was not made)"
    );
}

#[test]
fn an_http_jwks_uri_is_reported_and_never_fetched() {
    let pki = issuer::pki(HOST);
    let mut b = Behaviour::good(&pki, jwks_of(&[&TestKey::rsa("k1")]));
    b.jwks_uri = format!("http://{HOST}/oauth/discovery/keys");
    let plain = listeners::counting();
    let (v, code) = probe_with(&pki, b, &[format!("{HOST}:80:127.0.0.1:{}", plain.port)]);
    assert_eq!(plain.count(), 0, "the http:// jwks_uri was not fetched");
    assert_eq!(code, 1);
    assert_eq!(rules(&v), ["discovery-invalid"], "{v:#}");
    assert_eq!(
        message(&v, "discovery-invalid"),
        "the discovery document's jwks_uri http://gitlab.example.test/oauth/discovery/keys is http://, not https://; it was not fetched (STS fetches keys only over https://)"
    );
    assert_eq!(check_status(&v, "jwks"), "failed");
    assert!(detail(&v, "jwks").contains("not fetched"), "{v:#}");
    assert!(
        v["endpoints"].get("jwks").is_none_or(Value::is_null),
        "{v:#}"
    );
}

#[test]
fn a_jwks_uri_on_another_host_is_fetched_as_sts_does_and_reported() {
    let pki = issuer::pki_for_hosts(&[HOST, "keys.example.test"], -30, 300);
    let mut b = Behaviour::good(&pki, jwks_of(&[&TestKey::rsa("k1")]));
    b.jwks_uri = "https://keys.example.test/oauth/discovery/keys".into();
    // The same loopback server answers for both names.
    let server = issuer::serve(b);
    let ca = temp_file(&pki.root_pem);
    let out = oidc_doctor()
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .args(["probe", ISSUER, "--now", NOW_RFC3339, "--format", "json"])
        .args(["--connect-to", &server.connect_to()])
        .args([
            "--connect-to",
            &format!("keys.example.test:443:127.0.0.1:{}", server.port),
        ])
        .args(["--ca-file", ca.path().to_str().unwrap()])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::assert_schema_valid(&v);
    assert_eq!(out.status.code(), Some(0), "an info finding: {v:#}");
    assert_eq!(rules(&v), ["jwks-uri-off-host"], "{v:#}");
    assert_eq!(
        message(&v, "jwks-uri-off-host"),
        "the jwks_uri https://keys.example.test/oauth/discovery/keys is on keys.example.test, not on the issuer's host gitlab.example.test: STS fetches the keys there, so that host's TLS certificate (and thumbprint) is the one that counts"
    );
    assert_eq!(v["endpoints"]["jwks"]["status"], 200);
    assert_eq!(check_status(&v, "jwks"), "passed");
}

// --- 4. `check --offline` opens no socket, AWS included. (The AWS side exists only
// in the default build, with the `aws` feature; the slim build has no AWS client.)

/// `check --role-arn` with AWS pointed at loopback listeners: IMDS at `imds`, every
/// AWS service at `aws`; no AWS configuration of this machine; `creds` adds static
/// credentials (so IAM, not IMDS, is what the SDK would contact).
#[cfg(feature = "aws")]
fn check_with_aws(
    token: &str,
    policy: &tempfile::NamedTempFile,
    imds: &listeners::Listener,
    aws: &listeners::Listener,
    creds: bool,
    offline: bool,
) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("oidc-doctor"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url())
        .env("AWS_ENDPOINT_URL", aws.url())
        .env("AWS_REGION", "us-east-1");
    if creds {
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
    }
    cmd.args(["check", "--token", token, "--now"])
        .arg((NOW + 600).to_string())
        .args(["--policy", policy.path().to_str().unwrap()])
        .args(["--role-arn", ROLE, "--timeout", "2", "--format", "json"])
        // Were the issuer contacted, it would be refused at once, never resolved.
        .args([
            "--connect-to",
            &format!("{HOST}:443:127.0.0.1:{}", listeners::refusing_port()),
        ]);
    if offline {
        cmd.arg("--offline");
    }
    cmd.output().unwrap()
}

#[cfg(feature = "aws")]
#[test]
fn offline_with_a_role_arn_opens_no_socket_aws_included() {
    let key = TestKey::rsa("k1");
    let token = key.sign(&claims());
    let policy = temp_file(&policy());
    let (imds, aws) = (listeners::counting(), listeners::counting());

    // The controls: without --offline the SDK does connect (to IMDS for credentials,
    // and with credentials to IAM), so the counts below are real.
    check_with_aws(&token, &policy, &imds, &aws, false, false);
    assert!(imds.count() > 0, "the credential chain asks IMDS");
    check_with_aws(&token, &policy, &imds, &aws, true, false);
    assert!(aws.count() > 0, "iam:GetRole is sent");

    let (imds_before, aws_before) = (imds.count(), aws.count());
    let mut outputs = Vec::new();
    for creds in [false, true] {
        let out = check_with_aws(&token, &policy, &imds, &aws, creds, true);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push(out.stdout);
    }
    assert_eq!(imds.count(), imds_before, "--offline asked IMDS");
    assert_eq!(aws.count(), aws_before, "--offline contacted AWS");
    let v: Value = serde_json::from_slice(&outputs[0]).unwrap();
    common::assert_schema_valid(&v);
    assert_eq!(outputs[0], outputs[1], "credentials change nothing offline");
    assert_eq!(v["verdict"]["status"], "allowed", "{v:#}");
    // What --offline skipped is said, by name.
    for name in [
        "issuer",
        "token-signature",
        "thumbprint",
        "oidc-provider",
        "audience",
    ] {
        assert_eq!(check_status(&v, name), "skipped", "{name}: {v:#}");
        assert!(
            v["verdict"]["unverified"]
                .as_array()
                .unwrap()
                .contains(&json!(name)),
            "{name}: {v:#}"
        );
    }
    assert_eq!(
        detail(&v, "oidc-provider"),
        "--offline: the role and the account's OIDC providers were not read from IAM"
    );
    assert_eq!(
        detail(&v, "issuer"),
        "--offline: the issuer was not contacted"
    );

    // In an empty network namespace (no interface at all, not even loopback) the
    // same run gives the same output: nothing needed a socket.
    // `-r`: a user namespace too, so that it works without root (util-linux's
    // unshare is on every Debian machine; the test fails, never skips, without it).
    let netns = std::process::Command::new("unshare")
        .args(["-rn", "true"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        netns,
        "`unshare -rn` (util-linux) must work here: the offline test runs the binary in an empty network namespace"
    );
    {
        let exe = assert_cmd::cargo::cargo_bin("oidc-doctor");
        let home = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("unshare")
            .arg("-rn")
            .arg(&exe)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("NO_COLOR", "1")
            .env("AWS_CONFIG_FILE", home.path().join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                home.path().join("credentials"),
            )
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url())
            .env("AWS_ENDPOINT_URL", aws.url())
            .env("AWS_REGION", "us-east-1")
            .args(["check", "--token", &token, "--now"])
            .arg((NOW + 600).to_string())
            .args(["--policy", policy.path().to_str().unwrap()])
            .args(["--role-arn", ROLE, "--timeout", "2", "--format", "json"])
            .args([
                "--connect-to",
                &format!("{HOST}:443:127.0.0.1:{}", listeners::refusing_port()),
            ])
            .arg("--offline")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&outputs[0]),
            "the same report without any network"
        );
    }
}

#[test]
fn offline_and_assume_together_are_a_usage_error() {
    let out = oidc_doctor()
        .args(["check", "--claim", "sub=x", "--offline", "--assume"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--offline") && err.contains("--assume"),
        "{err}"
    );
}

// --- 5. `--assume`: sent and unanswered is not "not made".

/// `check --assume` with AWS at `endpoint` (static credentials), the issuer on
/// loopback with its root trusted, and `--timeout 1`.
#[cfg(feature = "aws")]
fn assume_against(endpoint: &str) -> Value {
    let key = TestKey::rsa("k1");
    let pki = issuer::pki(HOST);
    let server = issuer::serve(Behaviour::good(&pki, jwks_of(&[&key])));
    let ca = temp_file(&pki.root_pem);
    let policy = temp_file(&policy());
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("oidc-doctor"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .args(["check", "--token", &key.sign(&claims()), "--now"])
        .arg((NOW + 600).to_string())
        .args(["--connect-to", &server.connect_to()])
        .args(["--ca-file", ca.path().to_str().unwrap()])
        .args(["--policy", policy.path().to_str().unwrap()])
        .args(["--role-arn", ROLE, "--endpoint-url", endpoint])
        .args(["--assume", "--timeout", "1", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    common::assert_schema_valid(&v);
    // The policy admits the token; the IAM reads and the call only inform.
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    v
}

#[cfg(feature = "aws")]
#[test]
fn assume_against_an_endpoint_that_never_answers_says_the_call_was_sent() {
    let silent = listeners::silent();
    let v = assume_against(&silent.url());
    assert!(silent.count() > 0);
    let url = format!("{}/", silent.url());
    assert_eq!(v["assume"]["outcome"], "unanswered", "{v:#}");
    assert_eq!(
        v["assume"]["summary"],
        format!(
            "the call was sent, but gave no usable answer: sts:AssumeRoleWithWebIdentity: sent to {url}; no answer within 1 s"
        )
    );
    assert_eq!(check_status(&v, "assume"), "failed");
    // The IAM reads say the same of themselves.
    assert_eq!(
        detail(&v, "oidc-provider"),
        format!("iam:ListOpenIDConnectProviders: sent to {url}; no answer within 1 s")
    );
}

#[cfg(feature = "aws")]
#[test]
fn assume_against_a_refusing_endpoint_says_the_call_was_not_sent() {
    let port = listeners::refusing_port();
    let url = format!("http://127.0.0.1:{port}/");
    let v = assume_against(&format!("http://127.0.0.1:{port}"));
    assert_eq!(v["assume"]["outcome"], "not-sent", "{v:#}");
    assert_eq!(
        v["assume"]["summary"],
        format!(
            "the call was not sent: sts:AssumeRoleWithWebIdentity: could not connect to {url} (connection refused)"
        )
    );
    assert_eq!(check_status(&v, "assume"), "skipped");
    assert_eq!(
        detail(&v, "oidc-provider"),
        format!(
            "iam:ListOpenIDConnectProviders: not sent: could not connect to {url} (connection refused)"
        )
    );
}
