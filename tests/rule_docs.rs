//! `oidc-doctor rules` and `docs/rules/`: the catalogue, one rule's page, and the
//! check that the committed pages match the registry.

mod common;

use std::collections::BTreeSet;

use common::{oidc_doctor, root, run_json, stdout_of};
use oidc_doctor::report::rule_doc;
use oidc_doctor::rules::ALL;

const REGENERATE: &str = "cargo run -- rules --write-docs docs/rules";

#[test]
fn docs_rules_matches_the_registry() {
    let dir = root().join("docs/rules");
    let mut problems = Vec::new();
    for r in ALL {
        let path = dir.join(format!("{}.md", r.name));
        match std::fs::read_to_string(&path) {
            Err(_) => problems.push(format!("missing  docs/rules/{}.md", r.name)),
            Ok(text) if text != rule_doc::doc_page(r) => {
                problems.push(format!("stale    docs/rules/{}.md", r.name))
            }
            Ok(_) => {}
        }
    }
    let registered: BTreeSet<&str> = ALL.iter().map(|r| r.name).collect();
    for entry in std::fs::read_dir(&dir).expect("docs/rules exists") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".md")
            && stem != "README"
            && !registered.contains(stem)
        {
            problems.push(format!(
                "orphan   docs/rules/{name} (no rule `{stem}` in rules::ALL)"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/rules/ is out of date with the rule registry:\n  {}\nRun `{REGENERATE}` and commit the result.",
        problems.join("\n  ")
    );
}

#[test]
fn write_docs_regenerates_the_pages_and_removes_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let orphan = dir.path().join("retired-rule.md");
    std::fs::write(
        &orphan,
        format!("# `retired-rule`\n\n{}\n", rule_doc::GENERATED_MARKER),
    )
    .unwrap();
    let handwritten = dir.path().join("notes.md");
    std::fs::write(&handwritten, "# notes\n").unwrap();
    let out = oidc_doctor()
        .args(["rules", "--write-docs", dir.path().to_str().unwrap()])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("removed retired-rule.md"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !orphan.exists(),
        "a generated page of a gone rule is removed"
    );
    assert!(handwritten.exists(), "hand-written files are left alone");
    for r in ALL {
        let written = std::fs::read_to_string(dir.path().join(format!("{}.md", r.name))).unwrap();
        let committed =
            std::fs::read_to_string(root().join(format!("docs/rules/{}.md", r.name))).unwrap();
        assert_eq!(written, committed, "{}", r.name);
    }
}

#[test]
fn rules_lists_every_rule_in_registry_order() {
    let out = stdout_of(oidc_doctor().arg("rules"), 0);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("NAME") && lines[0].contains("SEVERITY"));
    for (line, r) in lines[1..].iter().zip(ALL) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[0], r.name);
        assert_eq!(cols[2], r.severity.as_str());
        assert!(line.ends_with(r.summary), "{line}");
    }
    assert!(out.contains(&format!("{} rules.", ALL.len())));
}

#[test]
fn rules_json_uses_the_standard_envelope() {
    let v = run_json(oidc_doctor().arg("rules"), 0);
    assert_eq!(v["command"], "rules");
    assert_eq!(v["findings"], serde_json::json!([]));
    assert_eq!(v["summary"]["errors"], 0);
    let names: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    let registry: Vec<&str> = ALL.iter().map(|r| r.name).collect();
    assert_eq!(names, registry);
    let first = &v["rules"][0];
    for key in [
        "category",
        "severity",
        "summary",
        "aws_error",
        "fix",
        "explanation",
        "bad",
        "good",
        "doc_url",
    ] {
        assert!(first.get(key).is_some(), "{key}");
    }

    let one = run_json(oidc_doctor().args(["rules", "wrong-action"]), 0);
    assert_eq!(one["rules"].as_array().unwrap().len(), 1);
    assert_eq!(one["rules"][0]["name"], "wrong-action");
}

#[test]
fn rules_name_prints_the_page() {
    let out = stdout_of(oidc_doctor().args(["rules", "wrong-action"]), 0);
    let meta = oidc_doctor::rules::by_name("wrong-action").unwrap();
    assert_eq!(out, rule_doc::markdown(meta));
    for part in [
        "# `wrong-action`",
        "| category | correctness |",
        "| default severity | error |",
        "| AWS error | `AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity` |",
        "## Why it matters",
        "Reported:",
        "Fixed:",
        "## Fix",
    ] {
        assert!(out.contains(part), "{part} missing:\n{out}");
    }
}

#[test]
fn an_unknown_rule_is_a_usage_error_naming_the_nearest() {
    let out = oidc_doctor()
        .args(["rules", "wrong-actoin"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("did you mean `wrong-action`?"), "{err}");
}

#[test]
fn new_commands_have_examples_in_their_help() {
    for cmd in [["rules", "--help"], ["lint", "--help"]] {
        let out = stdout_of(oidc_doctor().args(cmd), 0);
        assert!(out.contains("Examples:"), "{cmd:?}:\n{out}");
    }
    let lint = stdout_of(oidc_doctor().args(["lint", "--help"]), 0);
    for flag in [
        "--config",
        "--baseline",
        "--write-baseline",
        "--format gitlab",
    ] {
        assert!(lint.contains(flag), "{flag} missing from lint --help");
    }
}
