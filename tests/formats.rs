//! `lint --format sarif` and `--format gitlab`, as a CI job consumes them: SARIF
//! valid against the official 2.1.0 schema, Code Quality issues with fingerprints
//! that survive edits above the finding.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{oidc_doctor, root};
use serde_json::Value;

/// A policy with several findings, two of them identical but for their place.
const POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
      "Action": "sts:AssumeRole",
      "Condition": {
        "StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"},
        "StringEquals": {"gitlab.com:aud": "https://gitlab.com"},
        "StringEquals": {"gitlab.com:aud": "https://gitlab.com"},
        "StrinkLike": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:*"}
      }
    },
    {
      "Effect": "Allow",
      "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
      "Action": "sts:AssumeRole"
    }
  ]
}
"#;

/// The same policy with unrelated lines inserted above every finding.
fn shifted() -> String {
    POLICY
        .replacen(
            "{\n  \"Version\"",
            "\n\n{\n  \"Id\": \"deploy-role-trust\",\n  \"Version\"",
            1,
        )
        .replacen(
            "      \"Effect\": \"Allow\",\n      \"Principal\"",
            "      \"Sid\": \"GitLab\",\n\n      \"Effect\": \"Allow\",\n      \"Principal\"",
            1,
        )
}

fn run(dir: &Path, format: &str, env: &[(&str, &str)]) -> Value {
    let mut cmd = oidc_doctor();
    cmd.current_dir(dir)
        .env_remove("CI_PROJECT_DIR")
        .args(["lint", ".", "--format", format]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.assert().code(1).get_output().clone();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout)))
}

fn project(policy: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("infra")).unwrap();
    std::fs::write(dir.path().join("infra/trust.json"), policy).unwrap();
    dir
}

/// The official schema, vendored verbatim (tests/schemas/README.md), with one
/// known defect repaired in memory: the `run.language` pattern has an unbalanced
/// `]` that strict regex engines refuse; the SARIF errata correct it to this.
fn sarif_schema() -> Value {
    let text =
        std::fs::read_to_string(root().join("tests/schemas/sarif-schema-2.1.0.json")).unwrap();
    let broken = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(text.contains(broken), "the vendored schema changed");
    serde_json::from_str(&text.replace(broken, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#)).unwrap()
}

fn assert_sarif_valid(log: &Value) {
    let schema = sarif_schema();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF violates the 2.1.0 schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_is_valid_and_carries_rules_results_and_fingerprints() {
    let dir = project(POLICY);
    let log = run(dir.path(), "sarif", &[]);
    assert_sarif_valid(&log);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");

    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "oidc-doctor");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"].is_string());
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let registry: Vec<&str> = oidc_doctor::rules::ALL.iter().map(|r| r.name).collect();
    assert_eq!(ids, registry, "every rule, in registry order");
    let wrong_action = &rules[ids.iter().position(|i| *i == "wrong-action").unwrap()];
    assert!(
        wrong_action["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("docs/rules/wrong-action.md")
    );
    assert_eq!(wrong_action["defaultConfiguration"]["level"], "error");
    assert!(
        wrong_action["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("sts:AssumeRoleWithWebIdentity")
    );
    assert!(wrong_action["shortDescription"]["text"].is_string());
    assert!(wrong_action["fullDescription"]["text"].is_string());

    let results = run["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        6,
        "2 wrong-action, 2 duplicate-json-key, unknown-condition-operator, missing-aud-condition"
    );
    let first = &results[0];
    assert_eq!(first["ruleId"], "wrong-action");
    assert_eq!(first["level"], "error");
    assert_eq!(
        ids[first["ruleIndex"].as_u64().unwrap() as usize],
        "wrong-action"
    );
    let loc = &first["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "infra/trust.json");
    assert_eq!(
        loc["region"],
        serde_json::json!({"startLine": 7, "startColumn": 17, "endLine": 7, "endColumn": 33,
                           "snippet": {"text": "\"sts:AssumeRole\""}})
    );
    assert_eq!(
        first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "/Statement/0/Action"
    );
    let fps: BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["oidcDoctorFingerprint/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(fps.len(), results.len(), "fingerprints are unique");
}

#[test]
fn sarif_columns_count_characters_and_paths_are_uris() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("my infra")).unwrap();
    // `é` is two bytes, one character: columns after it count characters.
    std::fs::write(
        dir.path().join("my infra/trust.json"),
        POLICY.replace(
            "\"Action\": \"sts:AssumeRole\",\n      \"Condition\"",
            "\"Sid\": \"é\", \"Action\": \"sts:AssumeRole\",\n      \"Condition\"",
        ),
    )
    .unwrap();
    let log = run(dir.path(), "sarif", &[]);
    assert_sarif_valid(&log);
    let loc = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "my%20infra/trust.json");
    assert_eq!(loc["region"]["startColumn"], 29, "30 would count bytes");
}

#[test]
fn sarif_of_a_clean_run_is_valid_and_empty() {
    let out = oidc_doctor()
        .args([
            "lint",
            "fixtures/policies/clean-gitlab-com.json",
            "--format",
            "sarif",
        ])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_sarif_valid(&log);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

fn fingerprints(report: &Value) -> Vec<(String, String)> {
    report
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["check_name"].as_str().unwrap().to_string(),
                i["fingerprint"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn gitlab_report_has_the_code_quality_shape() {
    let dir = project(POLICY);
    let report = run(dir.path(), "gitlab", &[]);
    let issues = report.as_array().unwrap();
    assert_eq!(issues.len(), 6);
    for i in issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(i[key].is_string(), "{key} in {i}");
        }
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&i["severity"].as_str().unwrap())
        );
        assert_eq!(i["location"]["path"], "infra/trust.json");
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert!(
            i["description"]
                .as_str()
                .unwrap()
                .starts_with(i["check_name"].as_str().unwrap())
        );
    }
    assert_eq!(issues[0]["severity"], "critical");
    assert_eq!(issues[0]["location"]["lines"]["begin"], 7);
    assert_eq!(issues[0]["categories"], serde_json::json!(["Bug Risk"]));
}

#[test]
fn gitlab_fingerprints_are_unique_stable_and_survive_lines_inserted_above() {
    let dir = project(POLICY);
    let first = fingerprints(&run(dir.path(), "gitlab", &[]));
    let unique: BTreeSet<&String> = first.iter().map(|(_, f)| f).collect();
    assert_eq!(unique.len(), first.len(), "unique: {first:?}");
    assert_eq!(
        first,
        fingerprints(&run(dir.path(), "gitlab", &[])),
        "identical across runs"
    );

    std::fs::write(dir.path().join("infra/trust.json"), shifted()).unwrap();
    let after = run(dir.path(), "gitlab", &[]);
    let lines: Vec<u64> = after
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["location"]["lines"]["begin"].as_u64().unwrap())
        .collect();
    assert_eq!(lines[0], 12, "the findings did move down");
    assert_eq!(
        first,
        fingerprints(&after),
        "inserting lines above changes no fingerprint"
    );

    // Changing the offending text is a different finding.
    std::fs::write(
        dir.path().join("infra/trust.json"),
        POLICY.replacen("\"sts:AssumeRole\"", "\"sts:AssumeRoleWithSAML\"", 1),
    )
    .unwrap();
    let changed = fingerprints(&run(dir.path(), "gitlab", &[]));
    assert_ne!(first[0], changed[0]);
    assert_eq!(first[1..], changed[1..]);
}

#[test]
fn gitlab_paths_are_relative_to_ci_project_dir() {
    let dir = project(POLICY);
    let infra = dir.path().join("infra");
    let project_dir = dir.path().to_str().unwrap();
    // Run from inside infra/, with an absolute path, as a job script might.
    let abs = infra.join("trust.json");
    let out = oidc_doctor()
        .current_dir(&infra)
        .env("CI_PROJECT_DIR", project_dir)
        .args(["lint", abs.to_str().unwrap(), "--format", "gitlab"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["location"]["path"], "infra/trust.json");
    // …and fingerprints agree with a run from the project root.
    let from_root = run(dir.path(), "gitlab", &[("CI_PROJECT_DIR", project_dir)]);
    assert_eq!(fingerprints(&report), fingerprints(&from_root));
}

#[test]
fn commands_without_file_findings_refuse_sarif_and_gitlab() {
    for format in ["sarif", "gitlab"] {
        let out = oidc_doctor()
            .args([
                "simulate",
                "--policy",
                "fixtures/policies/gitlab-main-only.json",
                "--claim",
                "sub=project_path:mygroup/app:ref_type:branch:ref:main",
                "--format",
                format,
            ])
            .assert()
            .code(2)
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.trim(),
            format!("error: `simulate` does not support --format {format}; use human or json")
        );
        assert!(out.stdout.is_empty());
        oidc_doctor()
            .args(["rules", "--format", format])
            .assert()
            .code(2);
    }
}
