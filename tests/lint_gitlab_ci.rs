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
