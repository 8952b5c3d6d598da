//! `oidc_doctor::aws` against moto's AWS emulator on loopback: the real SDK, real HTTP, real
//! IAM/STS wire formats (moto, like IAM, returns the trust policy URL-encoded).
//!
//! Resources are created with the SDK itself, with explicit dummy credentials; the one test
//! that needs a process without any AWS configuration runs in a child process with a cleared
//! environment, so no test mutates this process's environment.

#![cfg(feature = "aws")]

#[path = "support/moto.rs"]
mod moto;

use std::process::Command;
use std::time::{Duration, Instant};

use moto::{MotoServer, iam_admin as admin};
use oidc_doctor::aws::{
    AssumedRole, AwsClient, AwsError, AwsSettings, NO_CREDENTIALS_HINT, ProviderFacts,
};
use serde_json::{Value, json};

/// moto's fixed account.
const ACCOUNT: &str = "123456789012";

fn settings(endpoint: &str, timeout: Duration) -> AwsSettings {
    AwsSettings {
        profile: None,
        region: Some("us-east-1".to_string()),
        endpoint_url: Some(endpoint.to_string()),
        timeout,
    }
}

async fn client(moto: &MotoServer) -> AwsClient {
    AwsClient::with_static_credentials(
        &settings(&moto.url(), Duration::from_secs(10)),
        "testing",
        "testing",
    )
    .await
}

fn trust_policy(sub: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.com")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"gitlab.com:aud": "https://gitlab.com"},
                "StringLike": {"gitlab.com:sub": sub}
            }
        }]
    })
}

async fn create_role(moto: &MotoServer, name: &str, path: &str, policy: &Value, max: Option<i32>) {
    admin(moto)
        .create_role()
        .role_name(name)
        .path(path)
        .assume_role_policy_document(policy.to_string())
        .set_max_session_duration(max)
        .send()
        .await
        .expect("create role in moto");
}

#[tokio::test]
async fn get_role_returns_the_decoded_trust_policy_and_max_session_duration() {
    let moto = MotoServer::shared();
    // Characters URL-encoding changes: space, `+`, `/`, `:`, `*`, `"` and non-ASCII.
    let policy = trust_policy("project_path:my group/app+x:ref_type:branch:ref:fix/ü*");
    create_role(moto, "plain-role", "/", &policy, Some(7200)).await;

    let facts = client(moto)
        .await
        .get_role(&format!("arn:aws:iam::{ACCOUNT}:role/plain-role"))
        .await
        .expect("get_role");

    assert_eq!(facts.arn, format!("arn:aws:iam::{ACCOUNT}:role/plain-role"));
    assert_eq!(facts.role_name, "plain-role");
    assert_eq!(facts.account, ACCOUNT);
    assert_eq!(facts.max_session_duration, Some(7200));
    assert!(
        facts.trust_policy.starts_with('{'),
        "not decoded: {}",
        facts.trust_policy
    );
    let decoded: Value = serde_json::from_str(&facts.trust_policy).expect("policy JSON");
    assert_eq!(decoded, policy);
}

#[tokio::test]
async fn get_role_takes_an_arn_with_a_path() {
    let moto = MotoServer::shared();
    let policy = trust_policy("project_path:g/p:ref_type:branch:ref:main");
    create_role(moto, "path-deploy", "/ci/", &policy, None).await;

    let arn = format!("arn:aws:iam::{ACCOUNT}:role/ci/path-deploy");
    let facts = client(moto).await.get_role(&arn).await.expect("get_role");

    assert_eq!(facts.arn, arn);
    assert_eq!(facts.role_name, "path-deploy");
    // IAM's default when CreateRole does not say.
    assert_eq!(facts.max_session_duration, Some(3600));
    let decoded: Value = serde_json::from_str(&facts.trust_policy).expect("policy JSON");
    assert_eq!(decoded, policy);
}

#[tokio::test]
async fn get_role_for_a_missing_role_is_no_such_entity() {
    let moto = MotoServer::shared();
    let err = client(moto)
        .await
        .get_role(&format!("arn:aws:iam::{ACCOUNT}:role/does-not-exist"))
        .await
        .expect_err("no such role");
    match &err {
        AwsError::Service { code, message } => {
            assert_eq!(code, "NoSuchEntity");
            assert!(message.contains("does-not-exist"), "{message}");
        }
        other => panic!("expected NoSuchEntity, got {other:?}"),
    }
    assert!(!err.to_string().contains('\n'));
}

#[tokio::test]
async fn get_role_refuses_a_malformed_arn_before_calling_iam() {
    // A closed port: a call would be a NotSent error, so ValidationError proves none was made.
    let endpoint = format!("http://127.0.0.1:{}", moto::free_port());
    let client = AwsClient::with_static_credentials(
        &settings(&endpoint, Duration::from_secs(5)),
        "testing",
        "testing",
    )
    .await;
    let err = client
        .get_role("arn:aws:iam::123456789012:user/alice")
        .await
        .expect_err("not a role");
    assert_eq!(err.code(), Some("ValidationError"), "{err:?}");
}

#[tokio::test]
async fn list_providers_returns_urls_client_ids_and_thumbprints() {
    let moto = MotoServer::shared();
    let admin = admin(moto);
    let first = admin
        .create_open_id_connect_provider()
        .url("https://gitlab.list-a.example")
        .client_id_list("https://gitlab.list-a.example")
        .thumbprint_list("a".repeat(40))
        .send()
        .await
        .expect("create provider a");
    let second = admin
        .create_open_id_connect_provider()
        .url("https://gitlab.list-b.example/group")
        .client_id_list("sts.amazonaws.com")
        .client_id_list("https://gitlab.list-b.example")
        .thumbprint_list("b".repeat(40))
        .thumbprint_list("c".repeat(40))
        .send()
        .await
        .expect("create provider b");
    let arns = [
        first.open_id_connect_provider_arn().expect("arn a"),
        second.open_id_connect_provider_arn().expect("arn b"),
    ];

    let providers = client(moto).await.list_providers().await.expect("list");
    let mut ours: Vec<&ProviderFacts> = providers
        .iter()
        .filter(|p| arns.contains(&p.arn.as_str()))
        .collect();
    ours.sort_by_key(|p| p.arn.clone());

    assert_eq!(ours.len(), 2, "{providers:?}");
    assert_eq!(
        ours[0].arn,
        format!("arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.list-a.example")
    );
    assert_eq!(ours[0].url, "gitlab.list-a.example");
    assert_eq!(ours[0].client_ids, ["https://gitlab.list-a.example"]);
    assert_eq!(ours[0].thumbprints, ["a".repeat(40)]);
    assert_eq!(
        ours[1].arn,
        format!("arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.list-b.example/group")
    );
    assert_eq!(ours[1].url, "gitlab.list-b.example/group");
    assert_eq!(
        ours[1].client_ids,
        ["sts.amazonaws.com", "https://gitlab.list-b.example"]
    );
    assert_eq!(ours[1].thumbprints, ["b".repeat(40), "c".repeat(40)]);
}

/// What a successful call returns, checked field by field. The exhaustive pattern stops
/// compiling if a field is added, so a credentials field cannot slip in unnoticed.
fn check_assumed(assumed: AssumedRole, role: &str, session: &str) {
    let AssumedRole {
        assumed_role_arn,
        assumed_role_id,
        expiration,
        subject_from_web_identity_token,
        audience,
        provider,
    } = assumed;
    assert_eq!(
        assumed_role_arn,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}")
    );
    let id = assumed_role_id.expect("assumed role id");
    assert!(id.ends_with(&format!(":{session}")), "{id}");
    let expiration = expiration.expect("expiration");
    chrono::DateTime::parse_from_rfc3339(&expiration)
        .unwrap_or_else(|e| panic!("not RFC 3339: {expiration}: {e}"));
    // moto does not send these; real STS does.
    assert_eq!(subject_from_web_identity_token, None);
    assert_eq!(audience, None);
    assert_eq!(provider, None);
}

#[tokio::test]
async fn assume_role_with_web_identity_returns_the_outcome_without_credentials() {
    let moto = MotoServer::shared();
    let policy = trust_policy("project_path:g/p:ref_type:branch:ref:main");
    create_role(moto, "assume-target", "/", &policy, Some(7200)).await;

    // The standard constructor: whatever this process's credentials, the STS client has none.
    let client = AwsClient::new(&settings(&moto.url(), Duration::from_secs(10))).await;
    let assumed = client
        .assume_role_with_web_identity(
            &format!("arn:aws:iam::{ACCOUNT}:role/assume-target"),
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
            "gitlab-job-42",
            Some(900),
        )
        .await
        .expect("assume");
    let debug = format!("{assumed:?}");
    assert!(!debug.contains("ASIA"), "looks like an access key: {debug}");
    check_assumed(assumed, "assume-target", "gitlab-job-42");
}

#[tokio::test]
async fn a_closed_port_is_not_sent_within_the_timeout() {
    let endpoint = format!("http://127.0.0.1:{}", moto::free_port());
    let timeout = Duration::from_secs(3);
    let client =
        AwsClient::with_static_credentials(&settings(&endpoint, timeout), "testing", "testing")
            .await;

    let start = Instant::now();
    let err = client
        .get_role(&format!("arn:aws:iam::{ACCOUNT}:role/x"))
        .await
        .expect_err("nothing listens");
    let refused = format!("could not connect to {endpoint}/ (connection refused)");
    assert_eq!(
        err,
        AwsError::NotSent {
            detail: refused.clone()
        }
    );
    let err = client
        .assume_role_with_web_identity(
            &format!("arn:aws:iam::{ACCOUNT}:role/x"),
            "token",
            "session",
            None,
        )
        .await
        .expect_err("nothing listens");
    assert_eq!(err, AwsError::NotSent { detail: refused });
    // Two calls, each bounded by the timeout (retries included).
    assert!(
        start.elapsed() < 2 * timeout + Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert!(!err.to_string().contains('\n'), "{err}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_sent_and_unanswered() {
    // Accepts connections (the kernel's backlog) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", silent.local_addr().expect("addr"));
    let timeout = Duration::from_secs(2);
    let client =
        AwsClient::with_static_credentials(&settings(&endpoint, timeout), "testing", "testing")
            .await;

    let start = Instant::now();
    let err = client.list_providers().await.expect_err("no answer");
    let elapsed = start.elapsed();
    match &err {
        AwsError::Unanswered { detail } => {
            assert_eq!(
                detail,
                &format!("sent to {endpoint}/; no answer within 2 s")
            )
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(elapsed >= timeout, "{elapsed:?}");
    assert!(elapsed < timeout + Duration::from_secs(3), "{elapsed:?}");
    drop(silent);
}

/// Runs [`child_without_any_aws_configuration`] in a child process whose environment holds no
/// AWS configuration at all: empty HOME, config and credentials files that do not exist, IMDS
/// disabled, and moto's address only through `AWS_ENDPOINT_URL`.
#[test]
fn without_credentials_iam_says_so_quickly_and_assume_still_works() {
    let moto = MotoServer::shared();
    let home = tempfile::tempdir().expect("temp home");
    let exe = std::env::current_exe().expect("test binary");
    let output = Command::new(exe)
        .args([
            "child_without_any_aws_configuration",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env("OIDC_DOCTOR_AWS_CHILD", "1")
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", moto.url())
        .output()
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{stderr}"
    );
}

#[tokio::test]
#[ignore = "runs as a child process of without_credentials_iam_says_so_quickly_and_assume_still_works"]
async fn child_without_any_aws_configuration() {
    if std::env::var_os("OIDC_DOCTOR_AWS_CHILD").is_none() {
        eprintln!("only meaningful in the clean environment its parent test sets up");
        return;
    }
    // No profile, no region, no endpoint: all from the (empty) environment, AWS_ENDPOINT_URL aside.
    let settings = AwsSettings {
        timeout: Duration::from_secs(10),
        ..AwsSettings::default()
    };
    let client = AwsClient::new(&settings).await;

    let start = Instant::now();
    let err = client
        .get_role(&format!("arn:aws:iam::{ACCOUNT}:role/any"))
        .await
        .expect_err("no credentials");
    assert_eq!(
        err,
        AwsError::NoCredentials {
            detail: NO_CREDENTIALS_HINT.to_string()
        }
    );
    assert_eq!(err.to_string(), NO_CREDENTIALS_HINT);
    let err = client.list_providers().await.expect_err("no credentials");
    assert!(matches!(err, AwsError::NoCredentials { .. }), "{err:?}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );

    // The unsigned call needs none.
    let assumed = client
        .assume_role_with_web_identity(
            &format!("arn:aws:iam::{ACCOUNT}:role/child-target"),
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
            "child-session",
            None,
        )
        .await
        .expect("assume without credentials");
    check_assumed(assumed, "child-target", "child-session");
}
