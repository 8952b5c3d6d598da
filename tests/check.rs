//! `oidc-doctor check` through the real binary, without AWS: tokens really signed
//! in the test, a real HTTPS issuer on loopback (certificates made at test time),
//! the trust policy from a file and the provider's facts on the command line.
//! Every case asserts the verdict, the predicted AWS error (SPEC §4's precedence)
//! and the exact set of rules. The AWS side (IAM, STS via moto) is in
//! `tests/check_aws.rs`.

mod common;
#[path = "support/issuer.rs"]
mod issuer;

use common::{check_status, oidc_doctor, rule_names as rules, run_json, stdout_of};
use issuer::{Behaviour, HOST, ISSUER, NOW, Pki, Server, TestKey, claims, jwks_of, temp_file};
use serde_json::{Value, json};

const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";
const SUB: &str = "project_path:mygroup/app:ref_type:branch:ref:main";

fn policy(account: &str, sub: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::{account}:oidc-provider/{HOST}")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                format!("{HOST}:aud"): "sts.amazonaws.com",
                format!("{HOST}:sub"): sub
            }}
        }]
    })
    .to_string()
}

/// A healthy loopback issuer, its CA, the key that signs the tokens, and a policy file.
struct World {
    pki: Pki,
    server: Server,
    key: TestKey,
    ca: tempfile::NamedTempFile,
    policy: tempfile::NamedTempFile,
}

fn world_with(policy_text: &str, edit: impl FnOnce(&mut Behaviour)) -> World {
    let pki = issuer::pki(HOST);
    let key = TestKey::rsa("k1");
    let mut b = Behaviour::good(&pki, jwks_of(&[&key]));
    edit(&mut b);
    let server = issuer::serve(b);
    let ca = temp_file(&pki.root_pem);
    World {
        pki,
        server,
        key,
        ca,
        policy: temp_file(policy_text),
    }
}

fn world() -> World {
    world_with(&policy("123456789012", SUB), |_| {})
}

impl World {
    /// `check --format json` with the token, the issuer on loopback, the policy, and
    /// the provider's client ID; `extra` last.
    fn args(&self, token: &str, extra: &[&str]) -> Vec<String> {
        let mut a: Vec<String> = [
            "check",
            "--token",
            token,
            "--now",
            &(NOW + 600).to_string(),
            "--connect-to",
            &self.server.connect_to(),
            "--ca-file",
            self.ca.path().to_str().unwrap(),
            "--policy",
            self.policy.path().to_str().unwrap(),
            "--role-arn",
            ROLE,
            "--no-aws",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    }

    fn check(&self, token: &str, extra: &[&str], code: i32) -> Value {
        run_json(oidc_doctor().args(self.args(token, extra)), code)
    }
}

/// `check --format json` against `server` without `--ca-file` (so its chain is not
/// publicly trusted and AWS would rely on the thumbprint) and without a role;
/// `extra` last.
fn check_by_thumbprint(
    server: &Server,
    token: &str,
    policy: &tempfile::NamedTempFile,
    extra: &[&str],
    code: i32,
) -> Value {
    let now = (NOW + 600).to_string();
    let connect_to = server.connect_to();
    let mut args = vec![
        "check",
        "--token",
        token,
        "--now",
        &now,
        "--connect-to",
        &connect_to,
        "--policy",
        policy.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_json(oidc_doctor().args(args), code)
}

fn with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut c = claims();
    edit(&mut c);
    c
}

#[test]
fn a_healthy_federation_is_allowed_with_every_check_passed_but_the_iam_lookup() {
    let w = world();
    let token = w.key.sign(&claims());
    let v = w.check(&token, &["--provider-client-id", "sts.amazonaws.com"], 0);
    assert_eq!(v["command"], "check");
    assert_eq!(v["verdict"]["status"], "allowed");
    assert_eq!(v["verdict"]["allowed"], true);
    assert_eq!(v["verdict"]["predicted_error"], Value::Null);
    assert_eq!(v["verdict"]["decisive_statements"], json!([0]));
    assert_eq!(rules(&v), Vec::<&str>::new(), "{v:#}");
    for name in [
        "token",
        "token-expiry",
        "issuer",
        "token-signature",
        "audience",
        "trust-policy",
    ] {
        assert_eq!(check_status(&v, name), "passed", "{name}: {v:#}");
    }
    // Without IAM, the provider lookup and its thumbprints are not verified: said, not hidden.
    assert_eq!(check_status(&v, "oidc-provider"), "skipped");
    assert_eq!(check_status(&v, "thumbprint"), "skipped");
    let unverified = v["verdict"]["unverified"].as_array().unwrap();
    assert!(unverified.contains(&json!("oidc-provider")), "{v:#}");
    // The probe's endpoints are part of the report, with the thumbprint AWS would use.
    assert_eq!(v["endpoints"]["jwks"]["status"], 200);
    assert_eq!(
        v["thumbprint"],
        issuer::sha1_hex(w.pki.intermediate.as_ref()),
        "the last certificate the JWKS host serves"
    );
}

#[test]
fn human_output_ends_with_the_verdict_and_the_rcp_caveat() {
    let w = world();
    let token = w.key.sign(&with(|c| {
        c["sub"] = json!("project_path:mygroup/app:ref_type:branch:ref:feature")
    }));
    let out = stdout_of(oidc_doctor().args(w.args(&token, &[])), 1);
    assert!(
        out.contains("Verdict: DENIED: this token WILL NOT be able to assume the role deploy"),
        "{out}"
    );
    assert!(
        out.contains(
            "AWS will answer: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity"
        ),
        "{out}"
    );
    assert!(
        out.contains("the ref differs: the policy wants `main`, the token has `feature`"),
        "{out}"
    );
    assert!(out.contains("== Trust policy =="), "{out}");
    assert!(out.contains("Issuer https://gitlab.example.test"), "{out}");
    assert!(out.contains("resource control policies (RCPs)"), "{out}");
}

#[test]
fn a_sub_that_differs_in_case_is_named_with_the_closest_value() {
    let w = world();
    let token = w.key.sign(&with(|c| {
        c["sub"] = json!("project_path:MyGroup/app:ref_type:branch:ref:main")
    }));
    let v = w.check(&token, &[], 1);
    assert_eq!(v["verdict"]["status"], "denied");
    assert_eq!(v["verdict"]["blocking_rule"], "sub-not-admitted");
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "sub-not-admitted");
    let m = f["message"].as_str().unwrap();
    assert!(m.contains(SUB), "names the closest policy value: {m}");
    assert!(m.contains("case"), "calls the case difference out: {m}");
    assert_eq!(
        f["location"]["pointer"],
        format!("/Statement/0/Condition/StringEquals/{HOST}:sub")
    );
}

#[test]
fn precedence_session_name_before_expiry_before_audience_before_policy() {
    let w = world();
    // Everything wrong at once: expired, wrong audience, sub not admitted.
    let token = w.key.sign(&with(|c| {
        c["sub"] = json!("project_path:mygroup/app:ref_type:branch:ref:feature");
        c["exp"] = json!(NOW + 60);
    }));
    let all = w.check(
        &token,
        &[
            "--provider-client-id",
            "https://gitlab.com",
            "--role-session-name",
            "deploy/main",
        ],
        1,
    );
    assert!(all["verdict"]["predicted_error"]
        .as_str()
        .unwrap()
        .starts_with("ValidationError: 1 validation error detected: Value 'deploy/main' at 'roleSessionName'"));
    assert_eq!(
        rules(&all),
        [
            "role-session-name-invalid",
            "token-expired",
            "audience-not-in-client-ids",
            "sub-not-admitted"
        ],
        "ordered by the stage at which STS stops: {all:#}"
    );
    // Fix the session name: the expiry decides.
    let v = w.check(
        &token,
        &[
            "--provider-client-id",
            "https://gitlab.com",
            "--role-session-name",
            "gitlab-42",
        ],
        1,
    );
    assert_eq!(v["verdict"]["blocking_rule"], "token-expired");
    assert!(
        v["verdict"]["predicted_error"]
            .as_str()
            .unwrap()
            .starts_with("ExpiredTokenException")
    );
    // A valid token: the audience decides.
    let fresh = w.key.sign(&with(|c| {
        c["sub"] = json!("project_path:mygroup/app:ref_type:branch:ref:feature")
    }));
    let v = w.check(&fresh, &["--provider-client-id", "https://gitlab.com"], 1);
    assert_eq!(
        v["verdict"]["predicted_error"],
        "InvalidIdentityToken: Incorrect token audience"
    );
    // The right audience: the trust policy decides.
    let v = w.check(&fresh, &["--provider-client-id", "sts.amazonaws.com"], 1);
    assert_eq!(
        v["verdict"]["predicted_error"],
        "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity"
    );
    assert_eq!(check_status(&v, "audience"), "passed");
}

#[test]
fn azp_is_the_audience_sts_compares_when_present() {
    let w = world();
    let token = w.key.sign(&with(|c| c["azp"] = json!("other-client")));
    let v = w.check(&token, &["--provider-client-id", "sts.amazonaws.com"], 1);
    // The policy's `aud` condition reads `azp` too, so it refuses the token as well.
    assert_eq!(
        rules(&v),
        ["audience-not-in-client-ids", "claim-not-admitted"],
        "{v:#}"
    );
    assert_eq!(v["verdict"]["blocking_rule"], "audience-not-in-client-ids");
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`azp`")
    );
}

#[test]
fn a_tampered_signature_and_an_unknown_kid_are_caught_with_the_issuers_keys() {
    let w = world();
    let token = w.key.sign(&claims());
    let (head, rest) = token.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let other = w.key.sign(&with(|c| {
        c["sub"] = json!("project_path:evil/app:ref_type:branch:ref:main")
    }));
    let (_, other_payload) = other.split_once('.').unwrap();
    let other_payload = other_payload.split_once('.').unwrap().0;
    let forged = format!("{head}.{other_payload}.{sig}");
    let v = w.check(&forged, &[], 1);
    assert!(rules(&v).contains(&"signature-invalid"), "{v:#}");
    assert_eq!(v["verdict"]["blocking_rule"], "signature-invalid");
    assert_eq!(check_status(&v, "token-signature"), "failed");

    let stranger = TestKey::rsa("k9").sign(&claims());
    let v = w.check(&stranger, &[], 1);
    assert_eq!(rules(&v), ["kid-not-in-jwks"], "{v:#}");
}

#[test]
fn an_unreachable_issuer_predicts_the_key_retrieval_error() {
    let w = world_with(&policy("123456789012", SUB), |b| {
        b.discovery_answer = Some((
            403,
            "text/html".into(),
            "<html>Just a moment...</html>".into(),
        ))
    });
    let token = w.key.sign(&claims());
    let v = w.check(&token, &[], 1);
    assert_eq!(v["verdict"]["status"], "denied");
    assert_eq!(v["verdict"]["blocking_stage"], "keys");
    assert!(
        v["verdict"]["predicted_error"]
            .as_str()
            .unwrap()
            .contains("Couldn't retrieve verification key")
    );
    assert_eq!(check_status(&v, "issuer"), "failed");
    // Without keys, the signature could not be checked: skipped, not passed.
    assert_eq!(check_status(&v, "token-signature"), "skipped");
}

#[test]
fn offline_skips_the_issuer_and_says_so_while_the_policy_still_decides() {
    let w = world();
    let token = w.key.sign(&claims());
    let v = w.check(&token, &["--offline"], 0);
    assert_eq!(v["verdict"]["status"], "allowed");
    assert_eq!(check_status(&v, "issuer"), "skipped");
    assert_eq!(check_status(&v, "token-signature"), "skipped");
    let unverified = v["verdict"]["unverified"].as_array().unwrap();
    for name in ["issuer", "token-signature", "oidc-provider"] {
        assert!(unverified.contains(&json!(name)), "{name}: {v:#}");
    }
    assert!(v.get("endpoints").is_none());
    // --jwks-file puts the signature check back without the network.
    let jwks = temp_file(&jwks_of(&[&w.key]).to_string());
    let v = w.check(
        &token,
        &["--offline", "--jwks-file", jwks.path().to_str().unwrap()],
        0,
    );
    assert_eq!(check_status(&v, "token-signature"), "passed");
}

#[test]
fn thumbprints_given_are_compared_with_the_served_chain() {
    // Without the CA the chain is not publicly trusted: AWS relies on the thumbprint.
    let pki = issuer::pki(HOST);
    let key = TestKey::rsa("k1");
    let server = issuer::serve(Behaviour::good(&pki, jwks_of(&[&key])));
    let policy = temp_file(&policy("123456789012", SUB));
    let token = key.sign(&claims());
    let computed = issuer::sha1_hex(pki.intermediate.as_ref());
    let run = |thumbprint: &str, code: i32| {
        check_by_thumbprint(
            &server,
            &token,
            &policy,
            &["--thumbprint", thumbprint],
            code,
        )
    };
    let v = run(&computed, 0);
    assert_eq!(check_status(&v, "thumbprint"), "passed", "{v:#}");
    assert!(rules(&v).contains(&"tls-not-publicly-trusted"));
    let v = run("9e99a48a9960b14926bb7f3b02e22da2b0ab7280", 1);
    assert_eq!(v["verdict"]["blocking_rule"], "thumbprint-mismatch");
    assert_eq!(
        v["verdict"]["predicted_error"],
        "InvalidIdentityToken: OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"
    );
}

#[test]
fn duration_is_judged_against_the_range_and_the_max_session_duration() {
    let w = world();
    let token = w.key.sign(&claims());
    let v = w.check(&token, &["--duration-seconds", "600"], 1);
    assert_eq!(v["verdict"]["blocking_stage"], "request");
    assert!(
        v["verdict"]["predicted_error"]
            .as_str()
            .unwrap()
            .contains("'durationSeconds'")
    );
    let v = w.check(
        &token,
        &[
            "--duration-seconds",
            "7200",
            "--max-session-duration",
            "3600",
        ],
        1,
    );
    assert_eq!(rules(&v), ["duration-exceeds-max-session"]);
    assert_eq!(v["verdict"]["blocking_stage"], "session-duration");
    assert_eq!(
        v["verdict"]["predicted_error"],
        "ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    );
    let v = w.check(
        &token,
        &[
            "--duration-seconds",
            "7200",
            "--max-session-duration",
            "7200",
        ],
        0,
    );
    assert_eq!(check_status(&v, "max-session-duration"), "passed");
}

#[test]
fn a_provider_of_another_account_is_named_as_such() {
    let w = world_with(&policy("111111111111", SUB), |_| {});
    let token = w.key.sign(&claims());
    let v = w.check(&token, &[], 1);
    assert_eq!(rules(&v), ["role-account-mismatch"], "{v:#}");
    let m = v["findings"][0]["message"].as_str().unwrap();
    assert!(
        m.contains("111111111111") && m.contains("123456789012"),
        "{m}"
    );
    assert_eq!(
        v["findings"][0]["location"]["pointer"],
        "/Statement/0/Principal/Federated"
    );
}

#[test]
fn claims_without_a_token_check_the_policy_from_terraform() {
    let tf = temp_file(
        r#"
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/gitlab.com"]
    }
    condition {
      test     = "StringLike"
      variable = "gitlab.com:sub"
      values   = ["project_path:mygroup/app:ref_type:branch:ref:release/*"]
    }
  }
}
"#,
    );
    let path = tf.path().with_extension("tf");
    std::fs::copy(tf.path(), &path).unwrap();
    let p = path.to_str().unwrap();
    let run = |branch: &str, code: i32| {
        run_json(
            oidc_doctor().args([
                "check",
                "--policy",
                p,
                "--offline",
                "--claim",
                &format!("sub=project_path:mygroup/app:ref_type:branch:ref:{branch}"),
                "--claim",
                "aud=https://gitlab.com",
            ]),
            code,
        )
    };
    let v = run("release/1.0", 0);
    assert_eq!(v["verdict"]["status"], "allowed");
    let v = run("main", 1);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sub-not-admitted")
        .unwrap();
    assert_eq!(
        f["location"]["resource"],
        "data.aws_iam_policy_document.trust"
    );
    assert_eq!(f["location"]["line"], 12, "points into the .tf file: {f:#}");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let out = oidc_doctor()
        .args([
            "check",
            "--policy",
            "fixtures/policies/gitlab-main-only.json",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: no token"), "{err}");
    let out = oidc_doctor()
        .args([
            "check",
            "--claim",
            "sub=x",
            "--role-arn",
            "not-an-arn",
            "--offline",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a role ARN"));
}

#[test]
fn without_a_policy_or_role_the_verdict_is_indeterminate_but_token_problems_still_decide() {
    let key = TestKey::rsa("k1");
    let fresh = key.sign(&claims());
    let v = run_json(
        oidc_doctor().args([
            "check",
            "--token",
            &fresh,
            "--now",
            &(NOW + 600).to_string(),
            "--offline",
        ]),
        1,
    );
    assert_eq!(v["verdict"]["status"], "indeterminate");
    assert_eq!(v["verdict"]["allowed"], Value::Null);
    assert_eq!(check_status(&v, "trust-policy"), "skipped");
    let stale = key.sign(&with(|c| c["exp"] = json!(NOW + 60)));
    let v = run_json(
        oidc_doctor().args([
            "check",
            "--token",
            &stale,
            "--now",
            &(NOW + 600).to_string(),
            "--offline",
        ]),
        1,
    );
    assert_eq!(
        v["verdict"]["status"], "denied",
        "an expired token is refused whatever the policy says"
    );
    assert_eq!(v["verdict"]["allowed"], false);
    let _ = ISSUER;
}

#[test]
fn simulate_and_check_read_cloudformation_and_report_a_broken_template_as_a_finding() {
    let v = run_json(
        oidc_doctor().args([
            "simulate",
            "--policy",
            "fixtures/cloudformation/cdk.template.json",
            "--claim",
            "sub=project_path:mygroup/app:ref_type:branch:ref:main",
            "--claim",
            "aud=https://gitlab.com",
        ]),
        0,
    );
    assert_eq!(v["verdict"]["status"], "allowed", "{v:#}");
    let v = run_json(
        oidc_doctor().args([
            "check",
            "--offline",
            "--policy",
            "fixtures/cloudformation/broken.yaml",
            "--claim",
            "sub=project_path:mygroup/app:ref_type:branch:ref:main",
        ]),
        1,
    );
    assert_eq!(v["verdict"]["status"], "indeterminate");
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "parse-error", "{v:#}");
    assert_eq!(
        (
            f["location"]["line"].as_u64(),
            f["location"]["column"].as_u64()
        ),
        (Some(7), Some(1))
    );
}

#[test]
fn a_wildcard_under_string_equals_is_denied_and_named() {
    let w = world_with(
        &policy(
            "123456789012",
            "project_path:mygroup/*:ref_type:branch:ref:main",
        ),
        |_| {},
    );
    let token = w.key.sign(&claims());
    let v = w.check(&token, &[], 1);
    assert_eq!(v["verdict"]["status"], "denied");
    assert_eq!(
        v["verdict"]["predicted_error"],
        "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity"
    );
    let r = rules(&v);
    assert!(r.contains(&"wildcard-in-exact-operator"), "{r:?}");
    assert!(r.contains(&"sub-not-admitted"), "{r:?}");
}

#[test]
fn a_jwks_slower_than_five_seconds_predicts_the_key_retrieval_error() {
    let w = world_with(&policy("123456789012", SUB), |b| {
        b.jwks_delay = std::time::Duration::from_millis(5_300)
    });
    let token = w.key.sign(&claims());
    let v = w.check(&token, &["--timeout", "8"], 1);
    assert_eq!(v["verdict"]["blocking_rule"], "jwks-timeout", "{v:#}");
    assert!(
        v["verdict"]["predicted_error"]
            .as_str()
            .unwrap()
            .starts_with("InvalidIdentityToken: Couldn't retrieve verification key")
    );
    assert!(v["endpoints"]["jwks"]["elapsed_ms"].as_f64().unwrap() >= 5_000.0);
}

#[test]
fn a_self_signed_issuer_with_a_stale_thumbprint_is_refused() {
    let (cert, key_der) = issuer::self_signed(HOST);
    let key = TestKey::rsa("k1");
    let pki = issuer::pki(HOST);
    let mut b = Behaviour::good(&pki, jwks_of(&[&key]));
    b.chain = vec![cert.clone()];
    b.key = std::sync::Arc::new(key_der);
    let server = issuer::serve(b);
    let policy = temp_file(&policy("123456789012", SUB));
    let token = key.sign(&claims());
    let run = |thumbprint: &str, code: i32| {
        check_by_thumbprint(
            &server,
            &token,
            &policy,
            &[
                "--provider-client-id",
                "sts.amazonaws.com",
                "--thumbprint",
                thumbprint,
            ],
            code,
        )
    };
    let v = run("9e99a48a9960b14926bb7f3b02e22da2b0ab7280", 1);
    assert_eq!(v["verdict"]["status"], "denied");
    assert_eq!(
        v["verdict"]["blocking_rule"], "thumbprint-mismatch",
        "{v:#}"
    );
    assert!(rules(&v).contains(&"tls-not-publicly-trusted"));
    // With the self-signed certificate's own thumbprint, AWS would accept it.
    let v = run(&issuer::sha1_hex(cert.as_ref()), 0);
    assert_eq!(v["verdict"]["status"], "allowed", "{v:#}");
}

/// A loopback listener that counts the connections it accepts.
fn counting_listener() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, count)
}

#[test]
fn offline_never_opens_a_socket() {
    let (port, count) = counting_listener();
    let key = TestKey::rsa("k1");
    let token = key.sign(&claims());
    let policy = temp_file(&policy("123456789012", SUB));
    let connect_to = format!("{HOST}:443:127.0.0.1:{port}");
    let args = |offline: bool| {
        let mut a = vec![
            "check".to_string(),
            "--token".into(),
            token.clone(),
            "--now".into(),
            (NOW + 600).to_string(),
            "--connect-to".into(),
            connect_to.clone(),
            "--policy".into(),
            policy.path().to_str().unwrap().into(),
            "--timeout".into(),
            "2".into(),
        ];
        if offline {
            a.push("--offline".into());
        }
        a
    };
    let v = run_json(oidc_doctor().args(args(true)), 0);
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(check_status(&v, "issuer"), "skipped");
    // The same run without --offline does connect to the listener: the count is real.
    let v = run_json(oidc_doctor().args(args(false)), 1);
    assert!(count.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    assert_eq!(check_status(&v, "issuer"), "failed");
}

#[test]
fn an_iac_policy_naming_its_own_accounts_provider_is_judged_in_the_roles_account() {
    // The provider ARN is `${aws_iam_openid_connect_provider.gitlab.arn}` (Terraform
    // JSON) or built from `${AWS::AccountId}` (CloudFormation): the role's own account.
    let claims = [
        "--claim",
        "sub=project_path:mygroup/app:ref_type:branch:ref:main",
        "--claim",
        "aud=https://gitlab.com",
        "--claim",
        "project_id=4711",
        "--claim",
        "ref_protected=true",
    ];
    for role in ["from_string", "from_jsonencode", "trust"] {
        let v = run_json(
            oidc_doctor()
                .args([
                    "check",
                    "--policy",
                    "fixtures/terraform-json/clean.tf.json",
                    "--role",
                    role,
                    "--role-arn",
                    ROLE,
                    "--no-aws",
                    "--offline",
                ])
                .args(claims),
            0,
        );
        assert_eq!(v["verdict"]["status"], "allowed", "{role}: {v:#}");
        assert_eq!(rules(&v), Vec::<&str>::new(), "{role}");
    }
    let v = run_json(
        oidc_doctor()
            .args([
                "check",
                "--policy",
                "fixtures/cloudformation/cdk.template.json",
                "--role-arn",
                ROLE,
                "--no-aws",
                "--offline",
            ])
            .args(&claims[..4]),
        0,
    );
    assert_eq!(v["verdict"]["status"], "allowed", "{v:#}");
    // Several roles and no --role: a usage error naming them.
    let out = oidc_doctor()
        .args([
            "check",
            "--policy",
            "fixtures/terraform-json/clean.tf.json",
            "--offline",
        ])
        .args(claims)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("choose one with --role NAME") && err.contains("aws_iam_role.from_string"),
        "{err}"
    );
}

/// The slim build (`--no-default-features`, no AWS SDK): `check --role-arn` still runs
/// everything else and says why the AWS side was not read.
#[cfg(not(feature = "aws"))]
#[test]
fn a_build_without_aws_support_says_so_and_checks_the_rest() {
    let w = world();
    let token = w.key.sign(&claims());
    let mut args = w.args(&token, &["--provider-client-id", "sts.amazonaws.com"]);
    args.retain(|a| a != "--no-aws");
    let v = run_json(oidc_doctor().args(&args), 0);
    assert_eq!(
        v["verdict"]["status"], "allowed",
        "the policy came from --policy"
    );
    let version = stdout_of(oidc_doctor().arg("--version"), 0);
    assert!(version.contains("(features: none)"), "{version}");
    // Without --policy the role cannot be read: said, and the verdict is indeterminate.
    let mut args = w.args(&token, &[]);
    args.retain(|a| a != "--no-aws");
    let at = args.iter().position(|a| a == "--policy").unwrap();
    args.drain(at..at + 2);
    let v = run_json(oidc_doctor().args(&args), 1);
    assert_eq!(v["verdict"]["status"], "indeterminate");
    let detail = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "trust-policy")
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("built without AWS support"), "{detail}");
}
