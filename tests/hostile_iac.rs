//! Hostile IaC input through the real binary: expansions that grow without
//! bound (Terraform `replace()` over chained locals, `for` over large lists,
//! self-referencing locals, CloudFormation `!Sub` over a large default,
//! parameter cycles, YAML "billion laughs", `include:` cycles, fan-out and depth)
//! end in a bounded time with one `analysis-limit` finding naming the limit,
//! the capped value stays unknown (no rule reports on it, `simulate` says
//! `indeterminate`), and the rest of the file is still checked. Each case has a
//! near miss just under its limit that is evaluated fully.
//!
//! Every input is generated here with a few lines of code.

mod common;

use std::path::Path;

use common::{oidc_doctor, run_json};
use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn lint(path: &str, code: i32) -> Value {
    run_json(oidc_doctor().args(["lint", path]), code)
}

fn rules(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

/// The only `analysis-limit` finding (there is one per file at most).
fn the_limit(v: &Value) -> &Value {
    let limits: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "analysis-limit")
        .collect();
    assert_eq!(limits.len(), 1, "one analysis-limit finding: {v:#}");
    assert_eq!(limits[0]["severity"], "warning");
    limits[0]
}

fn message(f: &Value) -> &str {
    f["message"].as_str().unwrap()
}

// ---- Terraform ---------------------------------------------------------------

/// A policy document whose `sub` is `sub` (HCL) and whose `aud` is a real
/// mistake unrelated to it (`*` under StringEquals: an error), with `locals`.
fn tf_policy(locals: &str, sub: &str, sid: &str) -> String {
    format!(
        r#"locals {{
{locals}
}}
data "aws_iam_policy_document" "trust" {{
  statement {{
    sid     = {sid}
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {{
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/gitlab.com"]
    }}
    condition {{
      test     = "StringEquals"
      variable = "gitlab.com:sub"
      values   = [{sub}]
    }}
    condition {{
      test     = "StringEquals"
      variable = "gitlab.com:aud"
      values   = ["https://gitlab.com*"]
    }}
  }}
}}
"#
    )
}

/// `l0` … `lN`: each `replace()`s every `x` of the previous by the whole previous.
fn squaring(levels: usize) -> String {
    let mut t = String::from("  l0 = \"xxxxxxxxxxxxxxxx\"\n");
    for i in 1..=levels {
        t.push_str(&format!(
            "  l{i} = replace(local.l{p}, \"x\", local.l{p})\n",
            p = i - 1
        ));
    }
    t
}

const SUB: &str = r#""project_path:mygroup/app:ref_type:branch:ref:main""#;

/// The infos a known [`SUB`] gets on gitlab.com (no `project_id` pin, no
/// `ref_protected` guard): absent when the `sub` is unknown.
const KNOWN_SUB_INFOS: &[&str] = &["path-based-identity", "unprotected-refs-admitted"];

#[test]
fn terraform_replace_over_chained_locals_is_capped_and_the_rest_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    // Without the cap: 16, 256, 65,536, 4 GiB, 2^64 bytes.
    let bomb = tf_policy(
        &squaring(5),
        r#""project_path:${local.l5}:ref_type:branch:ref:main""#,
        "\"Trust\"",
    );
    let path = write(dir.path(), "bomb.tf", &bomb);
    let v = lint(&path, 1);
    let f = the_limit(&v);
    assert!(message(f).contains("limit `MAX_VALUE_BYTES`"), "{f}");
    assert!(message(f).contains("`local.l3`"), "{f}");
    assert!(
        message(f).contains("everything else in the file was checked"),
        "{f}"
    );
    assert_eq!(
        f["location"]["pointer"],
        "/Statement/0/Condition/StringEquals/gitlab.com:sub/0"
    );
    assert_eq!(
        f["location"]["resource"],
        "data.aws_iam_policy_document.trust"
    );
    // The unrelated mistake is reported; nothing is said about the unknown sub.
    assert_eq!(rules(&v), ["analysis-limit", "wildcard-in-exact-operator"]);

    // `simulate` cannot decide on an unknown `sub`: indeterminate, not allowed.
    let mut cmd = oidc_doctor();
    cmd.args([
        "simulate",
        "--policy",
        &path,
        "--claim",
        "sub=project_path:mygroup/app:ref_type:branch:ref:main",
        "--claim",
        "aud=https://gitlab.com*",
    ]);
    let v = run_json(&mut cmd, 1);
    assert_eq!(v["verdict"]["status"], "indeterminate");

    // Near miss: 65,536 bytes (level 2) is evaluated and checked.
    let near = tf_policy(&squaring(2), SUB, "replace(local.l2, \"x\", \"S\")");
    let v = lint(&write(dir.path(), "near.tf", &near), 1);
    // The `sub` is known now: the breadth advice about it shows that it was read.
    assert_eq!(
        rules(&v),
        [KNOWN_SUB_INFOS, &["wildcard-in-exact-operator"]].concat()
    );
    let mut cmd = oidc_doctor();
    cmd.args([
        "simulate",
        "--policy",
        &write(dir.path(), "near-sim.tf", &near),
        "--claim",
        "sub=project_path:mygroup/app:ref_type:branch:ref:main",
        "--claim",
        "aud=https://gitlab.com*",
    ]);
    assert_eq!(run_json(&mut cmd, 0)["verdict"]["status"], "allowed");
}

#[test]
fn terraform_reference_cycles_are_named_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let text = tf_policy(
        "  a = \"${local.b}x\"\n  b = local.c\n  c = local.a\n",
        r#""project_path:${local.a}:ref_type:branch:ref:main""#,
        "\"Trust\"",
    );
    let v = lint(&write(dir.path(), "cycle.tf", &text), 1);
    let f = the_limit(&v);
    assert!(message(f).contains("reference cycle"), "{f}");
    assert!(
        message(f).contains("`local.a → local.b → local.c → local.a`"),
        "{f}"
    );
    assert_eq!(rules(&v), ["analysis-limit", "wildcard-in-exact-operator"]);
}

fn list_of(n: usize) -> String {
    let items: Vec<String> = (0..n).map(|i| format!("\"p{i}\"")).collect();
    format!("[{}]", items.join(", "))
}

#[test]
fn terraform_for_over_a_large_list_is_capped_and_a_list_at_the_cap_is_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let text = |n: usize| {
        tf_policy(
            &format!(
                "  names = {}\n  subs = [for p in local.names : \"project_path:mygroup/${{p}}:ref_type:branch:ref:main\"]\n",
                list_of(n)
            ),
            // The first subject, and a mistake that is only visible once the
            // `for` is evaluated: the last name has a stray space.
            "local.subs[0], \"project_path:mygroup/app :ref_type:branch:ref:main\"",
            "\"Trust\"",
        )
    };
    let over = 10_001;
    let v = lint(&write(dir.path(), "over.tf", &text(over)), 1);
    let f = the_limit(&v);
    assert!(message(f).contains("limit `MAX_FOR_ITEMS`"), "{f}");
    assert!(message(f).contains("10,001 elements"), "{f}");
    // The literal value next to the capped one is still checked.
    assert_eq!(
        rules(&v),
        [
            "analysis-limit",
            "sub-never-matches",
            "wildcard-in-exact-operator"
        ]
    );
    let v = lint(&write(dir.path(), "near.tf", &text(10_000)), 1);
    assert_eq!(
        rules(&v),
        [
            KNOWN_SUB_INFOS,
            &["sub-never-matches", "wildcard-in-exact-operator"]
        ]
        .concat()
    );
}

// ---- CloudFormation ----------------------------------------------------------

/// A role whose `sub` is `sub`, whose `Sid` is `sid` (YAML), with `parameters`;
/// `aud` is the unrelated mistake.
fn cfn_role(parameters: &str, sub: &str, sid: &str) -> String {
    format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
{parameters}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Sid: {sid}
            Principal:
              Federated: arn:aws:iam::123456789012:oidc-provider/gitlab.com
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringEquals:
                "gitlab.com:sub": {sub}
                "gitlab.com:aud": "https://gitlab.com*"
"#
    )
}

fn big_default(bytes: usize) -> String {
    format!(
        "  Big:\n    Type: String\n    Default: {}\n",
        "x".repeat(bytes)
    )
}

#[test]
fn cloudformation_sub_over_a_large_default_is_capped_and_the_rest_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    // The reported attack: a 100 KB default expanded 30,000 times (3 GB).
    let bomb = cfn_role(
        &big_default(100_000),
        &format!("!Sub \"project_path:{}:*\"", "${Big}".repeat(30_000)),
        "Trust",
    );
    let path = write(dir.path(), "bomb.yaml", &bomb);
    let v = lint(&path, 1);
    let f = the_limit(&v);
    assert!(message(f).contains("limit `MAX_VALUE_BYTES`"), "{f}");
    assert!(message(f).contains("Fn::Sub"), "{f}");
    assert_eq!(
        f["location"]["pointer"],
        "/Statement/0/Condition/StringEquals/gitlab.com:sub"
    );
    assert_eq!(f["location"]["resource"], "Role");
    assert_eq!(rules(&v), ["analysis-limit", "wildcard-in-exact-operator"]);
    let mut cmd = oidc_doctor();
    cmd.args([
        "simulate",
        "--policy",
        &path,
        "--claim",
        "sub=project_path:mygroup/app:ref_type:branch:ref:main",
        "--claim",
        "aud=https://gitlab.com*",
    ]);
    assert_eq!(run_json(&mut cmd, 1)["verdict"]["status"], "indeterminate");

    // Near miss: ten copies (1,000,001 bytes) are built and checked.
    let near = cfn_role(
        &big_default(100_000),
        SUB,
        &format!("!Sub \"S{}\"", "${Big}".repeat(10)),
    );
    let v = lint(&write(dir.path(), "near.yaml", &near), 1);
    assert_eq!(
        rules(&v),
        [KNOWN_SUB_INFOS, &["wildcard-in-exact-operator"]].concat()
    );
}

#[test]
fn cloudformation_parameter_cycles_and_long_ref_chains_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let cycle = "  A:\n    Type: String\n    Default: !Ref B\n  B:\n    Type: String\n    Default: !Sub \"${A}x\"\n";
    let v = lint(
        &write(
            dir.path(),
            "cycle.yaml",
            &cfn_role(cycle, "!Ref A", "Trust"),
        ),
        1,
    );
    let f = the_limit(&v);
    assert!(message(f).contains("reference cycle"), "{f}");
    assert!(message(f).contains("`A → B → A`"), "{f}");
    assert_eq!(rules(&v), ["analysis-limit", "wildcard-in-exact-operator"]);

    let chain = |n: usize| {
        let mut p = String::new();
        for i in 0..n {
            p.push_str(&format!(
                "  P{i}:\n    Type: String\n    Default: !Ref P{}\n",
                i + 1
            ));
        }
        p.push_str(&format!(
            "  P{n}:\n    Type: String\n    Default: \"project_path:mygroup/app:ref_type:branch:ref:main \"\n"
        ));
        p
    };
    let v = lint(
        &write(
            dir.path(),
            "deep.yaml",
            &cfn_role(&chain(40), "!Ref P0", "Trust"),
        ),
        1,
    );
    assert!(message(the_limit(&v)).contains("limit `MAX_EVAL_DEPTH`"));
    assert_eq!(rules(&v), ["analysis-limit", "wildcard-in-exact-operator"]);
    // Ten levels are followed: the stray space at the end of the chain is found.
    let v = lint(
        &write(
            dir.path(),
            "near.yaml",
            &cfn_role(&chain(10), "!Ref P0", "Trust"),
        ),
        1,
    );
    assert_eq!(
        rules(&v),
        ["sub-never-matches", "wildcard-in-exact-operator"]
    );
}

// ---- YAML aliases ------------------------------------------------------------

/// Anchors referring to the previous anchor ten times, `levels` deep.
fn laughs(levels: usize) -> String {
    let mut t = String::from("l0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..levels {
        let p = format!("*a{}", i - 1);
        t.push_str(&format!("l{i}: &a{i} [{}]\n", vec![p; 10].join(", ")));
    }
    t
}

#[test]
fn yaml_alias_bombs_stop_at_the_node_limit_in_templates_and_ci_files() {
    let dir = tempfile::tempdir().unwrap();
    let template = format!("AWSTemplateFormatVersion: \"2010-09-09\"\n{}", laughs(9));
    write(dir.path(), "stack.yaml", &template);
    let ci = format!(
        "{}job:\n  script: [echo]\n  variables: {{T: $CI_JOB_JWT_V2}}\n",
        laughs(9)
    );
    write(dir.path(), ".gitlab-ci.yml", &ci);
    // Another file of the tree, with a real mistake, is still linted.
    write(
        dir.path(),
        "trust.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main", "gitlab.com:aud": "https://gitlab.com*"}}}]}"#,
    );
    let v = lint(dir.path().to_str().unwrap(), 1);
    let mut by_file: Vec<(String, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = f["location"]["path"].as_str().unwrap();
            let name = Path::new(p)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, f["rule"].as_str().unwrap())
        })
        .collect();
    by_file.sort();
    assert_eq!(
        by_file,
        [
            (".gitlab-ci.yml".to_string(), "analysis-limit"),
            ("stack.yaml".to_string(), "analysis-limit"),
            ("trust.json".to_string(), "path-based-identity"),
            ("trust.json".to_string(), "unprotected-refs-admitted"),
            ("trust.json".to_string(), "wildcard-in-exact-operator"),
        ]
    );
    for f in v["findings"].as_array().unwrap() {
        if f["rule"] == "analysis-limit" {
            assert!(message(f).contains("limit `MAX_NODES`"), "{f}");
        }
    }
    // A warning: exit 0 alone, 1 with `--fail-on warning`.
    let stack = dir.path().join("stack.yaml");
    lint(stack.to_str().unwrap(), 0);
    run_json(
        oidc_doctor().args(["--fail-on", "warning", "lint", stack.to_str().unwrap()]),
        1,
    );

    // Near miss: five levels (100,000 nodes) are read, and the CI file's
    // legacy variable is found.
    let ci = format!(
        "{}job:\n  script: [echo]\n  variables: {{T: $CI_JOB_JWT_V2}}\n",
        laughs(5)
    );
    let near = write(dir.path(), "near/.gitlab-ci.yml", &ci);
    assert_eq!(rules(&lint(&near, 1)), ["legacy-ci-job-jwt"]);
}

#[test]
fn a_large_scalar_aliased_many_times_stops_at_the_byte_limit() {
    let dir = tempfile::tempdir().unwrap();
    let ci = |aliases: usize| {
        format!(
            "big: &b \"{}\"\nuses: [{}]\njob:\n  script: [echo $CI_JOB_JWT]\n",
            "x".repeat(1 << 20),
            vec!["*b"; aliases].join(", ")
        )
    };
    let v = lint(&write(dir.path(), "a/.gitlab-ci.yml", &ci(1_000)), 0);
    assert!(message(the_limit(&v)).contains("limit `MAX_BYTES`"));
    let v = lint(&write(dir.path(), "b/.gitlab-ci.yml", &ci(12)), 1);
    assert_eq!(rules(&v), ["legacy-ci-job-jwt"]);
}

// ---- .gitlab-ci.yml include graphs -------------------------------------------

fn including(names: &[String], body: &str) -> String {
    let mut t = String::from("include:\n");
    for n in names {
        t.push_str(&format!("  - local: {n}\n"));
    }
    t.push_str(body);
    t
}

const LEGACY_JOB: &str = "legacy:\n  script: [echo $CI_JOB_JWT]\n";
const PLAIN_JOB: &str = "job:\n  script: [echo]\n";

/// `(file, rule)` of each finding, paths relative to `dir`.
fn located(v: &Value, dir: &Path) -> Vec<(String, String)> {
    let dir = dir.to_str().unwrap();
    let mut out: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = f["location"]["path"].as_str().unwrap();
            let p = p.strip_prefix(dir).unwrap_or(p).trim_start_matches('/');
            (p.to_string(), f["rule"].as_str().unwrap().to_string())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn include_cycles_and_self_includes_are_named_and_every_file_is_linted_once() {
    let dir = tempfile::tempdir().unwrap();
    // Hidden `.ci/`: the directory walk skips it, so only the include graph
    // brings these files in — nested ones included.
    write(
        dir.path(),
        ".gitlab-ci.yml",
        &including(&[".ci/a.yml".into()], PLAIN_JOB),
    );
    write(
        dir.path(),
        ".ci/a.yml",
        &including(&[".ci/b.yml".into(), ".ci/a.yml".into()], PLAIN_JOB),
    );
    write(
        dir.path(),
        ".ci/b.yml",
        &including(&[".ci/a.yml".into(), ".gitlab-ci.yml".into()], LEGACY_JOB),
    );
    let v = lint(dir.path().to_str().unwrap(), 1);
    assert_eq!(
        located(&v, dir.path()),
        [
            (".ci/a.yml".to_string(), "analysis-limit".to_string()),
            (".ci/b.yml".to_string(), "analysis-limit".to_string()),
            (".ci/b.yml".to_string(), "legacy-ci-job-jwt".to_string()),
        ]
    );
    let msgs: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "analysis-limit")
        .map(message)
        .collect();
    assert!(
        msgs[0].contains("`.ci/a.yml` → `.ci/a.yml` form a cycle"),
        "{msgs:?}"
    );
    assert!(
        msgs[1].contains("`.ci/a.yml` → `.ci/b.yml` → `.ci/a.yml` form a cycle"),
        "{msgs:?}"
    );
    assert!(msgs[1].contains("(and 1 more in this file)"), "{msgs:?}");
    assert_eq!(v["summary"]["files"], 3);
}

#[test]
fn include_fan_out_stops_at_gitlab_s_limit_and_150_includes_are_all_read() {
    let run = |n: usize| {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..n).map(|i| format!(".ci/{i:03}.yml")).collect();
        for (i, name) in names.iter().enumerate() {
            // Only the last file has the mistake.
            write(
                dir.path(),
                name,
                if i + 1 == n { LEGACY_JOB } else { PLAIN_JOB },
            );
        }
        write(dir.path(), ".gitlab-ci.yml", &including(&names, PLAIN_JOB));
        let v = lint(dir.path().to_str().unwrap(), if n <= 150 { 1 } else { 0 });
        (located(&v, dir.path()), v)
    };
    let (found, _) = run(150);
    assert_eq!(
        found,
        [(".ci/149.yml".to_string(), "legacy-ci-job-jwt".to_string())]
    );
    let (found, v) = run(151);
    assert_eq!(
        found,
        [(".gitlab-ci.yml".to_string(), "analysis-limit".to_string())]
    );
    let f = the_limit(&v);
    assert!(message(f).contains("limit `MAX_INCLUDES`"), "{f}");
    assert!(
        message(f).contains("`.ci/150.yml` and the includes after it were not followed"),
        "{f}"
    );
    assert_eq!(f["location"]["line"], 152);
}

#[test]
fn include_chains_stop_at_gitlab_s_nesting_depth() {
    let run = |n: usize| {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            ".gitlab-ci.yml",
            &including(&[".ci/c1.yml".into()], PLAIN_JOB),
        );
        for i in 1..=n {
            let body = if i == n { LEGACY_JOB } else { PLAIN_JOB };
            let next = if i == n {
                vec![]
            } else {
                vec![format!(".ci/c{}.yml", i + 1)]
            };
            write(
                dir.path(),
                &format!(".ci/c{i}.yml"),
                &including(&next, body),
            );
        }
        let v = lint(dir.path().to_str().unwrap(), if n <= 100 { 1 } else { 0 });
        (located(&v, dir.path()), v)
    };
    let (found, _) = run(100);
    assert_eq!(
        found,
        [(".ci/c100.yml".to_string(), "legacy-ci-job-jwt".to_string())]
    );
    let (found, v) = run(101);
    assert_eq!(
        found,
        [(".ci/c100.yml".to_string(), "analysis-limit".to_string())]
    );
    assert!(message(the_limit(&v)).contains("limit `MAX_INCLUDE_DEPTH`"));
}
