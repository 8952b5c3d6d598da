//! `lint --baseline FILE [--write-baseline]`: accept today's findings, fail only
//! on new ones, and do not resurrect accepted ones when lines move.

mod common;

use std::path::Path;

use common::{oidc_doctor, root};
use serde_json::Value;

fn fixture(rule: &str) -> String {
    std::fs::read_to_string(root().join(format!("fixtures/rules/{rule}/trigger.json"))).unwrap()
}

fn lint_json(dir: &Path, extra: &[&str], code: i32) -> Value {
    let out = oidc_doctor()
        .current_dir(dir)
        .env_remove("CI_PROJECT_DIR")
        .args(["lint", "infra", "--format", "json"])
        .args(extra)
        .assert()
        .code(code)
        .get_output()
        .clone();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::assert_schema_valid(&v);
    v
}

fn rules_of(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_baseline_hides_recorded_findings_and_reports_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("infra")).unwrap();
    let trust = dir.path().join("infra/trust.json");
    std::fs::write(&trust, fixture("wrong-action")).unwrap();

    // Record today's findings.
    let out = oidc_doctor()
        .current_dir(dir.path())
        .env_remove("CI_PROJECT_DIR")
        .args([
            "lint",
            "infra",
            "--baseline",
            "baseline.json",
            "--write-baseline",
        ])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("wrote baseline baseline.json: 1 finding recorded")
    );
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(recorded["oidc_doctor_baseline"], 1);
    assert_eq!(recorded["findings"][0]["rule"], "wrong-action");
    assert_eq!(recorded["findings"][0]["path"], "infra/trust.json");

    // The same tree: nothing new, exit 0.
    let v = lint_json(dir.path(), &["--baseline", "baseline.json"], 0);
    assert_eq!(rules_of(&v), Vec::<String>::new());

    // Lines inserted above the finding: still recorded.
    let shifted = fixture("wrong-action").replacen(
        "{\n  \"Version\"",
        "{\n  \"Id\": \"deploy\",\n\n\n  \"Version\"",
        1,
    );
    std::fs::write(&trust, &shifted).unwrap();
    let plain = lint_json(dir.path(), &[], 1);
    assert_eq!(
        plain["findings"][0]["location"]["line"], 10,
        "the finding moved"
    );
    let v = lint_json(dir.path(), &["--baseline", "baseline.json"], 0);
    assert_eq!(rules_of(&v), Vec::<String>::new());

    // A new problem in the same file is reported; the recorded one is not.
    std::fs::write(
        &trust,
        shifted.replacen("\"StringEquals\": {\n", "\"StrinkEquals\": {\n", 1),
    )
    .unwrap();
    let v = lint_json(dir.path(), &["--baseline", "baseline.json"], 1);
    // The misspelt operator also hides the `aud` condition under it: both are new.
    assert_eq!(
        rules_of(&v),
        ["missing-aud-condition", "unknown-condition-operator"]
    );

    // A new file with the same problem is new.
    std::fs::write(
        dir.path().join("infra/second.json"),
        fixture("wrong-action"),
    )
    .unwrap();
    let v = lint_json(dir.path(), &["--baseline", "baseline.json"], 1);
    assert_eq!(
        rules_of(&v),
        [
            "wrong-action",
            "missing-aud-condition",
            "unknown-condition-operator"
        ],
        "{v:#}"
    );
}

#[test]
fn baseline_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("infra")).unwrap();
    let err = |args: &[&str]| {
        let out = oidc_doctor()
            .current_dir(dir.path())
            .arg("lint")
            .arg("infra")
            .args(args)
            .assert()
            .code(2)
            .get_output()
            .clone();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(err(&["--baseline", "missing.json"]).contains("cannot read baseline missing.json"));
    std::fs::write(dir.path().join("bad.json"), "{\"findings\": 3}").unwrap();
    assert!(err(&["--baseline", "bad.json"]).contains("invalid baseline bad.json"));
    assert!(err(&["--write-baseline"]).contains("--baseline"));
}
