//! Terraform JSON syntax (`*.tf.json`, `fixtures/terraform-json/`) through the
//! real binary: CDK for Terraform's `cdk.tf.json`, `jsonencode` templates,
//! policy JSON in a string, a clean file, a module mixing `.tf` and `.tf.json`.
//! Each fixture has a `.expected` file beside it (see `common::expected`).

mod common;

use std::collections::BTreeSet;

use common::expected::{
    assert_unknown_sub_stays_quiet, check_fixture_dirs, finding, findings, lint,
};
use common::{oidc_doctor, root, run_json};

#[test]
fn terraform_json_fixtures_report_exactly_the_expected_findings() {
    let seen = check_fixture_dirs(&["fixtures/terraform-json"]);
    assert!(seen >= 7, "fixtures missing");
}

#[test]
fn a_clean_file_has_no_findings_and_is_not_skipped() {
    let out = oidc_doctor()
        .args(["lint", "fixtures/terraform-json/clean.tf.json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("skipped"), "{stderr}");
    let v = lint("fixtures/terraform-json/clean.tf.json");
    assert!(findings(&v).is_empty(), "{v:#}");
    assert_eq!(v["summary"]["files"], 1, "{v:#}");
}

#[test]
fn findings_carry_the_iam_pointer_and_the_terraform_address() {
    let v = lint("fixtures/terraform-json/cdk.tf.json");
    let f = finding(&v, "wildcard-in-exact-operator");
    assert_eq!(
        f["location"]["pointer"],
        "/Statement/0/Condition/StringEquals/gitlab.com:sub/0"
    );
    assert_eq!(
        f["location"]["resource"],
        "data.aws_iam_policy_document.trust"
    );
    let f = finding(&v, "terraform-wrong-type");
    assert_eq!(
        f["location"]["pointer"],
        "/Statement/0/Condition/StringLike/https:~1~1gitlab.com:ref"
    );
    // The policy's audience against the provider's client IDs, both in the file.
    let f = finding(&v, "aud-mismatch");
    assert_eq!(
        f["related"][0]["resource"],
        "aws_iam_openid_connect_provider.gitlab"
    );

    // Inside a `${jsonencode(…)}` template: the value's own characters.
    let v = lint("fixtures/terraform-json/jsonencode.tf.json");
    let f = finding(&v, "wrong-action");
    assert_eq!(f["location"]["resource"], "aws_iam_role.deploy");
    assert_eq!(f["location"]["pointer"], "/Statement/0/Action");
    let text =
        std::fs::read_to_string(root().join("fixtures/terraform-json/jsonencode.tf.json")).unwrap();
    let line = text
        .lines()
        .nth(f["location"]["line"].as_u64().unwrap() as usize - 1)
        .unwrap();
    let col = f["location"]["column"].as_u64().unwrap() as usize - 1;
    let end = f["location"]["end_column"].as_u64().unwrap() as usize - 1;
    let at: String = line.chars().skip(col).take(end - col).collect();
    assert_eq!(at, r#"\"sts:AssumeRole\""#);

    // Policy JSON in a string: mapped back through the escapes.
    let v = lint("fixtures/terraform-json/escaped-json.tf.json");
    let f = finding(&v, "unknown-condition-operator");
    assert_eq!(f["location"]["pointer"], "/Statement/0/Condition/StringEq");
    assert_eq!(f["location"]["resource"], "aws_iam_role.deploy");
    let text = std::fs::read_to_string(root().join("fixtures/terraform-json/escaped-json.tf.json"))
        .unwrap();
    let line = text
        .lines()
        .nth(f["location"]["line"].as_u64().unwrap() as usize - 1)
        .unwrap();
    let col = f["location"]["column"].as_u64().unwrap() as usize - 1;
    let at: String = line.chars().skip(col).take(12).collect();
    assert_eq!(at, r#"\"StringEq\""#);
}

/// `var.project` has no default: the `sub` pattern built from it is unknown. No
/// finding may come from it, while the resolvable mistake in the same statement
/// (`StringEquals` with a `*`) is reported.
#[test]
fn an_unresolvable_variable_yields_no_false_finding_and_a_real_mistake_is_still_reported() {
    let v = lint("fixtures/terraform-json/unknown-var.tf.json");
    assert_unknown_sub_stays_quiet(&v, "wildcard-in-exact-operator");
}

/// A module mixing `.tf` and `.tf.json`: a JSON document uses a variable and a
/// local declared in HCL, an HCL document a local declared in JSON, and the
/// provider lives in another JSON file.
#[test]
fn a_mixed_module_reads_declarations_across_both_syntaxes() {
    let v = lint("fixtures/terraform-json/module");
    let f = finding(&v, "aud-mismatch");
    assert_eq!(
        f["location"]["path"],
        "fixtures/terraform-json/module/trust.tf.json"
    );
    assert_eq!(
        f["related"][0]["path"],
        "fixtures/terraform-json/module/oidc.tf.json"
    );
    let f = finding(&v, "wildcard-in-exact-operator");
    assert_eq!(
        f["location"]["path"],
        "fixtures/terraform-json/module/role.tf"
    );
    assert_eq!(
        f["location"]["resource"],
        "data.aws_iam_policy_document.ops_trust"
    );
}

/// A file that is not JSON is a `parse-error` at its place; the rest of the
/// tree is still linted.
#[test]
fn a_json_syntax_error_does_not_stop_the_walk() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/terraform-json/parse-error.tf.json"),
        dir.path().join("broken.tf.json"),
    )
    .unwrap();
    std::fs::copy(
        root().join("fixtures/same-mistake/wrong-action.tf.json"),
        dir.path().join("good.tf.json"),
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
    assert_eq!(
        (
            pe["location"]["line"].as_u64(),
            pe["location"]["column"].as_u64()
        ),
        (Some(5), Some(34))
    );
}

mod robustness {
    use oidc_doctor::lint::{LintReport, lint_bytes};
    use proptest::prelude::*;

    fn lint_as(name: &str, bytes: Vec<u8>) {
        let mut report = LintReport::default();
        lint_bytes(name, bytes, true, &mut report);
        report.cross_check();
    }

    /// Valid Terraform JSON to mutate: every shape the front end reads.
    fn seeds() -> Vec<String> {
        let dir = super::root().join("fixtures/terraform-json");
        let mut out = Vec::new();
        for name in [
            "cdk.tf.json",
            "jsonencode.tf.json",
            "escaped-json.tf.json",
            "clean.tf.json",
            "unknown-var.tf.json",
        ] {
            out.push(std::fs::read_to_string(dir.join(name)).unwrap());
        }
        out
    }

    /// Pieces that reach deep into the templates and blocks.
    fn fragment() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "${",
            "}",
            "{",
            "[",
            "]",
            "\"",
            "\\\"",
            "\\u00e9",
            "\\n",
            "%{ if x }",
            "%{ endif }",
            "$${",
            "${jsonencode({",
            "${var.x}",
            "${local.",
            "data.aws_iam_policy_document.trust.json",
            "\"statement\": ",
            "\"//\": ",
            ",",
            ":",
            "é",
            "\u{E000}",
            "<<EOF\n",
            "\nOIDC_DOCTOR_JSON\n",
            "(",
            ")",
            "=",
            "null",
            "[{}]",
            "\"values\": \"x\"",
        ])
        .prop_map(str::to_string)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            lint_as("fuzz.tf.json", bytes);
        }

        /// A valid file with a piece inserted, or a span deleted, anywhere.
        #[test]
        fn mutated_terraform_json_never_panics(
            seed in 0usize..5,
            at in any::<prop::sample::Index>(),
            len in 0usize..40,
            piece in fragment(),
            insert in any::<bool>(),
        ) {
            let text = &seeds()[seed];
            let mut i = at.index(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            let mutated = if insert {
                format!("{}{piece}{}", &text[..i], &text[i..])
            } else {
                let mut j = (i + len).min(text.len());
                while !text.is_char_boundary(j) {
                    j -= 1;
                }
                format!("{}{}", &text[..i], &text[j..])
            };
            lint_as("fuzz.tf.json", mutated.into_bytes());
        }
    }

    /// Through the binary: content problems are findings (exit 0 or 1), never a
    /// crash (101) or a usage error (2).
    #[test]
    fn the_binary_exits_0_or_1_on_broken_terraform_json() {
        let dir = tempfile::tempdir().unwrap();
        let samples: Vec<&[u8]> = vec![
            b"",
            b"\xff\xfe",
            b"[]",
            b"{\"resource\": 1}",
            b"{\"locals\": {\"x\": \"${\"}}",
            b"{\"resource\": {\"aws_iam_role\": {\"r\": {\"assume_role_policy\": \"{\\\"Statement\\\": ${\"}}}}",
        ];
        for (i, s) in samples.iter().enumerate() {
            std::fs::write(dir.path().join(format!("f{i}.tf.json")), s).unwrap();
        }
        let code = super::oidc_doctor()
            .args(["lint", dir.path().to_str().unwrap()])
            .output()
            .unwrap()
            .status
            .code();
        assert!(matches!(code, Some(0 | 1)), "exit {code:?}");
    }
}
