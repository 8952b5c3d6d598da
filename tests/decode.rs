//! `oidc-doctor decode` through the real binary: tokens really signed in the test
//! (RS256, ES256), every token rule triggered and its near miss not, signature
//! verification with a JWKS file and with keys fetched from a loopback issuer.
//! Times are judged at `--now`, never at the wall clock.

mod common;
#[path = "support/issuer.rs"]
mod issuer;

use base64::Engine as _;
use common::{oidc_doctor, run_json, stdout_of};
use issuer::{NOW, TestKey, claims, jwks_of, temp_file};
use serde_json::{Value, json};

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn rules_of(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// `decode TOKEN --now NOW+600 --format json` (plus `extra`), any exit code.
fn decode(token: &str, extra: &[&str]) -> Value {
    let now = (NOW + 600).to_string();
    let out = oidc_doctor()
        .args(["decode", token, "--now", &now, "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    common::assert_schema_valid(&v);
    let errors = v["summary"]["errors"].as_u64().unwrap();
    assert_eq!(out.status.code(), Some(i32::from(errors > 0)), "{v:#}");
    v
}

fn with_claims(edit: impl FnOnce(&mut Value)) -> Value {
    let mut c = claims();
    edit(&mut c);
    c
}

#[test]
fn a_good_token_is_shown_with_times_sub_components_and_a_redacted_signature() {
    let key = TestKey::rsa("key-1");
    let token = key.sign(&claims());
    let now = (NOW + 600).to_string();
    let v = run_json(oidc_doctor().args(["decode", &token, "--now", &now]), 0);
    assert_eq!(v["command"], "decode");
    assert_eq!(v["findings"], json!([]));
    assert_eq!(v["token"]["header"]["alg"], "RS256");
    assert_eq!(v["token"]["header"]["kid"], "key-1");
    assert_eq!(v["token"]["claims"]["sub"], claims()["sub"]);
    assert_eq!(v["token"]["signature"], "<redacted: 342 characters>");
    let exp = &v["token"]["times"][2];
    assert_eq!(exp["name"], "exp");
    assert_eq!(exp["unix"], NOW + 3600);
    assert_eq!(exp["rfc3339"], "2026-01-01T01:00:00Z");
    assert_eq!(exp["relative"], "expires in 50 min");
    assert_eq!(
        v["token"]["sub_components"],
        json!([
            {"name": "project_path", "value": "mygroup/app"},
            {"name": "ref_type", "value": "branch"},
            {"name": "ref", "value": "main"}
        ])
    );
    assert_eq!(v["token"]["verification"]["status"], "skipped");
    let signature = token.rsplit('.').next().unwrap();
    let text = v.to_string();
    assert!(!text.contains(signature), "the signature is never printed");

    let human = stdout_of(oidc_doctor().args(["decode", &token, "--now", &now]), 0);
    assert!(!human.contains(signature));
    insta::assert_snapshot!("decode_human", human);
}

#[test]
fn the_token_comes_from_stdin_a_file_or_the_environment() {
    let token = TestKey::rsa("k").sign(&claims());
    let now = NOW.to_string();
    let v = run_json(
        oidc_doctor()
            .args(["decode", "-", "--now", &now])
            .write_stdin(format!("{token}\n")),
        0,
    );
    assert_eq!(v["token"]["claims"]["iss"], issuer::ISSUER);
    let file = temp_file(&token);
    let v = run_json(
        oidc_doctor().args([
            "decode",
            "--token-file",
            file.path().to_str().unwrap(),
            "--now",
            &now,
        ]),
        0,
    );
    assert_eq!(v["token"]["header"]["kid"], "k");
    let v = run_json(
        oidc_doctor()
            .args(["decode", "--now", &now])
            .env("GITLAB_OIDC_TOKEN", &token),
        0,
    );
    assert_eq!(v["token"]["header"]["kid"], "k");
    let v = run_json(
        oidc_doctor().args(["decode", "--token", &token, "--now", &now]),
        0,
    );
    assert_eq!(v["token"]["header"]["kid"], "k");
    let err = oidc_doctor()
        .args(["decode"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&err.stderr).contains("no token"));
}

/// Every token rule: a trigger reports it, its near miss (one change) does not.
#[test]
fn every_token_rule_has_a_trigger_and_a_near_miss() {
    let key = TestKey::rsa("k");
    let long = "x".repeat(20_100);
    let hs = |c: &Value| {
        format!(
            "{}.{}.{}",
            b64(r#"{"alg":"HS256","typ":"JWT"}"#),
            b64(&c.to_string()),
            b64("mac")
        )
    };
    let cases: Vec<(&str, String, String)> = vec![
        (
            "token-expired",
            key.sign(&with_claims(|c| c["exp"] = json!(NOW + 600))),
            key.sign(&with_claims(|c| c["exp"] = json!(NOW + 601))),
        ),
        (
            "token-not-yet-valid",
            key.sign(&with_claims(|c| c["nbf"] = json!(NOW + 601))),
            key.sign(&with_claims(|c| c["nbf"] = json!(NOW + 600))),
        ),
        (
            "token-too-long",
            key.sign(&with_claims(|c| c["pad"] = json!(long))),
            key.sign(&with_claims(|c| c["pad"] = json!("x"))),
        ),
        ("token-alg-unsupported", hs(&claims()), key.sign(&claims())),
        (
            "legacy-ci-job-jwt",
            key.sign(&with_claims(|c| c["iss"] = json!("gitlab.example.test"))),
            key.sign(&claims()),
        ),
        (
            "token-missing-claim",
            key.sign(&with_claims(|c| {
                c.as_object_mut().unwrap().remove("aud");
            })),
            key.sign(&claims()),
        ),
        (
            "multiple-audiences",
            key.sign(&with_claims(|c| {
                c["aud"] = json!(["sts.amazonaws.com", "https://gitlab.com"])
            })),
            key.sign(&with_claims(|c| c["aud"] = json!(["sts.amazonaws.com"]))),
        ),
        (
            "token-malformed",
            key.sign(&with_claims(|c| c["exp"] = json!("tomorrow"))),
            key.sign(&claims()),
        ),
    ];
    for (rule, trigger, near_miss) in &cases {
        let got = rules_of(&decode(trigger, &[]));
        assert!(
            got.contains(&rule.to_string()),
            "{rule}: trigger reported {got:?}"
        );
        let got = rules_of(&decode(near_miss, &[]));
        assert!(
            !got.contains(&rule.to_string()),
            "{rule}: near miss reported {got:?}"
        );
    }
    // The verification rules are covered below; together, every token rule.
    let covered: Vec<&str> = cases
        .iter()
        .map(|c| c.0)
        .chain(["kid-not-in-jwks", "signature-invalid"])
        .collect();
    for r in oidc_doctor::rules::ALL {
        let token_rule = r.name.starts_with("token-")
            || [
                "legacy-ci-job-jwt",
                "multiple-audiences",
                "kid-not-in-jwks",
                "signature-invalid",
            ]
            .contains(&r.name);
        if token_rule {
            assert!(covered.contains(&r.name), "{} has no test", r.name);
        }
    }
}

#[test]
fn every_malformed_shape_names_the_part_and_why() {
    let h = b64(r#"{"alg":"RS256","kid":"k"}"#);
    let c = b64(r#"{"iss":"https://gitlab.com"}"#);
    let s = b64("signature");
    let cases = [
        (
            "opaque-access-token".to_string(),
            "(token part): a JWT has three dot-separated parts, this has 1",
        ),
        (format!("{h}.{c}"), "this has 2"),
        (format!("{h}.{c}.{s}.x.y"), "encrypted JWE"),
        (
            format!("{h}!.{c}.{s}"),
            "(header part): the header part is not base64url",
        ),
        (
            format!("{h}.{c}*.{s}"),
            "(claims part): the claims part is not base64url",
        ),
        (
            format!("{h}.{c}.{s}%"),
            "(signature part): the signature part is not base64url",
        ),
        (
            format!("{}.{c}.{s}", b64("not json")),
            "the header part is not JSON",
        ),
        (
            format!("{h}.{}.{s}", b64("[1,2]")),
            "the claims part is JSON but not an object (found an array)",
        ),
        (format!("{h}.{c}."), "the signature part is empty"),
        (
            format!("{h}.{}.{s}", b64(r#"{"iss":1,"aud":[1]}"#)),
            "the claims' `iss` is a number, not a string",
        ),
        (
            format!("{h}.{}.{s}", b64(r#"{"iss":"https://g","aud":{"x":1}}"#)),
            "the claims' `aud` is an object",
        ),
        (
            format!("{}.{c}.{s}", b64(r#"{"kid":"k"}"#)),
            "the header has no `alg`",
        ),
    ];
    for (token, needle) in cases {
        let v = decode(&token, &[]);
        let malformed: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "token-malformed")
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        assert!(
            malformed.iter().any(|m| m.contains(needle)),
            "{token:?}: expected {needle:?} in {malformed:?}"
        );
        assert_eq!(
            v["findings"][0]["aws_error"],
            "InvalidIdentityToken: The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
        );
    }
}

#[test]
fn signatures_verify_with_a_jwks_file_rs256_and_es256() {
    let rsa = TestKey::rsa("rsa-1");
    let ec = TestKey::ec("ec-1");
    let jwks = temp_file(&jwks_of(&[&rsa, &ec]).to_string());
    let jwks_path = jwks.path().to_str().unwrap();
    for key in [&rsa, &ec] {
        let v = decode(&key.sign(&claims()), &["--jwks-file", jwks_path]);
        assert_eq!(v["findings"], json!([]), "{}", key.alg());
        assert_eq!(v["token"]["verification"]["status"], "verified");
        assert!(
            v["token"]["verification"]["detail"]
                .as_str()
                .unwrap()
                .contains(&format!(
                    "{} signature verified with key {:?}",
                    key.alg(),
                    key.kid()
                )),
            "{v:#}"
        );
    }
}

#[test]
fn a_tampered_token_fails_signature_verification() {
    for key in [TestKey::rsa("k"), TestKey::ec("k")] {
        let jwks = temp_file(&jwks_of(&[&key]).to_string());
        let token = key.sign(&claims());
        let parts: Vec<&str> = token.split('.').collect();
        let forged =
            with_claims(|c| c["sub"] = json!("project_path:mygroup/app:ref_type:branch:ref:prod"));
        let tampered = format!("{}.{}.{}", parts[0], b64(&forged.to_string()), parts[2]);
        let v = decode(&tampered, &["--jwks-file", jwks.path().to_str().unwrap()]);
        assert_eq!(rules_of(&v), ["signature-invalid"], "{}", key.alg());
        assert_eq!(v["token"]["verification"]["status"], "failed");
        // Near miss: the untouched token verifies.
        let v = decode(&token, &["--jwks-file", jwks.path().to_str().unwrap()]);
        assert_eq!(v["token"]["verification"]["status"], "verified");
    }
}

#[test]
fn an_unknown_kid_lists_the_kids_the_jwks_holds() {
    let signer = TestKey::rsa("rotated-away");
    let current = TestKey::rsa("current-1");
    let other = TestKey::ec("current-2");
    let jwks = temp_file(&jwks_of(&[&current, &other]).to_string());
    let v = decode(
        &signer.sign(&claims()),
        &["--jwks-file", jwks.path().to_str().unwrap()],
    );
    assert_eq!(rules_of(&v), ["kid-not-in-jwks"]);
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains(r#""rotated-away""#) && msg.contains(r#""current-1", "current-2""#),
        "{msg}"
    );
    // Near miss: the same key under a listed kid is found (and then its
    // signature is what fails, since it is another key).
    let v = decode(
        &signer.sign_with_kid(&claims(), "current-1"),
        &["--jwks-file", jwks.path().to_str().unwrap()],
    );
    assert_eq!(rules_of(&v), ["signature-invalid"]);
}

#[test]
fn expiry_follows_now() {
    let token = TestKey::ec("k").sign(&claims());
    let v = run_json(
        oidc_doctor().args(["decode", &token, "--now", "2026-01-01T01:00:00Z"]),
        1,
    );
    assert_eq!(rules_of(&v), ["token-expired"]);
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired 0 s ago")
    );
    assert!(
        v["findings"][0]["aws_error"]
            .as_str()
            .unwrap()
            .starts_with("ExpiredTokenException")
    );
    let v = run_json(
        oidc_doctor().args(["decode", &token, "--now", "2026-01-01T03:30:00Z"]),
        1,
    );
    assert_eq!(v["token"]["times"][2]["relative"], "expired 2 h 30 min ago");
    let v = run_json(
        oidc_doctor().args(["decode", &token, "--now", "2026-01-01T00:59:59Z"]),
        0,
    );
    assert_eq!(rules_of(&v), Vec::<String>::new());
}

#[test]
fn verify_fetches_the_keys_from_the_issuer() {
    let key = TestKey::rsa("served-key");
    let pki = issuer::pki(issuer::HOST);
    let server = issuer::serve(issuer::Behaviour::good(&pki, jwks_of(&[&key])));
    let ca = temp_file(&pki.root_pem);
    let v = decode(
        &key.sign(&claims()),
        &[
            "--verify",
            "--connect-to",
            &server.connect_to(),
            "--ca-file",
            ca.path().to_str().unwrap(),
        ],
    );
    assert_eq!(rules_of(&v), Vec::<String>::new(), "{v:#}");
    assert_eq!(v["token"]["verification"]["status"], "verified");
    assert_eq!(
        v["token"]["verification"]["keys_from"],
        "https://gitlab.example.test/oauth/discovery/keys"
    );
    assert_eq!(v["endpoints"]["jwks"]["status"], 200);
    // A token of another issuer's key: the kids present are named.
    let stranger = TestKey::rsa("stranger");
    let v = decode(
        &stranger.sign(&claims()),
        &[
            "--verify",
            "--connect-to",
            &server.connect_to(),
            "--ca-file",
            ca.path().to_str().unwrap(),
        ],
    );
    assert_eq!(rules_of(&v), ["kid-not-in-jwks"]);
}
