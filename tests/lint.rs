//! `oidc-doctor lint` as a CI job runs it: paths, directories, stdin, exit codes.

mod common;

use common::{oidc_doctor, run_json, stdout_of};

/// The rules of the cross-file checks (`src/lint/cross.rs`): their findings
/// are known only once every file is read, so they come last.
const CROSS_FILE_RULES: &[&str] = &[
    "aud-mismatch",
    "provider-url-invalid",
    "condition-key-provider-mismatch",
    "id-token-aud-mismatch",
];

#[test]
fn a_directory_is_walked_and_findings_are_ordered() {
    // The report streams: each file's findings as the file is linted (files in
    // path order, findings in position order), then the cross-file findings,
    // in path and position order too.
    let v = run_json(oidc_doctor().args(["lint", "fixtures/rules"]), 1);
    let places: Vec<(String, u64, u64, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
                f["location"]["column"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let per_file = places
        .iter()
        .rposition(|p| !CROSS_FILE_RULES.contains(&p.3.as_str()))
        .map_or(0, |i| i + 1);
    let (own, cross) = places.split_at(per_file);
    // `fixtures/rules/aud-mismatch/trigger.tf` declares a provider whose client
    // IDs the policies elsewhere in the tree are checked against: those
    // findings come after every file's own.
    assert!(
        cross
            .iter()
            .any(|p| p.0 == "fixtures/rules/aud-mismatch/trigger.tf" && p.3 == "aud-mismatch"),
        "{cross:?}"
    );
    assert!(
        own.iter()
            .any(|p| p.0.ends_with("wrong-action/trigger.json")),
        "{own:?}"
    );
    for part in [own, cross] {
        let mut sorted = part.to_vec();
        sorted.sort();
        assert_eq!(
            part,
            &sorted[..],
            "findings are ordered by path and position"
        );
    }
    let places: Vec<_> = places.iter().map(|p| (p.0.clone(), p.1)).collect();
    assert!(v["summary"]["files"].as_u64().unwrap() >= 12);
    let counted: u64 = ["errors", "warnings", "infos"]
        .iter()
        .map(|k| v["summary"][*k].as_u64().unwrap())
        .sum();
    assert_eq!(counted as usize, places.len());
}

#[test]
fn non_policies_are_skipped_silently_in_walks_and_noted_when_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"name": "x", "version": "1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("broken-config.json"), "{not json").unwrap();
    std::fs::write(
        dir.path().join("trust"),
        std::fs::read(common::root().join("fixtures/rules/wrong-action/trigger.json")).unwrap(),
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let out = oidc_doctor()
        .args(["lint", d, "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["summary"]["files"], 0,
        "package.json is not a policy, `trust` is not .json"
    );
    assert!(
        out.stderr.is_empty(),
        "skipped silently: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Named explicitly, a file is recognised by content whatever its name…
    let trust = dir.path().join("trust");
    let v = run_json(oidc_doctor().args(["lint", trust.to_str().unwrap()]), 1);
    assert_eq!(v["findings"][0]["rule"], "wrong-action");
    // …and a non-policy gets a note.
    let pkg = dir.path().join("package.json");
    let out = oidc_doctor()
        .args(["lint", pkg.to_str().unwrap()])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an IAM policy document"));
}

#[test]
fn stdin_is_linted_as_stdin() {
    let text = std::fs::read_to_string(
        common::root().join("fixtures/rules/unknown-condition-operator/trigger.json"),
    )
    .unwrap();
    let v = run_json(oidc_doctor().args(["lint", "-"]).write_stdin(text), 1);
    assert_eq!(v["findings"][0]["location"]["path"], "<stdin>");
    assert_eq!(v["findings"][0]["help"], "did you mean `StringLike`?");
}

#[test]
fn human_output_shows_the_place_and_a_summary() {
    let out = stdout_of(
        oidc_doctor().args(["lint", "fixtures/rules/wrong-action/trigger.json"]),
        1,
    );
    assert!(
        out.contains("fixtures/rules/wrong-action/trigger.json:7:17"),
        "{out}"
    );
    assert!(out.contains("wrong-action"), "{out}");
    assert!(
        out.ends_with("1 error, 0 warnings, 0 infos in 1 policy file checked\n"),
        "{out}"
    );
}

#[test]
fn missing_paths_are_usage_errors() {
    let out = oidc_doctor()
        .args(["lint", "no/such/dir"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read no/such/dir"));
}

#[test]
fn clean_policies_pass() {
    for policy in [
        "fixtures/policies/clean-gitlab-com.json",
        "fixtures/policies/clean-self-managed.json",
    ] {
        let v = run_json(oidc_doctor().args(["lint", policy]), 0);
        assert_eq!(v["summary"]["errors"], 0, "{policy}: {v:#}");
        assert_eq!(v["summary"]["files"], 1, "{policy}");
        // The policy really admits the pipeline it was written for.
        let (iss, sub) = if policy.contains("self-managed") {
            (
                "https://gitlab.example.com/gitlab",
                "project_path:platform/api:ref_type:branch:ref:main",
            )
        } else {
            (
                "https://gitlab.com",
                "project_path:mygroup/app:ref_type:branch:ref:main",
            )
        };
        let v = run_json(
            oidc_doctor().args([
                "simulate",
                "--policy",
                policy,
                "--claim",
                &format!("iss={iss}"),
                "--claim",
                &format!("aud={iss}"),
                "--claim",
                &format!("sub={sub}"),
                "--claim",
                "project_id=4711",
                "--claim",
                "ref_protected=true",
            ]),
            0,
        );
        assert_eq!(v["verdict"]["status"], "allowed", "{policy}");
    }
}

#[test]
fn the_configured_scope_decides_what_is_too_broad() {
    let dir = tempfile::tempdir().unwrap();
    // The group wildcard of fixtures/policies/group-wildcard.json, without its namespace pin.
    let policy =
        std::fs::read_to_string(common::root().join("fixtures/policies/group-wildcard.json"))
            .unwrap()
            .replace(",\n          \"gitlab.com:namespace_id\": \"4242\"", "");
    assert!(!policy.contains("namespace_id"));
    std::fs::create_dir_all(dir.path().join("infra")).unwrap();
    std::fs::write(dir.path().join("infra/trust.json"), policy).unwrap();
    let rules = |v: &serde_json::Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    // Without a scope, a whole group is breadth inside the owner's namespace…
    let v = run_json(
        oidc_doctor()
            .current_dir(dir.path())
            .args(["lint", "infra"]),
        0,
    );
    assert!(
        rules(&v).contains(&"sub-wildcard-too-broad".to_string()),
        "{v:#}"
    );
    assert!(
        !rules(&v).contains(&"sub-wildcard-crosses-namespace".to_string()),
        "{v:#}"
    );
    // …with `[scope] projects = ["mygroup/app"]`, other projects of the group are outside it.
    std::fs::write(
        dir.path().join(".oidc-doctor.toml"),
        "[scope]\nprojects = [\"mygroup/app\"]\n",
    )
    .unwrap();
    let v = run_json(
        oidc_doctor()
            .current_dir(dir.path())
            .args(["lint", "infra"]),
        1,
    );
    let crossing = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sub-wildcard-crosses-namespace")
        .expect("crosses the scope");
    let example = crossing["example"].as_str().unwrap();
    assert!(
        example.starts_with("project_path:mygroup/")
            && !example.starts_with("project_path:mygroup/app:"),
        "{example}"
    );
}

/// The sized single-read path: a policy of exactly the cap is read whole (its mistake
/// found at its last line), one byte more is refused — named, exit 2; in a walk, a note.
#[test]
fn files_are_read_whole_up_to_the_cap_and_refused_beyond_it() {
    const CAP: usize = 4 << 20;
    let dir = tempfile::tempdir().unwrap();
    let policy =
        std::fs::read_to_string(common::root().join("fixtures/rules/wrong-action/trigger.json"))
            .unwrap();
    // Pad with leading whitespace so the mistake sits at the very end of the file.
    let padded = |len: usize| format!("{}{}", " ".repeat(len - policy.len()), policy);
    let at_cap = dir.path().join("at-cap.json");
    std::fs::write(&at_cap, padded(CAP)).unwrap();
    let v = run_json(oidc_doctor().args(["lint", at_cap.to_str().unwrap()]), 1);
    assert_eq!(v["findings"][0]["rule"], "wrong-action", "{v}");

    let big = tempfile::tempdir().unwrap();
    let over = big.path().join("over-cap.json");
    std::fs::write(&over, padded(CAP + 1)).unwrap();
    let out = oidc_doctor()
        .args(["lint", over.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("larger than 4 MiB"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = oidc_doctor()
        .args(["lint", big.path().to_str().unwrap(), "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than 4 MiB"));
}

/// A policy JSON file is checked against a provider another file declares: its
/// statements are re-read for the cross-file checks only when the tree declares a
/// provider, and the finding lands in the JSON file at the `aud` values.
#[test]
fn a_json_policy_meets_the_provider_a_terraform_file_declares() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("oidc.tf"),
        r#"resource "aws_iam_openid_connect_provider" "gitlab" {
  url             = "https://gitlab.com"
  client_id_list  = ["https://gitlab.com"]
  thumbprint_list = []
}
"#,
    )
    .unwrap();
    let policy = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {
      "gitlab.com:aud": "sts.amazonaws.com",
      "gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main",
      "gitlab.com:project_id": "42",
      "gitlab.com:ref_protected": "true"
    }}
  }]
}
"#;
    std::fs::write(dir.path().join("trust.json"), policy).unwrap();
    let d = dir.path().to_str().unwrap();
    let v = run_json(oidc_doctor().args(["lint", d]), 1);
    let aud: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "aud-mismatch")
        .collect();
    assert_eq!(aud.len(), 1, "{v}");
    assert!(
        aud[0]["location"]["path"]
            .as_str()
            .unwrap()
            .ends_with("trust.json")
    );
    assert_eq!(aud[0]["location"]["line"], 8);

    // The same policy without the provider file: no cross-file finding.
    std::fs::remove_file(dir.path().join("oidc.tf")).unwrap();
    let out = oidc_doctor()
        .args(["lint", d, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "aud-mismatch"),
        "{v}"
    );
}
