//! `.oidc-doctor.toml` through the real binary: discovery, `--config`, severity
//! overrides and `off`, `[files]`, `[[ignore]]`, and invalid files (exit 2).

mod common;

use std::path::Path;

use common::{oidc_doctor, root};
use serde_json::Value;

fn fixture(rule: &str) -> String {
    std::fs::read_to_string(root().join(format!("fixtures/rules/{rule}/trigger.json"))).unwrap()
}

/// A repository with a few policies: infra/{wrong-action,unknown-operator}.json,
/// infra/legacy/old.json, examples/sample.json.
fn repo(config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for d in ["infra/legacy", "examples"] {
        std::fs::create_dir_all(p.join(d)).unwrap();
    }
    std::fs::write(p.join("infra/wrong-action.json"), fixture("wrong-action")).unwrap();
    std::fs::write(
        p.join("infra/unknown-operator.json"),
        fixture("unknown-condition-operator"),
    )
    .unwrap();
    std::fs::write(p.join("infra/legacy/old.json"), fixture("wrong-action")).unwrap();
    std::fs::write(p.join("examples/sample.json"), fixture("wrong-action")).unwrap();
    if let Some(c) = config {
        std::fs::write(p.join(".oidc-doctor.toml"), c).unwrap();
    }
    dir
}

/// `lint ARGS --format json` from `cwd`: (exit code, findings as "rule path").
fn lint(cwd: &Path, args: &[&str]) -> (i32, Vec<String>, Value) {
    let out = oidc_doctor()
        .current_dir(cwd)
        .arg("lint")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    common::assert_schema_valid(&v);
    let findings = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["location"]["path"].as_str().unwrap()
            )
        })
        .collect();
    (code, findings, v)
}

fn usage_error(cwd: &Path, args: &[&str]) -> String {
    let out = oidc_doctor()
        .current_dir(cwd)
        .arg("lint")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

#[test]
fn without_configuration_everything_is_reported() {
    let dir = repo(None);
    let (code, findings, _) = lint(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(
        findings,
        [
            "wrong-action error ./examples/sample.json",
            "wrong-action error ./infra/legacy/old.json",
            "unknown-condition-operator error ./infra/unknown-operator.json",
            "wrong-action error ./infra/wrong-action.json",
        ]
    );
}

#[test]
fn severities_are_overridden_and_off_drops_a_rule() {
    let dir = repo(Some(
        "[rules]\nwrong-action = \"warning\"\nunknown-condition-operator = \"off\"\n",
    ));
    let (code, findings, v) = lint(dir.path(), &["infra"]);
    assert_eq!(code, 0, "warnings do not fail by default");
    assert_eq!(
        findings,
        [
            "wrong-action warning infra/legacy/old.json",
            "wrong-action warning infra/wrong-action.json",
        ]
    );
    assert_eq!(v["summary"]["warnings"], 2);
    let (code, _, _) = lint(dir.path(), &["infra", "--fail-on", "warning"]);
    assert_eq!(code, 1);

    // The override reaches SARIF's level and GitLab's severity as well.
    let out = oidc_doctor()
        .current_dir(dir.path())
        .args(["lint", "infra", "--format", "gitlab"])
        .output()
        .unwrap();
    let gl: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(gl[0]["severity"], "minor");
}

#[test]
fn the_configuration_is_found_above_the_first_path() {
    let dir = repo(Some("[rules]\nwrong-action = \"info\"\n"));
    // Linting a subdirectory, from somewhere else entirely.
    let elsewhere = tempfile::tempdir().unwrap();
    let infra = dir.path().join("infra/legacy/old.json");
    let (code, findings, _) = lint(elsewhere.path(), &[infra.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0].starts_with("wrong-action info "),
        "{findings:?}"
    );
}

#[test]
fn an_explicit_config_replaces_discovery() {
    let dir = repo(Some("[rules]\nwrong-action = \"info\"\n"));
    std::fs::create_dir_all(dir.path().join("ci")).unwrap();
    std::fs::write(
        dir.path().join("ci/strict.toml"),
        "[rules]\nwrong-action = \"off\"\n",
    )
    .unwrap();
    let (code, findings, _) = lint(dir.path(), &["infra", "--config", "ci/strict.toml"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings,
        ["unknown-condition-operator error infra/unknown-operator.json"]
    );
    let err = usage_error(dir.path(), &["infra", "--config", "ci/missing.toml"]);
    assert!(
        err.contains("cannot read configuration ci/missing.toml"),
        "{err}"
    );
}

#[test]
fn files_include_and_exclude_filter_directory_walks() {
    let dir = repo(Some(
        "[files]\ninclude = [\"infra\"]\nexclude = [\"legacy\", \"unknown-*.json\"]\n",
    ));
    let (_, findings, v) = lint(dir.path(), &["."]);
    assert_eq!(findings, ["wrong-action error ./infra/wrong-action.json"]);
    assert_eq!(v["summary"]["files"], 1);
    // A file named on the command line is linted whatever [files] says.
    let (_, findings, _) = lint(dir.path(), &["examples/sample.json"]);
    assert_eq!(findings, ["wrong-action error examples/sample.json"]);
}

#[test]
fn ignore_entries_accept_findings_by_rule_path_and_pointer() {
    let dir = repo(Some(
        r#"
[[ignore]]
rule = "wrong-action"
path = "infra/legacy/**"
reason = "legacy roles are replaced in Q3"

[[ignore]]
rule = "wrong-action"
path = "examples/*.json"
pointer = "/Statement/0"
reason = "examples show the mistake on purpose"

[[ignore]]
rule = "unknown-condition-operator"
path = "infra/unknown-operator.json"
pointer = "/Statement/1"
reason = "does not match: the finding is in statement 0"
"#,
    ));
    let (_, findings, _) = lint(dir.path(), &["."]);
    assert_eq!(
        findings,
        [
            "unknown-condition-operator error ./infra/unknown-operator.json",
            "wrong-action error ./infra/wrong-action.json",
        ]
    );
}

#[test]
fn invalid_configurations_are_usage_errors_naming_file_line_and_key() {
    let cases = [
        (
            "[rules]\nwrong-actoin = \"off\"\n",
            ":2: [rules] unknown rule `wrong-actoin` (did you mean `wrong-action`?)",
        ),
        ("[linter]\n", "unknown field `linter`"),
        (
            "[rules]\nwrong-action = \"fatal\"\n",
            ":2: [rules] wrong-action = \"fatal\": the level is \"error\", \"warning\", \"info\" or \"off\"",
        ),
        (
            "[files]\nexclude = [\"{a,b\"]\n",
            ":2: [files] exclude: invalid glob `{a,b`",
        ),
        (
            "[[ignore]]\nrule = \"wrong-action\"\npath = \"infra/**\"\n",
            "[[ignore]] #1 (rule `wrong-action`) has no `reason`",
        ),
        (
            "[scope]\nissuer = \"gitlab.example.com\"\nrefs = [\"main\"]\n",
            ":2: [scope] issuer `gitlab.example.com` is not an https:// URL",
        ),
        ("[scope]\nproject = [\"g/p\"]\n", "unknown field `project`"),
    ];
    for (text, want) in cases {
        let dir = repo(Some(text));
        let err = usage_error(dir.path(), &["infra"]);
        assert!(err.starts_with("error: invalid configuration "), "{err}");
        assert!(err.contains(".oidc-doctor.toml"), "{err}");
        assert!(err.contains(want), "{text:?}: {err}");
    }
}

#[test]
fn a_scope_is_accepted() {
    let dir = repo(Some(
        "[scope]\nissuer = \"https://gitlab.com\"\nprojects = [\"mygroup/app\", \"mygroup/*\"]\nrefs = [\"main\", \"release/*\"]\n",
    ));
    let (code, findings, _) = lint(dir.path(), &["infra"]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 3);
}

#[test]
fn the_readme_configuration_example_is_valid() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert!(!blocks.is_empty(), "README shows a configuration");
    for b in blocks {
        let c = oidc_doctor::config::Config::parse(b, Path::new("README.md"))
            .unwrap_or_else(|e| panic!("{e}\n{b}"));
        assert!(c.scope.is_some() && !c.ignores.is_empty());
    }
}
