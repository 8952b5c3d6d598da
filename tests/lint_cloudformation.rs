//! CloudFormation templates (YAML short forms, JSON long forms, CDK output) through
//! the real binary: every fixture under `fixtures/cloudformation/` reports exactly
//! its `.expected` findings, at the line and column written in the template.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{oidc_doctor, root, run_json};
use proptest::prelude::*;
use serde_json::Value;

fn files(dir: &str, exts: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| exts.contains(&e))
        })
        .collect();
    out.sort();
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

/// `.expected` beside a fixture (`cdk.template.json` → `cdk.template.expected`).
fn expected(p: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(p.with_extension("expected"))
        .unwrap_or_else(|_| panic!("{} has no .expected file", p.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn lint(path: &str) -> Value {
    let errors = {
        let mut cmd = oidc_doctor();
        let out = cmd
            .args(["lint", path, "--format", "json"])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["summary"]["errors"].as_u64().unwrap()
    };
    run_json(
        oidc_doctor().args(["lint", path]),
        if errors > 0 { 1 } else { 0 },
    )
}

fn found(v: &Value) -> BTreeSet<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                f["rule"].as_str().unwrap(),
                f["location"]["line"],
                f["location"]["column"]
            )
        })
        .collect()
}

#[test]
fn every_template_reports_exactly_the_expected_findings() {
    let mut failures = Vec::new();
    for f in files("fixtures/cloudformation", &["yaml", "yml", "json"]) {
        let path = rel(&f);
        let v = lint(&path);
        for finding in v["findings"].as_array().unwrap() {
            let loc = &finding["location"];
            assert_eq!(loc["path"], path.as_str());
            if finding["rule"] != "parse-error" {
                // Every policy finding names its resource and points into the policy.
                assert!(loc["resource"].is_string(), "{finding}");
                assert!(
                    loc["pointer"]
                        .as_str()
                        .is_some_and(|p| p.is_empty() || p.starts_with('/')),
                    "{finding}"
                );
            }
        }
        let (want, got) = (expected(&f), found(&v));
        if want != got {
            failures.push(format!("{path}:\n  expected {want:?}\n  got      {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn short_form_values_keep_their_place_and_pointer() {
    let v = lint("fixtures/cloudformation/mistakes.yaml");
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "wildcard-in-exact-operator");
    assert_eq!(f["location"]["line"], 28);
    assert_eq!(f["location"]["column"], 33);
    assert_eq!(
        f["location"]["pointer"],
        "/Statement/0/Condition/StringEquals/gitlab.com:sub"
    );
    assert_eq!(f["location"]["resource"], "DeployRole");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("project_path:mygroup/app:ref_type:branch:ref:*"),
        "the !Sub parameter default is resolved: {f}"
    );
}

#[test]
fn cdk_output_is_linted_with_the_provider_ref_resolved() {
    let v = lint("fixtures/cloudformation/cdk.template.json");
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["location"]["resource"], "DeployRole6D5C9F0A");
        // No finding about the Federated principal: `Ref` to the
        // AWS::IAM::OIDCProvider became its ARN.
        assert!(
            !f["location"]["pointer"]
                .as_str()
                .unwrap()
                .contains("Principal"),
            "{f}"
        );
    }
}

/// `!ImportValue`, a parameter without default and `!If` are not known before
/// deployment: nothing is said about them, while the resolvable mistake in the
/// third statement of the same template is still reported.
#[test]
fn unknown_values_produce_no_finding_but_known_mistakes_do() {
    let v = lint("fixtures/cloudformation/unknowns.yaml");
    let findings = v["findings"].as_array().unwrap();
    let rules: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["location"]["pointer"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        vec![(
            "wildcard-in-exact-operator",
            "/Statement/2/Condition/StringEquals/gitlab.com:sub"
        )]
    );
    assert_eq!(findings[0]["location"]["line"], 37);
    assert_eq!(findings[0]["location"]["column"], 33);
}

/// The same mistake written in a CloudFormation template is reported under the
/// rule its file is named after (the JSON and Terraform twins live beside them).
#[test]
fn same_mistake_in_cloudformation_has_the_same_rule_name() {
    let yamls = files("fixtures/same-mistake", &["yaml"]);
    assert!(!yamls.is_empty());
    for f in yamls {
        let rule = f.file_stem().unwrap().to_str().unwrap().to_string();
        let v = lint(&rel(&f));
        assert!(
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["rule"] == rule.as_str()),
            "{} does not report {rule}: {v}",
            f.display()
        );
    }
}

#[test]
fn a_broken_template_is_a_parse_error_and_the_rest_is_still_linted() {
    let v = run_json(
        oidc_doctor().args([
            "lint",
            "fixtures/cloudformation/broken.yaml",
            "fixtures/cloudformation/mistakes.yaml",
        ]),
        1,
    );
    let got = found(&v);
    assert!(got.contains("parse-error 7:1"), "{got:?}");
    assert!(got.contains("wildcard-in-exact-operator 28:33"), "{got:?}");
}

#[test]
fn a_yaml_file_that_is_not_utf8_is_a_parse_error_at_the_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stack.yaml");
    std::fs::write(&path, b"Resources:\n  R: \xff\xfe\n").unwrap();
    let v = run_json(oidc_doctor().args(["lint", path.to_str().unwrap()]), 1);
    assert_eq!(found(&v), BTreeSet::from(["parse-error 2:6".to_string()]));
}

fn yamlish() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        "AWSTemplateFormatVersion: x\n",
        "Resources:\n",
        "  R:\n    Type: AWS::IAM::Role\n",
        "    Properties:\n      AssumeRolePolicyDocument:\n",
        "        Statement:\n          - Effect: Allow\n",
        "!Sub ",
        "!Ref ",
        "!GetAtt R.Arn",
        "!If [a, b, c]",
        "{\"Fn::Join\": [\"\", [a, b]]}",
        "&a ",
        "*a ",
        "<<: *a\n",
        "script:\n  - |\n    aws sts assume-role-with-web-identity \\\n",
        "--role-session-name \"$CI_COMMIT_REF_NAME\" ",
        "--duration-seconds ${CI_JOB_TIMEOUT",
        "id_tokens:\n  T:\n    aud: [",
        "é",
        "'",
        "\"",
        "[",
        "{",
        "- ",
        ": ",
        "\n",
        "  ",
        "\t",
        "$(",
        "\\",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any bytes given as `.yaml`/`.yml` (a template, a CI file) give findings or
    /// a note, never a panic.
    #[test]
    fn arbitrary_bytes_as_yaml_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        for name in ["t.yaml", "x.yml", ".gitlab-ci.yml"] {
            let mut report = oidc_doctor::lint::LintReport::default();
            oidc_doctor::lint::lint_bytes(name, bytes.clone(), true, &mut report);
        }
    }

    #[test]
    fn yaml_shaped_text_never_panics(bytes in yamlish()) {
        for name in ["t.yaml", "t.json", ".gitlab-ci.yml"] {
            let mut report = oidc_doctor::lint::LintReport::default();
            oidc_doctor::lint::lint_bytes(name, bytes.clone(), true, &mut report);
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let source = oidc_doctor::json::SourceText::new(text);
        let _ = oidc_doctor::policy::from_cloudformation::extract("t.yaml", &source);
        let _ = oidc_doctor::gitlab::ci::extract("t.yml", &source);
        let _ = oidc_doctor::gitlab::ci::local_includes(&source);
    }
}
