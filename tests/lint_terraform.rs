//! Terraform sources through the real binary: HCL (`fixtures/terraform/`) and
//! `terraform show -json` output (`fixtures/terraform-plan/`).
//!
//! Each fixture (a file, or a directory linted as a tree) has a `.expected` file
//! beside it (see `common::expected`). Terraform JSON syntax is in
//! `lint_terraform_json.rs`.

mod common;

use std::collections::BTreeSet;

use common::expected::{
    assert_unknown_sub_stays_quiet, check_fixture_dirs, finding, findings, lint, rel,
};
use common::{oidc_doctor, root, run_json};

#[test]
fn terraform_and_plan_fixtures_report_exactly_the_expected_findings() {
    let seen = check_fixture_dirs(&["fixtures/terraform", "fixtures/terraform-plan"]);
    assert!(seen >= 8, "fixtures missing");
}

#[test]
fn findings_carry_the_iam_pointer_and_the_terraform_address() {
    let v = lint("fixtures/terraform/policy-document.tf");
    let f = finding(&v, "wildcard-in-exact-operator");
    assert_eq!(
        f["location"]["pointer"],
        "/Statement/0/Condition/StringEquals/gitlab.com:sub/0"
    );
    assert_eq!(
        f["location"]["resource"],
        "data.aws_iam_policy_document.trust"
    );
    let f = finding(&v, "unknown-condition-operator");
    assert_eq!(f["location"]["pointer"], "/Statement/0/Condition/StringEq");
    assert!(
        f["help"].as_str().unwrap().contains("StringEquals"),
        "suggests the nearest operator: {f}"
    );
    let f = finding(&v, "terraform-wrong-type");
    assert_eq!(
        f["location"]["pointer"],
        "/Statement/0/Condition/StringLike/https:~1~1gitlab.com:ref"
    );

    let v = lint("fixtures/terraform/jsonencode.tf");
    let f = finding(&v, "unknown-policy-element");
    assert_eq!(f["location"]["pointer"], "/Statement/1/Effect");
    assert_eq!(f["location"]["resource"], "aws_iam_role.deploy");

    let v = lint("fixtures/terraform-plan/plan.json");
    let f = finding(&v, "wildcard-in-exact-operator");
    assert_eq!(
        f["location"]["resource"],
        "module.ci_roles.aws_iam_role.deploy"
    );
    assert_eq!(
        f["location"]["pointer"],
        "/Statement/0/Condition/StringEquals/gitlab.com:sub"
    );
}

/// `var.project` has no default: the `sub` pattern built from it is unknown. No
/// finding may come from it (the sub rules would otherwise call it broad or
/// missing), while the resolvable mistake in the same statement is reported.
#[test]
fn an_unresolvable_variable_yields_no_false_finding_and_a_real_mistake_is_still_reported() {
    let v = lint("fixtures/terraform/unknown-var.tf");
    assert_unknown_sub_stays_quiet(&v, "wildcard-in-exact-operator");
}

/// A module of several files (variables, provider, policy document, role,
/// `.gitlab-ci.yml`) where the policy's and the CI job's audiences drifted from
/// the provider's client IDs: each finding names both places.
#[test]
fn a_realistic_module_reports_the_audience_drift_at_both_places() {
    let v = lint("fixtures/terraform/module");
    let f = finding(&v, "aud-mismatch");
    assert_eq!(f["location"]["path"], "fixtures/terraform/module/role.tf");
    assert_eq!(
        f["location"]["resource"],
        "data.aws_iam_policy_document.deploy_trust"
    );
    assert_eq!(
        f["location"]["pointer"],
        "/Statement/0/Condition/StringEquals/gitlab.example.com:aud"
    );
    let related = &f["related"][0];
    assert_eq!(related["path"], "fixtures/terraform/module/oidc.tf");
    assert_eq!(
        related["resource"],
        "aws_iam_openid_connect_provider.gitlab"
    );
    assert_eq!(
        (related["line"].as_u64(), related["column"].as_u64()),
        (Some(3), Some(22))
    );
    assert_eq!(
        f["aws_error"],
        "InvalidIdentityToken: Incorrect token audience"
    );

    // The CI job asks for an audience the provider does not accept either.
    let f = finding(&v, "id-token-aud-mismatch");
    assert_eq!(
        f["location"]["path"],
        "fixtures/terraform/module/.gitlab-ci.yml"
    );
    assert_eq!(
        (
            f["location"]["line"].as_u64(),
            f["location"]["column"].as_u64()
        ),
        (Some(5), Some(12))
    );
    let related = &f["related"][0];
    assert_eq!(related["path"], "fixtures/terraform/module/oidc.tf");
    assert_eq!(
        related["resource"],
        "aws_iam_openid_connect_provider.gitlab"
    );
}

/// (rule, pointer) pairs a file reported.
type Reported = BTreeSet<(String, String)>;

/// The same mistake written as policy JSON and as Terraform (and, as front ends
/// are added, CloudFormation: `<rule>.yaml`) yields the same rule: every file `fixtures/same-mistake/<rule>.*` reports `<rule>`.
#[test]
fn the_same_mistake_yields_the_same_rule_in_every_source_format() {
    let dir = root().join("fixtures/same-mistake");
    let mut by_rule: std::collections::BTreeMap<String, Vec<(String, Reported)>> =
        Default::default();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        let Some((rule, _)) = name.split_once('.') else {
            continue;
        };
        let v = lint(&rel(&p));
        let got: BTreeSet<(String, String)> = findings(&v)
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["location"]["pointer"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        assert!(
            got.iter().any(|(r, _)| r == rule),
            "{name} does not report {rule}: {got:?}"
        );
        by_rule
            .entry(rule.to_string())
            .or_default()
            .push((name, got));
    }
    assert!(by_rule.len() >= 6);
    for (rule, files) in by_rule {
        // Each format's fixture is written on its own, so the other rules (and
        // the element chosen to hold the mistake) may differ; the rule may not.
        assert!(files.len() >= 2, "{rule}: only {:?}", files[0].0);
    }
}

/// A file that does not parse is a finding; the rest of the tree is still linted.
#[test]
fn a_parse_error_does_not_stop_the_walk() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.tf"),
        "resource \"aws_iam_role\" \"r\" {\n",
    )
    .unwrap();
    std::fs::copy(
        root().join("fixtures/same-mistake/wrong-action.tf"),
        dir.path().join("good.tf"),
    )
    .unwrap();
    let path = dir.path().to_str().unwrap().to_string();
    let v = run_json(oidc_doctor().args(["lint", &path]), 1);
    let rules: BTreeSet<&str> = findings(&v)
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains("parse-error"), "{rules:?}");
    assert!(rules.contains("wrong-action"), "{rules:?}");
    let pe = finding(&v, "parse-error");
    assert!(pe["location"]["line"].as_u64().is_some());
}

mod robustness {
    use oidc_doctor::lint::{LintReport, lint_bytes};
    use proptest::prelude::*;

    fn lint_as(name: &str, bytes: Vec<u8>) {
        let mut report = LintReport::default();
        lint_bytes(name, bytes, true, &mut report);
        report.cross_check();
    }

    /// Pieces of HCL and policy text, so that random input reaches deep into
    /// the front end instead of failing on the first byte.
    fn fragment() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "data \"aws_iam_policy_document\" \"t\" {",
            "resource \"aws_iam_role\" \"r\" {",
            "resource \"aws_iam_openid_connect_provider\" \"p\" {",
            "statement {",
            "principals {",
            "condition {",
            "}",
            "{",
            "[",
            "]",
            "(",
            ")",
            "type = \"Federated\"",
            "identifiers = [",
            "test = \"StringEq\"",
            "variable = \"gitlab.com:sub\"",
            "values = ",
            "\"project_path:g/*\"",
            "assume_role_policy = jsonencode(",
            "<<EOF\n",
            "\nEOF\n",
            "${",
            "var.x",
            "local.y",
            "locals {",
            "y = local.y",
            "url = \"https://gitlab.com/\"",
            "client_id_list = [\"a\"]",
            "replace(",
            ",",
            "\"",
            "=",
            "\n",
            "%{ if x }",
            "aws_iam_openid_connect_provider.p.arn",
            "data.aws_iam_policy_document.t.json",
            "{\"Statement\": [{\"Effect\": \"Allow\"}]}",
            "é",
            "\u{E000}",
        ])
        .prop_map(str::to_string)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            for name in ["fuzz.tf", "fuzz.json", "fuzz.yaml", "fuzz.tf.json", "-"] {
                lint_as(name, bytes.clone());
            }
        }

        #[test]
        fn hcl_shaped_input_never_panics(parts in prop::collection::vec(fragment(), 0..60)) {
            let text = parts.join(" ");
            lint_as("fuzz.tf", text.clone().into_bytes());
            lint_as("fuzz.json", text.into_bytes());
        }

        #[test]
        fn plan_shaped_input_never_panics(policy in "[ -~\\\\\"]{0,80}") {
            let escaped = serde_json::to_string(&policy).unwrap();
            let plan = format!(
                r#"{{"format_version":"1.2","planned_values":{{"root_module":{{"resources":[{{"address":"aws_iam_role.r","mode":"managed","type":"aws_iam_role","values":{{"assume_role_policy":{escaped}}}}}]}}}}}}"#
            );
            lint_as("plan.json", plan.into_bytes());
        }
    }
}
