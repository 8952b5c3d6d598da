//! The shipped integrations: `templates/oidc-doctor.gitlab-ci.yml` is valid YAML
//! whose script lines really run (through `sh`, with the test's binary on PATH)
//! against fixtures, and `.pre-commit-hooks.yaml` parses and names a command the
//! binary has.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::root;
use oidc_doctor::json::{Node, Value};

fn load(path: &str) -> Node {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let mut docs = oidc_doctor::yaml::load(&text, &|_| None).unwrap_or_else(|e| {
        panic!(
            "{path} is not valid YAML at byte {}: {}",
            e.offset, e.message
        )
    });
    assert_eq!(docs.len(), 1, "{path}: one document");
    docs.remove(0)
}

fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.value {
        Value::Object(members) => members.iter().find(|m| m.key == key).map(|m| &m.value),
        _ => None,
    }
}

fn str_of(node: &Node) -> &str {
    match &node.value {
        Value::String(s) => s,
        other => panic!("not a string: {other:?}"),
    }
}

fn script(job: &Node) -> Vec<String> {
    match &get(job, "script").expect("a script").value {
        Value::Array(lines) => lines.iter().map(|l| str_of(l).to_string()).collect(),
        other => panic!("script is not a list: {other:?}"),
    }
}

/// A directory holding the test's `oidc-doctor` (and any fake tools) for PATH.
fn bin_dir() -> PathBuf {
    let exe = assert_cmd::cargo::cargo_bin("oidc-doctor");
    exe.parent().unwrap().to_path_buf()
}

fn sh(line: &str, dir: &Path, vars: &[(&str, &str)], extra_path: Option<&Path>) -> (i32, String) {
    let mut path = bin_dir().display().to_string();
    if let Some(p) = extra_path {
        path = format!("{}:{path}", p.display());
    }
    path = format!("{path}:{}", std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(line)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("GITLAB_OIDC_TOKEN")
        .env_remove("AWS_ROLE_ARN")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn template_variables(doc: &Node) -> Vec<(String, String)> {
    match &get(doc, "variables").expect("variables").value {
        Value::Object(members) => members
            .iter()
            .map(|m| (m.key.clone(), str_of(&m.value).to_string()))
            .collect(),
        _ => panic!("variables is not a map"),
    }
}

#[test]
fn the_lint_job_writes_a_code_quality_report_and_fails_on_errors() {
    let doc = load("templates/oidc-doctor.gitlab-ci.yml");
    let job = get(&doc, "oidc-doctor-lint").expect("the lint job");
    assert_eq!(
        str_of(get(job, "extends").unwrap()),
        ".oidc-doctor-base",
        "installs through the base job"
    );
    let report = get(
        get(get(job, "artifacts").unwrap(), "reports").unwrap(),
        "codequality",
    )
    .map(str_of);
    assert_eq!(report, Some("gl-code-quality-report.json"));
    let lines = script(job);
    let defaults = template_variables(&doc);
    let fail_on = defaults
        .iter()
        .find(|(k, _)| k == "OIDC_DOCTOR_FAIL_ON")
        .map(|(_, v)| v.as_str())
        .unwrap();

    for (fixture, expect_fail) in [
        ("fixtures/policies/string-equals-wildcard.json", true),
        ("fixtures/policies/clean-self-managed.json", false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(root().join(fixture), dir.path().join("trust.json")).unwrap();
        let vars = [
            ("OIDC_DOCTOR_PATHS", "."),
            ("OIDC_DOCTOR_FAIL_ON", fail_on),
            ("CI_PROJECT_DIR", dir.path().to_str().unwrap()),
        ];
        let mut last = 0;
        for line in &lines {
            let (code, out) = sh(line, dir.path(), &vars, None);
            assert!(code == 0 || code == 1, "{line}: exit {code}\n{out}");
            last = code;
        }
        assert_eq!(last == 1, expect_fail, "{fixture}: the job's verdict");
        let report: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join("gl-code-quality-report.json")).unwrap(),
        )
        .expect("the report is JSON");
        let issues = report.as_array().expect("an array of issues");
        assert_eq!(
            issues
                .iter()
                .any(|i| i["severity"] == "major" || i["severity"] == "critical"),
            expect_fail,
            "{report:#}"
        );
        for i in issues {
            assert_eq!(
                i["location"]["path"], "trust.json",
                "paths relative to the project"
            );
        }
    }
}

#[test]
fn the_troubleshooting_snippet_runs_check_when_the_call_fails() {
    let doc = load("templates/oidc-doctor.gitlab-ci.yml");
    let job = get(&doc, ".oidc-doctor-troubleshoot").expect("the troubleshooting job");
    let tokens = get(job, "id_tokens").expect("the job asks for an ID token");
    assert!(get(tokens, "GITLAB_OIDC_TOKEN").is_some());
    let lines = script(job);
    assert_eq!(lines.len(), 1);

    // A fake `aws` that fails as STS does, so the `||` branch runs.
    let fake = tempfile::tempdir().unwrap();
    let aws = fake.path().join("aws");
    std::fs::write(
        &aws,
        "#!/bin/sh\necho 'An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity' >&2\nexit 254\n",
    )
    .unwrap();
    std::fs::set_permissions(&aws, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // The token's issuer is a closed loopback port and AWS a closed loopback
    // endpoint: nothing leaves the machine, and both are reported as unreachable.
    let token = common::signed_token(&serde_json::json!({
        "iss": "https://127.0.0.1:9",
        "aud": "https://gitlab.com",
        "sub": "project_path:mygroup/app:ref_type:branch:ref:main",
        "iat": 1767225600, "nbf": 1767225595, "exp": 1767229200
    }));
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = sh(
        &lines[0],
        dir.path(),
        &[
            ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/deploy"),
            ("CI_JOB_ID", "42"),
            ("GITLAB_OIDC_TOKEN", &token),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_REGION", "us-east-1"),
        ],
        Some(fake.path()),
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("An error occurred (AccessDenied)"),
        "the call ran: {out}"
    );
    assert!(out.contains("Verdict:"), "then the diagnosis: {out}");
    assert!(
        out.contains("issuer-has-port"),
        "of the job's own token: {out}"
    );
}

#[test]
fn the_pre_commit_manifest_names_a_real_entry_point() {
    let doc = load(".pre-commit-hooks.yaml");
    let Value::Array(hooks) = &doc.value else {
        panic!("a list of hooks");
    };
    assert!(!hooks.is_empty());
    for hook in hooks {
        for key in ["id", "name", "entry", "language"] {
            assert!(get(hook, key).is_some(), "hook without {key}");
        }
        let entry = str_of(get(hook, "entry").unwrap());
        let mut words = entry.split_whitespace();
        assert_eq!(words.next(), Some("oidc-doctor"));
        let sub = words.next().expect("a subcommand");
        // The entry point exists: `oidc-doctor <sub> --help` succeeds.
        common::oidc_doctor()
            .args([sub, "--help"])
            .assert()
            .success();
        // And it runs on the files pre-commit passes.
        common::oidc_doctor()
            .args([sub, "fixtures/policies/clean-self-managed.json"])
            .assert()
            .success();
        common::oidc_doctor()
            .args([sub, "fixtures/policies/string-equals-wildcard.json"])
            .assert()
            .code(1);
        let files = str_of(get(hook, "files").unwrap());
        let re = regex::Regex::new(files).expect("files is a regex");
        for f in [
            "trust.json",
            "main.tf",
            "cdk.tf.json",
            ".gitlab-ci.yml",
            "t.yaml",
        ] {
            assert!(re.is_match(f), "{f} is passed to the hook");
        }
    }
}
