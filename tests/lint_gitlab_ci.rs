//! `.gitlab-ci.yml` through the real binary: every fixture under
//! `fixtures/gitlab-ci/` reports exactly its `.expected` findings, at the line and
//! column of the offending flag value inside the script.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{oidc_doctor, root, run_json};

fn fixtures() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/gitlab-ci"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".yml")))
        .collect();
    out.sort();
    out
}

fn expected(p: &Path) -> BTreeSet<String> {
    let name = p.file_name().unwrap().to_str().unwrap();
    let exp = p.with_file_name(name.replace(".gitlab-ci.yml", ".gitlab-ci.expected"));
    std::fs::read_to_string(&exp)
        .unwrap_or_else(|_| panic!("{} is missing", exp.display()))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_ci_file_reports_exactly_the_expected_findings() {
    let mut failures = Vec::new();
    for f in fixtures() {
        let rel = f
            .strip_prefix(root())
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let want = expected(&f);
        let v = run_json(
            oidc_doctor().args(["lint", &rel]),
            if want.is_empty() { 0 } else { 1 },
        );
        let got: BTreeSet<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                assert_eq!(x["location"]["path"], rel.as_str());
                format!(
                    "{} {}:{}",
                    x["rule"].as_str().unwrap(),
                    x["location"]["line"],
                    x["location"]["column"]
                )
            })
            .collect();
        if want != got {
            failures.push(format!("{rel}:\n  expected {want:?}\n  got      {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn findings_name_the_job_and_the_offending_text() {
    let v = run_json(
        oidc_doctor().args(["lint", "fixtures/gitlab-ci/assume-role.gitlab-ci.yml"]),
        1,
    );
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "role-session-name-invalid")
        .unwrap();
    assert_eq!(f["location"]["resource"], "branch-session");
    assert_eq!(f["location"]["line"], 25);
    assert_eq!(f["location"]["column"], 96);
    assert_eq!(
        f["location"]["end_column"],
        96 + "$CI_COMMIT_REF_NAME".len()
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("CI_COMMIT_REF_NAME")
    );
    let d = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "duration-exceeds-max-session")
        .unwrap();
    assert!(d["message"].as_str().unwrap().contains("3600"), "{d}");
    assert_eq!(
        d["aws_error"],
        "ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    );
}

#[test]
fn the_documented_example_is_clean() {
    // GitLab's own AWS example (default id_tokens, `export $(printf … $(aws sts …))`).
    let v = run_json(
        oidc_doctor().args(["lint", "fixtures/gitlab-ci/clean.gitlab-ci.yml"]),
        0,
    );
    assert_eq!(v["findings"], serde_json::json!([]));
}

/// A realistic module: `.gitlab-ci.yml` includes `.gitlab/ci/deploy.yml` (hidden,
/// found through the include), a CloudFormation stack declares the provider and
/// the role. The CI file's audience drifts from the provider's client ID: both
/// sides are extracted with their places for the cross-file check.
#[test]
fn a_directory_walk_reads_the_ci_file_its_local_includes_and_the_templates() {
    let v = run_json(oidc_doctor().args(["lint", "fixtures/module"]), 1);
    let got: BTreeSet<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "{} {}:{}:{}",
                x["rule"].as_str().unwrap(),
                x["location"]["path"].as_str().unwrap(),
                x["location"]["line"],
                x["location"]["column"]
            )
        })
        .collect();
    assert!(
        got.contains("role-session-name-invalid fixtures/module/.gitlab/ci/deploy.yml:7:96"),
        "{got:?}"
    );
    assert!(
        got.contains("unsupported-condition-key fixtures/module/infra/stack.yaml:22:17"),
        "{got:?}"
    );

    use oidc_doctor::json::SourceText;
    let read = |p: &str| SourceText::new(std::fs::read_to_string(root().join(p)).unwrap());
    let ci = read("fixtures/module/.gitlab/ci/deploy.yml");
    let tokens = oidc_doctor::gitlab::ci::extract("deploy.yml", &ci).id_tokens;
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        (tokens[0].job.as_str(), tokens[0].name.as_str()),
        ("deploy", "AWS_TOKEN")
    );
    assert_eq!(tokens[0].aud[0].value, "https://gitlab.example.com");
    let lc = ci.line_col(tokens[0].aud[0].span.start);
    assert_eq!((lc.line, lc.column), (5, 12));
    let stack = read("fixtures/module/infra/stack.yaml");
    let x = oidc_doctor::policy::from_cloudformation::extract("stack.yaml", &stack);
    assert_eq!(x.providers.len(), 1);
    assert_eq!(x.providers[0].client_ids[0].value, "https://gitlab.com");
    let lc = stack.line_col(x.providers[0].client_ids[0].span.start);
    assert_eq!((lc.line, lc.column), (7, 22));
    assert!(x.providers[0].client_ids_complete);
}
