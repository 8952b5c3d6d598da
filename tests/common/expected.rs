//! Fixture tests with an `.expected` file beside each fixture (a file, or a
//! directory linted as a tree): one line per finding, `rule line:column` (for a
//! directory, `rule relpath:line:column`), plus `rule <loc> -> <related loc>`
//! for each related location. `#` starts a comment line. The sets must match
//! exactly.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{oidc_doctor, root, run_json};

/// The fixtures of a directory: subdirectories and `*.tf`, `*.json`
/// (`*.tf.json` included) files, sorted.
pub fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "tf" || e == "json"))
        .collect();
    out.sort();
    out
}

/// A path relative to the crate root.
pub fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

/// `lint --format json` of a path (exit 0 or 1), validated against the schema.
pub fn lint(path: &str) -> Value {
    let out = oidc_doctor()
        .args(["--format", "json", "lint", path])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(code == 0 || code == 1, "{path}: exit {code}");
    run_json(oidc_doctor().args(["lint", path]), code)
}

pub fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().unwrap()
}

/// The first finding of a rule.
pub fn finding<'v>(v: &'v Value, rule: &str) -> &'v Value {
    findings(v)
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {v:#}"))
}

/// The findings as `.expected` lines.
pub fn lines(v: &Value, dir: Option<&Path>) -> BTreeSet<String> {
    let loc = |l: &Value| match dir {
        Some(d) => format!(
            "{}:{}:{}",
            rel_to(l["path"].as_str().unwrap(), d),
            l["line"],
            l["column"]
        ),
        None => format!("{}:{}", l["line"], l["column"]),
    };
    let mut out = BTreeSet::new();
    for f in findings(v) {
        let rule = f["rule"].as_str().unwrap();
        let primary = loc(&f["location"]);
        out.insert(format!("{rule} {primary}"));
        for r in f["related"].as_array().into_iter().flatten() {
            out.insert(format!("{rule} {primary} -> {}", loc(r)));
        }
    }
    out
}

fn rel_to(path: &str, dir: &Path) -> String {
    let d = rel(dir);
    path.strip_prefix(&format!("{d}/"))
        .unwrap_or(path)
        .to_string()
}

/// The `.expected` file of a fixture: `x.tf` → `x.expected`,
/// `x.tf.json` → `x.expected`, `dir` → `dir.expected`.
pub fn expected_path(fixture: &Path) -> PathBuf {
    let name = fixture.file_name().unwrap().to_str().unwrap();
    match name.strip_suffix(".tf.json") {
        Some(stem) => fixture.with_file_name(format!("{stem}.expected")),
        None => fixture.with_extension("expected"),
    }
}

pub fn expected(fixture: &Path) -> BTreeSet<String> {
    let path = expected_path(fixture);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} has no {}", fixture.display(), path.display()))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Lints every fixture of the directories and compares with its `.expected`;
/// every finding but `parse-error` must name its IaC resource. Returns how
/// many fixtures were checked.
pub fn check_fixture_dirs(dirs: &[&str]) -> usize {
    let mut failures = Vec::new();
    let mut seen = 0;
    for dir in dirs {
        for f in fixtures(dir) {
            seen += 1;
            let v = lint(&rel(&f));
            let got = lines(&v, f.is_dir().then_some(f.as_path()));
            let want = expected(&f);
            if got != want {
                failures.push(format!(
                    "{}:\n  expected {want:?}\n  got      {got:?}",
                    f.display()
                ));
            }
            for finding in findings(&v) {
                if finding["rule"] != "parse-error" {
                    assert!(
                        finding["location"]["resource"].is_string(),
                        "{}: every IaC finding names its resource: {finding}",
                        f.display()
                    );
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    seen
}

/// For a file whose `sub` value is unknown statically: nothing is reported about
/// that value (the sub rules would otherwise call it broad or missing), while the
/// resolvable mistake `real` in the same statement still is.
pub fn assert_unknown_sub_stays_quiet(v: &Value, real: &str) {
    let rules: BTreeSet<&str> = findings(v)
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(real), "{rules:?}");
    for f in findings(v) {
        let p = f["location"]["pointer"].as_str().unwrap_or("");
        assert!(
            !p.contains(":sub") && !p.ends_with("/Condition"),
            "a finding about the unknown sub value: {f}"
        );
    }
    for quiet in [
        "missing-sub-condition",
        "sub-wildcard-crosses-namespace",
        "sub-wildcard-too-broad",
        "sub-never-matches",
        "path-based-identity",
        "unprotected-refs-admitted",
    ] {
        assert!(!rules.contains(quiet), "{quiet} from an unknown value");
    }
}
