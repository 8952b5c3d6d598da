//! `oidc-doctor who` as a user runs it: fixture policies, the words they read
//! (snapshots), the `admits` JSON a pipeline parses (checked against the output
//! schema) — and every counterexample it names run back through
//! `oidc-doctor simulate`, which must let it in.

mod common;

use common::{oidc_doctor, rule_names as rules, run_json, stdout_of};
use serde_json::Value;

fn who(policy: &str) -> assert_cmd::Command {
    let mut cmd = oidc_doctor();
    cmd.args(["who", policy]);
    cmd
}

fn fixture(name: &str) -> String {
    format!("fixtures/who/{name}.json")
}

/// The claims of a pipeline with `sub`, meeting the usual guards (audience,
/// protected ref, push pipeline); `ids` are the project/namespace IDs it carries.
fn simulate(policy: &str, sub: &str, ids: (&str, &str)) -> assert_cmd::Command {
    let mut cmd = oidc_doctor();
    cmd.args(["simulate", "--policy", policy]);
    for c in [
        format!("sub={sub}"),
        "aud=https://gitlab.com".into(),
        "ref_protected=true".into(),
        "pipeline_source=push".into(),
        format!("project_id={}", ids.0),
        format!("namespace_id={}", ids.1),
    ] {
        cmd.args(["--claim", &c]);
    }
    cmd
}

/// A stranger's project: IDs no policy here pins.
const STRANGER: (&str, &str) = ("90000001", "90000002");
/// The owner's project, as the pinned fixtures name it.
const OWNER: (&str, &str) = ("4711", "4242");

/// Every example in `admits.examples` and in the findings is admitted by the
/// engine (exit 0 from `simulate`), with the IDs given.
fn examples_are_admitted(policy: &str, v: &Value, ids: (&str, &str)) -> Vec<String> {
    let mut subjects: Vec<String> = v["admits"]["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(!e["why"].as_str().unwrap().is_empty());
            e["subject"].as_str().unwrap().to_string()
        })
        .collect();
    for f in v["findings"].as_array().unwrap() {
        if let Some(e) = f["example"].as_str()
            && !subjects.iter().any(|s| s == e)
        {
            subjects.push(e.to_string());
        }
    }
    for s in &subjects {
        simulate(policy, s, ids).assert().code(0);
    }
    subjects
}

fn kinds(v: &Value) -> Vec<&str> {
    v["admits"]["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect()
}

fn example_of<'a>(v: &'a Value, kind: &str) -> &'a str {
    v["admits"]["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} example in {v:#}"))["subject"]
        .as_str()
        .unwrap()
}

#[test]
fn exact_pin() {
    let p = fixture("exact-pin");
    insta::assert_snapshot!(stdout_of(&mut who(&p), 0));
    let v = run_json(&mut who(&p), 0);
    assert_eq!(v["command"], "who");
    let a = &v["admits"];
    assert_eq!(a["issuer"], "https://gitlab.com");
    assert_eq!(
        a["provider_arn"],
        "arn:aws:iam::123456789012:oidc-provider/gitlab.com"
    );
    assert_eq!(a["everyone"], false);
    assert_eq!(a["subjects"].as_array().unwrap().len(), 1);
    let s = &a["subjects"][0];
    assert_eq!(s["operator"], "StringEquals");
    assert_eq!(
        s["pattern"],
        "project_path:mygroup/app:ref_type:branch:ref:main"
    );
    assert_eq!(s["projects"], "project mygroup/app");
    assert_eq!(s["ref_types"], serde_json::json!(["branch"]));
    assert_eq!(s["refs"], "`main`");
    assert_eq!(
        s["guards"]["gitlab.com:project_id"],
        serde_json::json!(["4711"])
    );
    assert_eq!(
        s["guards"]["gitlab.com:ref_protected"],
        serde_json::json!(["true"])
    );
    assert_eq!(a["examples"], serde_json::json!([]));
    assert_eq!(v["findings"], serde_json::json!([]));
    // The subject itself gets in.
    simulate(
        &p,
        "project_path:mygroup/app:ref_type:branch:ref:main",
        OWNER,
    )
    .assert()
    .code(0);
}

#[test]
fn group_wildcard() {
    let p = fixture("group-wildcard");
    insta::assert_snapshot!(stdout_of(&mut who(&p), 0));
    let v = run_json(&mut who(&p), 0);
    let s = &v["admits"]["subjects"][0];
    assert_eq!(
        s["projects"],
        "every project in mygroup and all its subgroups"
    );
    assert_eq!(s["ref_types"], serde_json::json!(["branch"]));
    assert_eq!(kinds(&v), ["other-project"]);
    assert_eq!(
        example_of(&v, "other-project"),
        "project_path:mygroup/other-project:ref_type:branch:ref:main"
    );
    assert_eq!(rules(&v), ["sub-wildcard-too-broad", "path-based-identity"]);
    examples_are_admitted(&p, &v, OWNER);
}

#[test]
fn prefix_without_slash_crosses_the_namespace() {
    let p = fixture("prefix-without-slash");
    insta::assert_snapshot!(stdout_of(&mut who(&p), 0));
    let v = run_json(&mut who(&p), 0);
    assert_eq!(v["admits"]["everyone"], false);
    assert_eq!(
        example_of(&v, "outside-namespace"),
        "project_path:mygroup-evil/x:ref_type:branch:ref:main"
    );
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "sub-wildcard-crosses-namespace");
    assert_eq!(f["severity"], "error");
    assert_eq!(
        f["example"],
        "project_path:mygroup-evil/x:ref_type:branch:ref:main"
    );
    // A stranger's project with its own IDs gets in.
    examples_are_admitted(&p, &v, STRANGER);
}

#[test]
fn any_ref_type() {
    let p = fixture("any-ref-type");
    insta::assert_snapshot!(stdout_of(&mut who(&p), 0));
    let v = run_json(&mut who(&p), 0);
    assert_eq!(
        v["admits"]["subjects"][0]["ref_types"],
        serde_json::json!(["branch", "tag"])
    );
    assert_eq!(kinds(&v), ["any-ref-type"]);
    assert_eq!(
        example_of(&v, "any-ref-type"),
        "project_path:mygroup/app:ref_type:tag:ref:main"
    );
    assert_eq!(
        rules(&v),
        ["sub-wildcard-too-broad", "unprotected-refs-admitted"]
    );
    examples_are_admitted(&p, &v, OWNER);
}

#[test]
fn any_ref() {
    let p = fixture("any-ref");
    insta::assert_snapshot!(stdout_of(&mut who(&p), 0));
    let v = run_json(&mut who(&p), 0);
    assert_eq!(v["admits"]["subjects"][0]["refs"], "any ref");
    assert_eq!(kinds(&v), ["any-ref"]);
    assert_eq!(
        example_of(&v, "any-ref"),
        "project_path:mygroup/app:ref_type:branch:ref:unreviewed-feature"
    );
    assert_eq!(
        rules(&v),
        [
            "sub-wildcard-too-broad",
            "unprotected-refs-admitted",
            "merge-request-pipelines-admitted"
        ]
    );
    examples_are_admitted(&p, &v, OWNER);
}

#[test]
fn a_list_with_one_loose_value() {
    let p = fixture("list-one-loose");
    insta::assert_snapshot!(stdout_of(&mut who(&p), 0));
    let v = run_json(&mut who(&p), 0);
    let subjects = v["admits"]["subjects"].as_array().unwrap();
    assert_eq!(subjects.len(), 3);
    assert!(subjects.iter().all(|s| s["statement"] == 0));
    assert_eq!(
        v["admits"]["everyone"], true,
        "anyone can tag v1 in a project of their own"
    );
    let crossing: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "sub-wildcard-crosses-namespace")
        .collect();
    assert_eq!(crossing.len(), 1, "only the loose value");
    assert_eq!(
        crossing[0]["location"]["pointer"],
        "/Statement/0/Condition/StringLike/gitlab.com:sub/2"
    );
    assert_eq!(
        example_of(&v, "outside-namespace"),
        "project_path:evil-group/x:ref_type:tag:ref:v1.0.0"
    );
    examples_are_admitted(&p, &v, STRANGER);
}

#[test]
fn a_deny_carving_out_tags() {
    let p = fixture("deny-tags");
    insta::assert_snapshot!(stdout_of(&mut who(&p), 0));
    let v = run_json(&mut who(&p), 0);
    let a = &v["admits"];
    assert_eq!(a["subjects"][0]["ref_types"], serde_json::json!(["branch"]));
    assert_eq!(a["excluded"], serde_json::json!(["*:ref_type:tag:*"]));
    assert_eq!(a["exclusions"][0]["statement"], 1);
    // No tag is offered as a counterexample: the Deny removes them all.
    assert_eq!(kinds(&v), ["any-ref"]);
    let subjects = examples_are_admitted(&p, &v, STRANGER);
    assert!(
        subjects.iter().all(|s| !s.contains(":ref_type:tag:")),
        "{subjects:?}"
    );
    simulate(
        &p,
        "project_path:mygroup/app:ref_type:tag:ref:v1.0.0",
        STRANGER,
    )
    .assert()
    .code(1);
    simulate(
        &p,
        "project_path:mygroup/app:ref_type:tag:ref:main",
        STRANGER,
    )
    .assert()
    .code(1);
}

#[test]
fn no_sub_condition_admits_everyone() {
    let p = fixture("no-sub");
    insta::assert_snapshot!(stdout_of(&mut who(&p), 0));
    let v = run_json(&mut who(&p), 0);
    let a = &v["admits"];
    assert_eq!(a["everyone"], true);
    assert_eq!(a["subjects"][0]["operator"], "none");
    assert_eq!(a["subjects"][0]["pattern"], "*");
    assert_eq!(kinds(&v), ["anyone"]);
    assert_eq!(rules(&v), ["missing-sub-condition"]);
    assert!(
        v["findings"][0]["aws_error"]
            .as_str()
            .unwrap()
            .starts_with("MalformedPolicyDocument")
    );
    examples_are_admitted(&p, &v, STRANGER);
}

#[test]
fn a_malformed_policy_is_a_finding_not_an_error() {
    let p = "fixtures/policies/malformed-trailing-comma.json";
    insta::assert_snapshot!(stdout_of(&mut who(p), 0));
    let v = run_json(&mut who(p), 0);
    assert_eq!(rules(&v), ["invalid-policy-json"]);
    assert_eq!(v["admits"]["subjects"], serde_json::json!([]));
    assert_eq!(v["admits"]["everyone"], false);
}

#[test]
fn usage_errors_exit_2() {
    let out = who("fixtures/who/does-not-exist.json")
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: cannot read fixtures/who/does-not-exist.json"),
        "{err}"
    );
    oidc_doctor().args(["who"]).assert().code(2);
}

#[test]
fn reads_standard_input_and_exits_0_whatever_it_finds() {
    let text = std::fs::read(common::root().join(fixture("prefix-without-slash"))).unwrap();
    let v = run_json(oidc_doctor().args(["who", "-"]).write_stdin(text), 0);
    assert_eq!(v["findings"][0]["rule"], "sub-wildcard-crosses-namespace");
    assert_eq!(v["findings"][0]["location"]["path"], "<stdin>");
    // --fail-on does not make `who` judge.
    oidc_doctor()
        .args(["who", &fixture("prefix-without-slash"), "--fail-on", "info"])
        .assert()
        .code(0);
}

#[test]
fn help_has_examples() {
    let help = stdout_of(oidc_doctor().args(["who", "--help"]), 0);
    assert!(
        help.contains("oidc-doctor who trust.json --format json"),
        "{help}"
    );
}
