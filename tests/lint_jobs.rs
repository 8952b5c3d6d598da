//! `lint -j N`: files are linted on N threads, and the report is the one a single
//! thread writes, byte for byte, in every format — findings in path order, the
//! cross-file findings last, include-graph limits at the file where they were
//! met, notes on standard error, and a baseline written or applied.

mod common;

use common::oidc_doctor;
use std::path::Path;

/// More files than the lint threads may run ahead of the report (256), of every
/// outcome: findings, no findings, parse errors, files that are no policy, and
/// a GitLab CI include cycle whose finding belongs to the included file.
fn tree(dir: &Path) {
    for i in 0..700 {
        let sub = dir.join(format!("p{:02}", i % 23));
        std::fs::create_dir_all(&sub).unwrap();
        let text = match i % 10 {
            // Clean: Federated GitLab, aud and an exact sub.
            0 => format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::111122223333:oidc-provider/gitlab.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"gitlab.com:aud":"https://gitlab.com","gitlab.com:sub":"project_path:g{i}/p:ref_type:branch:ref:main"}}}}}}]}}"#
            ),
            1 => "{\"Version\": \"2012-10-17\", \"Statement\": [".to_string(),
            2 => r#"{"name": "not a policy"}"#.to_string(),
            _ => format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"s{i}","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}]}}"#
            ),
        };
        std::fs::write(sub.join(format!("{i:04}.json")), text).unwrap();
    }
    std::fs::create_dir_all(dir.join(".ci")).unwrap();
    std::fs::write(
        dir.join(".gitlab-ci.yml"),
        "include:\n  - local: .ci/a.yml\njob:\n  script: [echo]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join(".ci/a.yml"),
        "include:\n  - local: .ci/a.yml\nlegacy:\n  script:\n    - echo $CI_JOB_JWT\n",
    )
    .unwrap();
}

/// `lint fixtures <tree> -j N` in `format`: exit code, stdout, stderr.
fn lint(tree: &Path, jobs: &str, format: &str, extra: &[&str]) -> (i32, Vec<u8>, Vec<u8>) {
    let out = oidc_doctor()
        .arg("lint")
        .arg("fixtures")
        .arg(tree)
        .args(["-j", jobs, "--format", format])
        .args(extra)
        .output()
        .unwrap();
    (out.status.code().unwrap(), out.stdout, out.stderr)
}

#[test]
fn every_format_is_the_same_on_one_thread_and_on_many() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    for format in ["json", "human", "sarif", "gitlab"] {
        let one = lint(dir.path(), "1", format, &[]);
        assert_eq!(one.0, 1, "{format}: findings exit 1");
        for jobs in ["2", "7"] {
            let many = lint(dir.path(), jobs, format, &[]);
            assert!(
                one == many,
                "{format}: -j1 and -j{jobs} differ\n-j1 stderr: {}\n-j{jobs} stderr: {}",
                String::from_utf8_lossy(&one.2),
                String::from_utf8_lossy(&many.2),
            );
        }
    }
    // What was compared is the whole report, not an empty one.
    let (_, stdout, _) = lint(dir.path(), "3", "json", &[]);
    let v: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    let count = |rule: &str| rules.iter().filter(|r| **r == rule).count();
    assert_eq!(count("wildcard-principal"), 2 + 490, "{rules:?}");
    assert_eq!(count("invalid-policy-json"), 2 + 70);
    assert!(count("aud-mismatch") > 0, "the cross-file checks ran");
    assert_eq!(
        rules.last().map(|r| [
            "aud-mismatch",
            "provider-url-invalid",
            "condition-key-provider-mismatch",
            "id-token-aud-mismatch"
        ]
        .contains(r)),
        Some(true),
        "cross-file findings come last"
    );
    let cycle: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["rule"] == "analysis-limit"
                && f["location"]["path"]
                    .as_str()
                    .unwrap()
                    .ends_with(".ci/a.yml")
        })
        .collect();
    assert_eq!(cycle.len(), 1, "the include cycle is named at .ci/a.yml");
}

#[test]
fn a_baseline_written_on_many_threads_is_the_one_thread_baseline_and_silences_the_run() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    // Outside the linted tree.
    let out = tempfile::tempdir().unwrap();
    let one = out.path().join("one.baseline.json");
    let many = out.path().join("many.baseline.json");
    for (jobs, file) in [("1", &one), ("4", &many)] {
        let (code, _, stderr) = lint(
            dir.path(),
            jobs,
            "json",
            &["--baseline", file.to_str().unwrap(), "--write-baseline"],
        );
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&stderr));
    }
    let (one, many) = (std::fs::read(&one).unwrap(), std::fs::read(&many).unwrap());
    assert!(one.len() > 10_000, "the baseline records the findings");
    assert!(one == many, "-j1 and -j4 write different baselines");
    let baseline = out.path().join("one.baseline.json");
    let (code, stdout, _) = lint(
        dir.path(),
        "4",
        "json",
        &["--baseline", baseline.to_str().unwrap()],
    );
    let v: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(code, 0);
}

#[test]
fn findings_the_configuration_changes_or_drops_are_shown_the_same_on_many_threads() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let config = dir.path().join("oidc-doctor.toml");
    std::fs::write(
        &config,
        "[rules]\nwildcard-principal = \"warning\"\n\n[[ignore]]\nrule = \"wildcard-principal\"\npath = \"p03/*.json\"\nreason = \"accepted\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let one = lint(dir.path(), "1", "human", &["--config", config]);
    let many = lint(dir.path(), "3", "human", &["--config", config]);
    assert!(
        one == many,
        "-j1 and -j3 differ with a configuration\n{}",
        String::from_utf8_lossy(&many.2)
    );
    // What was compared: every wildcard-principal a warning now, none under p03/.
    let text = String::from_utf8(many.1).unwrap();
    assert!(text.contains("⚠ statement 0 allows `\"Principal\": \"*\"`"));
    assert!(!text.contains("× statement 0 allows `\"Principal\": \"*\"`"));
    let (_, stdout, _) = lint(dir.path(), "3", "json", &["--config", config]);
    let v: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let wildcard: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "wildcard-principal")
        .collect();
    // 490 generated and the fixtures' 2, less the generated ones under p03/ (ignored).
    assert!(wildcard.iter().all(|f| f["severity"] == "warning"));
    assert!(
        wildcard
            .iter()
            .all(|f| !f["location"]["path"].as_str().unwrap().contains("/p03/"))
    );
    assert_eq!(wildcard.len(), 2 + 490 - under_p03(), "{}", wildcard.len());
}

/// The generated files with `"Principal": "*"` under `p03/`.
fn under_p03() -> usize {
    (0..700).filter(|i| i % 23 == 3 && i % 10 >= 3).count()
}
