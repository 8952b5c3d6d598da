//! Every lint rule, through the real binary, over `fixtures/rules/<rule>/`: each
//! trigger reports exactly the expected findings, each near-miss (a one-token edit
//! of its trigger) does not report the rule. See fixtures/rules/README.md.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::expected::expected_path;
use common::{oidc_doctor, root, run_json};

fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(root().join("fixtures/rules")).unwrap() {
        let dir = dir.unwrap().path();
        if dir.is_dir() {
            for f in std::fs::read_dir(&dir).unwrap() {
                let f = f.unwrap().path();
                // Policy JSON, Terraform (`*.tf`, `*.tf.json`) and YAML for the
                // rules of IaC sources.
                if f.extension()
                    .is_some_and(|e| e == "json" || e == "tf" || e == "yml" || e == "yaml")
                {
                    out.push(f);
                }
            }
        }
    }
    out.sort();
    out
}

fn expected(fixture: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(expected_path(fixture))
        .unwrap_or_else(|_| panic!("{} has no .expected file", fixture.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn actual(fixture: &Path) -> BTreeSet<String> {
    let rel = fixture
        .strip_prefix(root())
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let status = if expected(fixture).iter().any(|e| severity_of(e) == "error") {
        1
    } else {
        0
    };
    let v = run_json(oidc_doctor().args(["lint", &rel]), status);
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let loc = &f["location"];
            assert_eq!(loc["path"], rel, "findings point at the linted file");
            format!(
                "{} {}:{}",
                f["rule"].as_str().unwrap(),
                loc["line"],
                loc["column"]
            )
        })
        .collect()
}

fn severity_of(line: &str) -> &'static str {
    let rule = line.split_whitespace().next().unwrap_or("");
    oidc_doctor::rules::by_name(rule)
        .unwrap_or_else(|| panic!("unknown rule {rule:?} in an .expected file"))
        .severity
        .as_str()
}

#[test]
fn every_fixture_reports_exactly_the_expected_findings() {
    let mut failures = Vec::new();
    for f in fixtures() {
        let (want, got) = (expected(&f), actual(&f));
        if want != got {
            failures.push(format!(
                "{}:\n  expected {want:?}\n  got      {got:?}",
                f.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Rules `lint` reports: the policy checks plus the readers' own.
fn lint_rules() -> Vec<&'static str> {
    let mut names: Vec<&str> = oidc_doctor::rules::POLICY_RULES
        .iter()
        .map(|r| r.meta().name)
        .collect();
    names.push("invalid-policy-json");
    // The IaC front ends' own rules and the cross-file checks (fixtures in
    // Terraform, YAML or JSON).
    names.extend([
        "parse-error",
        "legacy-ci-job-jwt",
        "role-session-name-invalid",
        "duration-exceeds-max-session",
        "web-identity-token-not-an-id-token",
        "terraform-wrong-type",
        "aud-mismatch",
        "provider-url-invalid",
    ]);
    names
}

#[test]
fn every_lint_rule_has_a_trigger_and_a_near_miss() {
    for rule in lint_rules() {
        let dir = root().join("fixtures/rules").join(rule);
        let files: Vec<PathBuf> = fixtures()
            .into_iter()
            .filter(|f| f.parent() == Some(dir.as_path()))
            .collect();
        let name = |f: &PathBuf| f.file_name().unwrap().to_str().unwrap().to_string();
        let triggers: Vec<&PathBuf> = files
            .iter()
            .filter(|f| name(f).starts_with("trigger"))
            .collect();
        let misses: Vec<&PathBuf> = files
            .iter()
            .filter(|f| name(f).starts_with("near-miss"))
            .collect();
        assert!(
            !triggers.is_empty(),
            "{rule}: no trigger fixture in {}",
            dir.display()
        );
        assert!(
            !misses.is_empty(),
            "{rule}: no near-miss fixture in {}",
            dir.display()
        );
        for t in &triggers {
            assert!(
                expected(t)
                    .iter()
                    .any(|e| e.starts_with(&format!("{rule} "))),
                "{} does not expect {rule}",
                t.display()
            );
        }
        for m in &misses {
            assert!(
                !expected(m)
                    .iter()
                    .any(|e| e.starts_with(&format!("{rule} "))),
                "{} expects {rule}",
                m.display()
            );
            let trigger = m.with_file_name(name(m).replacen("near-miss", "trigger", 1));
            assert!(
                trigger.exists(),
                "{} has no matching {}",
                m.display(),
                trigger.display()
            );
            let allowed = declared_edit(m).unwrap_or(1);
            let distance = token_distance(&tokens(&trigger), &tokens(m));
            assert!(
                (1..=allowed).contains(&distance),
                "{} is {distance} tokens away from its trigger (allowed {allowed}; declare `# edit: N tokens: why`)",
                m.display()
            );
        }
    }
}

/// `# edit: N tokens: …` in the near-miss's .expected file.
fn declared_edit(fixture: &Path) -> Option<usize> {
    let text = std::fs::read_to_string(expected_path(fixture)).ok()?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("# edit:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// JSON tokens: strings, numbers, literals and punctuation.
fn tokens(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(chars[start..i.min(chars.len())].iter().collect());
        } else if "{}[],:".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !"{}[],:\"".contains(chars[i]) {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        }
    }
    out
}

fn token_distance(a: &[String], b: &[String]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(x != y))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
