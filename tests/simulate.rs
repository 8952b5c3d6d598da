//! `oidc-doctor simulate` as a user runs it: fixture policies, the command line,
//! the output they read (snapshots) and the JSON a pipeline parses (checked field by
//! field and against the output schema).

mod common;

use common::expected::finding;
use common::{gitlab_claims, oidc_doctor, run_json, signed_token, stdout_of};
use serde_json::Value;

const MAIN_ONLY: &str = "fixtures/policies/gitlab-main-only.json";
const ACCESS_DENIED: &str = "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity";

fn sub(project: &str, branch: &str) -> String {
    format!("sub=project_path:{project}:ref_type:branch:ref:{branch}")
}

fn simulate(policy: &str, claims: &[&str]) -> assert_cmd::Command {
    let mut cmd = oidc_doctor();
    cmd.args(["simulate", "--policy", policy]);
    for c in claims {
        cmd.args(["--claim", c]);
    }
    cmd
}

#[test]
fn allowed_on_the_admitted_branch() {
    let main = sub("mygroup/app", "main");
    let claims = [main.as_str(), "aud=https://gitlab.com"];
    insta::assert_snapshot!(stdout_of(&mut simulate(MAIN_ONLY, &claims), 0));
    let v = run_json(&mut simulate(MAIN_ONLY, &claims), 0);
    assert_eq!(v["command"], "simulate");
    assert_eq!(v["verdict"]["status"], "allowed");
    assert_eq!(v["verdict"]["allowed"], true);
    assert_eq!(v["verdict"]["predicted_error"], Value::Null);
    assert_eq!(v["verdict"]["decisive_statements"], serde_json::json!([0]));
    assert_eq!(
        v["verdict"]["unverified"],
        serde_json::json!(["token-signature", "oidc-provider", "issuer"])
    );
    assert_eq!(v["findings"], serde_json::json!([]));
    let conds = &v["trace"][0]["conditions"];
    assert_eq!(conds.as_array().unwrap().len(), 2);
    assert!(
        conds
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["result"] == true)
    );
}

#[test]
fn denied_on_another_branch_names_the_ref() {
    let feature = sub("mygroup/app", "feature");
    let claims = [feature.as_str(), "aud=https://gitlab.com"];
    insta::assert_snapshot!(stdout_of(&mut simulate(MAIN_ONLY, &claims), 1));
    let v = run_json(&mut simulate(MAIN_ONLY, &claims), 1);
    assert_eq!(v["verdict"]["status"], "denied");
    assert_eq!(v["verdict"]["allowed"], false);
    assert_eq!(v["verdict"]["predicted_error"], ACCESS_DENIED);
    assert_eq!(v["verdict"]["decisive_statements"], serde_json::json!([]));
    let f = finding(&v, "sub-not-admitted");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["aws_error"], ACCESS_DENIED);
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("the ref differs: the policy wants `main`, the token has `feature`")
    );
    let loc = &f["location"];
    assert_eq!(
        (loc["line"].as_u64(), loc["column"].as_u64()),
        (Some(14), Some(29))
    );
    assert_eq!(
        loc["pointer"],
        "/Statement/0/Condition/StringEquals/gitlab.com:sub"
    );
    assert_eq!(loc["path"], MAIN_ONLY);
    let sub_trace = &v["trace"][0]["conditions"][1];
    assert_eq!(sub_trace["key"], "gitlab.com:sub");
    assert_eq!(sub_trace["result"], false);
    assert_eq!(
        sub_trace["context"],
        serde_json::json!(["project_path:mygroup/app:ref_type:branch:ref:feature"])
    );
}

#[test]
fn denied_by_a_wildcard_under_string_equals() {
    let policy = "fixtures/policies/string-equals-wildcard.json";
    let feature = sub("mygroup/app", "feature");
    let claims = [feature.as_str(), "aud=https://gitlab.com"];
    insta::assert_snapshot!(stdout_of(&mut simulate(policy, &claims), 1));
    let v = run_json(&mut simulate(policy, &claims), 1);
    assert_eq!(v["verdict"]["status"], "denied");
    let f = finding(&v, "sub-not-admitted");
    assert!(f["message"].as_str().unwrap().contains("literal"), "{f:#}");
    let reason = v["trace"][0]["conditions"][1]["reason"].as_str().unwrap();
    assert!(reason.contains("use StringLike for patterns"), "{reason}");
    // The literal subject `…:ref:*` is what StringEquals really admits.
    let literal = sub("mygroup/app", "*");
    run_json(
        &mut simulate(policy, &[literal.as_str(), "aud=https://gitlab.com"]),
        0,
    );
}

#[test]
fn allowed_by_a_group_wildcard_with_a_namespace_pin() {
    let policy = "fixtures/policies/group-wildcard.json";
    let nested = sub("mygroup/platform/api", "release-1");
    let claims = [
        nested.as_str(),
        "aud=https://gitlab.com",
        "namespace_id=4242",
    ];
    insta::assert_snapshot!(stdout_of(&mut simulate(policy, &claims), 0));
    let v = run_json(&mut simulate(policy, &claims), 0);
    assert_eq!(v["verdict"]["decisive_statements"], serde_json::json!([0]));
    // A numeric claim is typed as a number and compared as text, as STS does.
    assert_eq!(
        v["trace"][0]["conditions"][1]["context"],
        serde_json::json!(["4242"])
    );
    // Another namespace's project does not get in, even with a matching path.
    let other = run_json(
        &mut simulate(
            policy,
            &[nested.as_str(), "aud=https://gitlab.com", "namespace_id=1"],
        ),
        1,
    );
    let f = finding(&other, "claim-not-admitted");
    assert_eq!(
        f["location"]["pointer"],
        "/Statement/0/Condition/StringEquals/gitlab.com:namespace_id"
    );
}

#[test]
fn an_explicit_deny_overrides_the_allow() {
    let policy = "fixtures/policies/deny-overrides-allow.json";
    let sandbox = sub("mygroup/sandbox", "main");
    let claims = [sandbox.as_str(), "aud=https://gitlab.com"];
    insta::assert_snapshot!(stdout_of(&mut simulate(policy, &claims), 1));
    let v = run_json(&mut simulate(policy, &claims), 1);
    assert_eq!(v["verdict"]["status"], "denied");
    assert_eq!(v["verdict"]["decisive_statements"], serde_json::json!([1]));
    assert_eq!(v["trace"][0]["applies"], true, "the Allow matched too");
    assert_eq!(v["trace"][1]["applies"], true);
    assert!(
        v["verdict"]["summary"]
            .as_str()
            .unwrap()
            .contains("explicitly denied by statement 1 (\"NeverFromSandbox\")")
    );
    let app = sub("mygroup/app", "main");
    let v = run_json(
        &mut simulate(policy, &[app.as_str(), "aud=https://gitlab.com"]),
        0,
    );
    assert_eq!(v["verdict"]["decisive_statements"], serde_json::json!([0]));
}

#[test]
fn malformed_json_is_a_finding_with_line_and_column() {
    let policy = "fixtures/policies/malformed-trailing-comma.json";
    let main = sub("mygroup/app", "main");
    insta::assert_snapshot!(stdout_of(&mut simulate(policy, &[main.as_str()]), 1));
    let v = run_json(&mut simulate(policy, &[main.as_str()]), 1);
    let f = finding(&v, "invalid-policy-json");
    assert_eq!(f["severity"], "error");
    assert!(f["message"].as_str().unwrap().contains("trailing comma"));
    assert_eq!(
        (
            f["location"]["line"].as_u64(),
            f["location"]["column"].as_u64()
        ),
        (Some(9), Some(48))
    );
    assert_eq!(v["verdict"]["status"], "indeterminate");
    assert_eq!(v["verdict"]["allowed"], Value::Null);
    assert_eq!(v["trace"], serde_json::json!([]));
}

#[test]
fn hostile_policy_files_are_findings_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("deep.json", "[".repeat(200_000).into_bytes()),
        ("binary.json", vec![b'{', 0xff, 0xfe, b'}']),
        ("empty.json", Vec::new()),
        ("array.json", b"[1, 2]".to_vec()),
        (
            "comment.json",
            b"{\"Version\": \"2012-10-17\" // x\n}".to_vec(),
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let v = run_json(&mut simulate(path.to_str().unwrap(), &["sub=x"]), 1);
        let f = finding(&v, "invalid-policy-json");
        assert!(f["location"]["line"].as_u64().is_some(), "{name}: {f:#}");
        assert_eq!(v["verdict"]["status"], "indeterminate", "{name}");
    }
}

#[test]
fn unknown_operator_is_reported_with_the_nearest_name() {
    let policy = "fixtures/policies/unknown-operator.json";
    let main = sub("mygroup/app", "main");
    insta::assert_snapshot!(stdout_of(&mut simulate(policy, &[main.as_str()]), 1));
    let v = run_json(&mut simulate(policy, &[main.as_str()]), 1);
    let f = finding(&v, "unknown-condition-operator");
    assert_eq!(f["help"], "did you mean `StringEquals`?");
    assert_eq!(
        (
            f["location"]["line"].as_u64(),
            f["location"]["column"].as_u64()
        ),
        (Some(11), Some(9))
    );
    assert_eq!(f["location"]["pointer"], "/Statement/0/Condition/StringEq");
    assert_eq!(
        v["verdict"]["status"], "denied",
        "the statement cannot apply"
    );
}

#[test]
fn token_claims_with_overrides() {
    let token = signed_token(&gitlab_claims("mygroup/app", "feature"));
    // The real token is on `feature`: denied.
    let mut cmd = oidc_doctor();
    cmd.args(["simulate", "--policy", MAIN_ONLY, "--token", &token]);
    let v = run_json(&mut cmd, 1);
    assert_eq!(v["verdict"]["status"], "denied");
    let sig = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "token-signature")
        .unwrap();
    assert_eq!(sig["status"], "skipped");
    assert!(
        sig["detail"]
            .as_str()
            .unwrap()
            .contains("without verifying")
    );
    // "What if it ran on main?" — from stdin, with one claim overridden.
    let main = sub("mygroup/app", "main");
    let mut cmd = oidc_doctor();
    cmd.args([
        "simulate", "--policy", MAIN_ONLY, "--token", "-", "--claim", &main,
    ])
    .write_stdin(format!("{token}\n"));
    let v = run_json(&mut cmd, 0);
    assert_eq!(v["verdict"]["status"], "allowed");
    // From the environment, as in a CI job.
    let mut cmd = oidc_doctor();
    cmd.args(["simulate", "--policy", MAIN_ONLY])
        .env("GITLAB_OIDC_TOKEN", &token);
    let out = stdout_of(&mut cmd, 1);
    assert!(
        out.contains("claims from the token, signature not verified"),
        "{out}"
    );
    assert!(
        !out.contains(token.rsplit('.').next().unwrap()),
        "the signature is never printed"
    );
}

#[test]
fn a_malformed_token_predicts_the_not_a_jwt_error() {
    let mut cmd = oidc_doctor();
    cmd.args([
        "simulate",
        "--policy",
        MAIN_ONLY,
        "--token",
        "glpat-notajwt",
    ]);
    let v = run_json(&mut cmd, 1);
    let f = finding(&v, "token-malformed");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("three dot-separated parts")
    );
    assert_eq!(f["location"], Value::Null);
    assert_eq!(v["verdict"]["status"], "indeterminate");
    assert!(
        v["verdict"]["predicted_error"]
            .as_str()
            .unwrap()
            .starts_with("InvalidIdentityToken: The ID Token provided is not a valid JWT")
    );
}

#[test]
fn role_arn_supplies_the_account_the_principal_must_name() {
    let main = sub("mygroup/app", "main");
    let mut cmd = simulate(MAIN_ONLY, &[main.as_str(), "aud=https://gitlab.com"]);
    cmd.args(["--role-arn", "arn:aws:iam::999999999999:role/Deploy"]);
    let v = run_json(&mut cmd, 1);
    let f = finding(&v, "issuer-provider-mismatch");
    assert!(
        f["help"]
            .as_str()
            .unwrap()
            .contains("arn:aws:iam::999999999999:oidc-provider/gitlab.com")
    );
    assert_eq!(f["location"]["pointer"], "/Statement/0/Principal");
    let mut cmd = simulate(MAIN_ONLY, &[main.as_str(), "aud=https://gitlab.com"]);
    cmd.env("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/Deploy");
    run_json(&mut cmd, 0);
}

#[test]
fn request_context_keys_come_from_context_flags() {
    let policy = "fixtures/policies/source-ip.json";
    let main = sub("mygroup/app", "main");
    let v = run_json(&mut simulate(policy, &[main.as_str()]), 1);
    assert_eq!(
        v["verdict"]["depends_on"],
        serde_json::json!(["aws:SourceIp"])
    );
    let out = stdout_of(&mut simulate(policy, &[main.as_str()]), 1);
    assert!(
        out.contains("depends on request keys that were not given: aws:SourceIp"),
        "{out}"
    );
    let mut cmd = simulate(policy, &[main.as_str()]);
    cmd.args(["--context", "aws:SourceIp=203.0.113.44"]);
    let v = run_json(&mut cmd, 0);
    assert_eq!(v["verdict"]["depends_on"], serde_json::json!([]));
    let mut cmd = simulate(policy, &[main.as_str()]);
    cmd.args(["--context", "aws:SourceIp=198.51.100.1"]);
    run_json(&mut cmd, 1);
}

#[test]
fn fail_on_adds_findings_to_the_exit_status() {
    // Allowed, but the policy carries a duplicate key: exit 0 unless --fail-on asks.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("dup.json");
    let text = std::fs::read_to_string(common::root().join(MAIN_ONLY))
        .unwrap()
        .replace(
            "\"Effect\": \"Allow\",",
            "\"Effect\": \"Allow\",\n      \"Effect\": \"Allow\",",
        );
    std::fs::write(&path, text).unwrap();
    let main = sub("mygroup/app", "main");
    let claims = [main.as_str(), "aud=https://gitlab.com"];
    let v = run_json(&mut simulate(path.to_str().unwrap(), &claims), 0);
    assert_eq!(
        finding(&v, "duplicate-json-key")["location"]["pointer"],
        "/Statement/0/Effect"
    );
    let mut cmd = simulate(path.to_str().unwrap(), &claims);
    cmd.args(["--fail-on", "error"]);
    run_json(&mut cmd, 1);
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    for (args, needle) in [
        (vec!["simulate", "--policy", MAIN_ONLY], "no claims"),
        (
            vec![
                "simulate",
                "--policy",
                "fixtures/policies/missing.json",
                "--claim",
                "sub=x",
            ],
            "cannot read fixtures/policies/missing.json",
        ),
        (
            vec!["simulate", "--policy", MAIN_ONLY, "--claim", "sub"],
            "expected KEY=VALUE",
        ),
        (
            vec![
                "simulate",
                "--policy",
                MAIN_ONLY,
                "--claim",
                "sub=x",
                "--role-arn",
                "Deploy",
            ],
            "not a role ARN",
        ),
        (
            vec![
                "simulate", "--policy", MAIN_ONLY, "--claim", "sub=x", "--now", "soon",
            ],
            "RFC 3339",
        ),
        (vec!["simulate", "--claim", "sub=x"], "--policy"),
    ] {
        let out = oidc_doctor()
            .args(&args)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn every_subcommand_help_has_an_example() {
    let out = stdout_of(oidc_doctor().args(["simulate", "--help"]), 0);
    assert!(
        out.contains("Examples:") && out.contains("oidc-doctor simulate --policy"),
        "{out}"
    );
    let out = stdout_of(oidc_doctor().arg("--help"), 0);
    assert!(out.contains("Examples:"), "{out}");
    // Every subcommand the top-level help lists.
    let commands: Vec<String> = out
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let rest = l.strip_prefix("  ").filter(|r| !r.starts_with(' '))?;
            rest.split_whitespace().next().map(str::to_string)
        })
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 4, "{commands:?}");
    for c in commands {
        let help = stdout_of(oidc_doctor().args([c.as_str(), "--help"]), 0);
        assert!(
            help.contains("Examples:") && help.contains(&format!("oidc-doctor {c}")),
            "`{c} --help` has no example:\n{help}"
        );
    }
}

/// The schema is the project's own copy (docs/output-schema.json, owned here
/// since the spec's copy lives outside the repository): it must stay a valid
/// draft 2020-12 schema, and name every command that prints JSON.
#[test]
fn vendored_schema_is_a_valid_schema_naming_every_json_command() {
    let vendored: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("docs/output-schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        vendored["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    jsonschema::meta::validate(&vendored).expect("a valid draft 2020-12 schema");
    let commands: Vec<&str> = vendored["properties"]["command"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    for c in [
        "lint", "check", "simulate", "who", "decode", "probe", "explain", "rules",
    ] {
        assert!(commands.contains(&c), "{c} missing from {commands:?}");
    }
}
