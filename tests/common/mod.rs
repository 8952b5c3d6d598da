//! Helpers shared by the CLI tests: the real binary with a clean environment,
//! JSON-schema validation of real output, and really signed test tokens.

#![allow(dead_code)]

use std::path::PathBuf;

pub mod expected;

use assert_cmd::Command;
use base64::Engine as _;
use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary, run from the crate root, with no ambient token, role, CI project
/// directory or colour.
pub fn oidc_doctor() -> Command {
    let mut cmd = Command::cargo_bin("oidc-doctor").expect("binary builds");
    cmd.current_dir(root())
        .env_remove("GITLAB_OIDC_TOKEN")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_ROLE_ARN")
        .env_remove("CI_PROJECT_DIR")
        .env("NO_COLOR", "1");
    cmd
}

/// Validates a JSON document against the vendored output schema (docs/output-schema.json).
pub fn assert_schema_valid(output: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/output-schema.json"))
            .expect("schema is vendored"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(output)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "output violates the schema:\n{}\n{output:#}",
        errors.join("\n")
    );
}

/// Runs the command, expects `code`, parses stdout as JSON and validates it.
pub fn run_json(cmd: &mut Command, code: i32) -> Value {
    let out = cmd
        .arg("--format")
        .arg("json")
        .assert()
        .code(code)
        .get_output()
        .clone();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_schema_valid(&v);
    v
}

pub fn stdout_of(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code).get_output().clone();
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token really signed with RS256 by a key generated here, as GitLab signs them.
pub fn signed_token(claims: &Value) -> String {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
    let key = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "test-key"});
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .expect("signing");
    format!("{signing_input}.{}", b64(&signature))
}

/// GitLab-shaped claims for a pipeline of `project` on `branch`.
pub fn gitlab_claims(project: &str, branch: &str) -> Value {
    serde_json::json!({
        "iss": "https://gitlab.com",
        "aud": "https://gitlab.com",
        "sub": format!("project_path:{project}:ref_type:branch:ref:{branch}"),
        "project_path": project,
        "project_id": "4711",
        "namespace_id": "4242",
        "ref": branch,
        "ref_type": "branch",
        "ref_protected": "true",
        "runner_id": 12,
        "iat": 1767225600,
        "nbf": 1767225595,
        "exp": 1767229200
    })
}

/// The rule names of a JSON report's findings, in order.
pub fn rule_names(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().expect("rule"))
        .collect()
}

/// The status (`passed`/`failed`/`skipped`) of the check `name` in a JSON report.
pub fn check_status<'a>(v: &'a Value, name: &str) -> &'a str {
    v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {v:#}"))["status"]
        .as_str()
        .expect("status")
}
