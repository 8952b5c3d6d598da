//! Generators of hostile inputs (issue 14): the inputs that once crashed, hung or
//! exhausted oidc-doctor, and their relatives, at any size. One source for three
//! users: the growth tests (`tests/growth.rs`, sizes 1×, 2×, 4×, 8×), the bench
//! script (`bench/hostile.py` through `examples/hostile_inputs.rs`, at the size
//! the issue reported) and the fuzzing harness's seeds (`tests/fuzz.rs`).
//!
//! A case is a set of files and the command lines to run over them; `{dir}` in
//! an argument stands for the directory the files were written to.

#![allow(dead_code)]

use std::fmt::Write as _;

/// One generated input and the commands that read it.
pub struct Case {
    pub name: &'static str,
    /// Relative path → contents.
    pub files: Vec<(String, Vec<u8>)>,
    /// Command lines (without the program name); `{dir}` is the case directory.
    pub commands: Vec<Vec<String>>,
    /// The exit codes a correct run may end with.
    pub exits: &'static [i32],
    /// The file (of `files`) given on standard input, if any.
    pub stdin: Option<&'static str>,
}

/// The Allow statement every generated policy builds on.
fn statement(condition: &str) -> String {
    format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::123456789012:oidc-provider/gitlab.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{condition}}}"#
    )
}

fn policy(statements: &[String]) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_string()).collect()
}

const MAIN: &str = "sub=project_path:mygroup/app:ref_type:branch:ref:main";
const AUD: &str = "aud=https://gitlab.com";

/// `lint`, `simulate` and `who` over one policy file, human and JSON.
fn policy_commands(file: &str) -> Vec<Vec<String>> {
    let path = format!("{{dir}}/{file}");
    vec![
        args(&["lint", &path]),
        args(&["lint", &path, "--format", "json"]),
        args(&[
            "simulate", "--policy", &path, "--claim", MAIN, "--claim", AUD,
        ]),
        args(&["who", &path]),
    ]
}

/// A minified policy with one line over 64 KiB × `scale`, and a finding (a
/// wildcard under `StringEquals`) past column 65,535.
pub fn long_line(scale: usize) -> Case {
    let filler: Vec<String> = (0..scale * 1_700)
        .map(|i| format!("\"project_path:mygroup/app{i:05}:ref_type:branch:ref:main\""))
        .collect();
    let condition = format!(
        r#"{{"StringEquals":{{"gitlab.com:aud":"https://gitlab.com","gitlab.com:sub":[{},"project_path:mygroup/*"]}}}}"#,
        filler.join(",")
    );
    let text = policy(&[statement(&condition)]);
    let mut commands = policy_commands("long-line.json");
    commands.push(args(&[
        "check",
        "--offline",
        "--policy",
        "{dir}/long-line.json",
        "--claim",
        MAIN,
        "--claim",
        AUD,
    ]));
    Case {
        name: "long-line",
        files: vec![("long-line.json".into(), text.into_bytes())],
        commands,
        exits: &[0, 1],
        stdin: None,
    }
}

/// `values` values in one `StringLike` `sub` condition, each a wildcard.
pub fn string_like_values(values: usize) -> Case {
    let list: Vec<String> = (0..values)
        .map(|i| format!("\"project_path:mygroup/a{i}*\""))
        .collect();
    let condition = format!(
        r#"{{"StringEquals":{{"gitlab.com:aud":"https://gitlab.com"}},"StringLike":{{"gitlab.com:sub":[{}]}}}}"#,
        list.join(",")
    );
    Case {
        name: "string-like-values",
        files: vec![(
            "values.json".into(),
            policy(&[statement(&condition)]).into_bytes(),
        )],
        commands: policy_commands("values.json"),
        exits: &[0, 1],
        stdin: None,
    }
}

/// One condition block with `keys` repetitions of the same key.
pub fn duplicate_keys(keys: usize) -> Case {
    let mut members = String::new();
    for i in 0..keys {
        if i > 0 {
            members.push(',');
        }
        let _ = write!(
            members,
            r#""gitlab.com:sub":"project_path:mygroup/app:ref_type:branch:ref:r{i}""#
        );
    }
    let condition = format!(r#"{{"StringEquals":{{{members}}}}}"#);
    Case {
        name: "duplicate-keys",
        files: vec![(
            "duplicates.json".into(),
            policy(&[statement(&condition)]).into_bytes(),
        )],
        commands: policy_commands("duplicates.json"),
        exits: &[0, 1],
        stdin: None,
    }
}

/// `statements` pretty-printed statements, each with a finding (a wildcard
/// under `StringEquals`): the human renderer's load.
pub fn many_findings(statements: usize) -> Case {
    let list: Vec<String> = (0..statements)
        .map(|i| {
            statement(&format!(
                r#"{{"StringEquals":{{"gitlab.com:aud":"https://gitlab.com","gitlab.com:sub":"project_path:mygroup/app{i}:ref_type:branch:ref:*"}}}}"#
            ))
        })
        .collect();
    let text = policy(&list).replace("},{", "},\n{");
    Case {
        name: "many-findings",
        files: vec![("findings.json".into(), text.into_bytes())],
        commands: vec![
            args(&["lint", "{dir}/findings.json"]),
            args(&["lint", "{dir}/findings.json", "--format", "sarif"]),
        ],
        exits: &[1],
        stdin: None,
    }
}

/// `statements` minified statements on one line, each with an exact `sub`.
pub fn minified_statements(statements: usize) -> Case {
    let list: Vec<String> = (0..statements)
        .map(|i| {
            statement(&format!(
                r#"{{"StringEquals":{{"gitlab.com:aud":"https://gitlab.com","gitlab.com:sub":"project_path:mygroup/app{i}:ref_type:branch:ref:main"}}}}"#
            ))
        })
        .collect();
    Case {
        name: "minified-statements",
        files: vec![("statements.json".into(), policy(&list).into_bytes())],
        commands: policy_commands("statements.json"),
        exits: &[0, 1],
        stdin: None,
    }
}

/// `statements` short minified statements (an Allow for anyone, each with its
/// own `Sid`): 50,000 of them fit under the 4 MiB input cap.
pub fn compact_statements(statements: usize) -> Case {
    let list: Vec<String> = (0..statements)
        .map(|i| format!(r#"{{"Sid":"s{i}","Effect":"Allow","Principal":"*","Action":"sts:*"}}"#))
        .collect();
    Case {
        name: "compact-statements",
        files: vec![("compact.json".into(), policy(&list).into_bytes())],
        commands: policy_commands("compact.json"),
        exits: &[0, 1],
        stdin: None,
    }
}

/// One `sub` value of `bytes` bytes.
pub fn long_sub_value(bytes: usize) -> Case {
    let value = format!("project_path:mygroup/{}*", "a".repeat(bytes));
    let condition = format!(
        r#"{{"StringEquals":{{"gitlab.com:aud":"https://gitlab.com"}},"StringLike":{{"gitlab.com:sub":"{value}"}}}}"#
    );
    Case {
        name: "long-sub-value",
        files: vec![(
            "long-value.json".into(),
            policy(&[statement(&condition)]).into_bytes(),
        )],
        commands: policy_commands("long-value.json"),
        exits: &[0, 1],
        stdin: None,
    }
}

/// `files` small clean policy files in one directory: what `lint` keeps per file.
pub fn many_files(files: usize) -> Case {
    let text = policy(&[statement(
        r#"{"StringEquals":{"gitlab.com:aud":"https://gitlab.com","gitlab.com:sub":"project_path:mygroup/app:ref_type:branch:ref:main"}}"#,
    )]);
    Case {
        name: "many-files",
        files: (0..files)
            .map(|i| {
                (
                    format!("p/{:03}/{i}.json", i % 100),
                    text.clone().into_bytes(),
                )
            })
            .collect(),
        commands: vec![
            args(&["lint", "{dir}/p"]),
            args(&["lint", "{dir}/p", "--format", "json"]),
        ],
        exits: &[0],
        stdin: None,
    }
}

/// Terraform locals that each `replace()` every character of the previous one
/// with the previous one: the string squares per level (2, 4, 16, 256, 65,536
/// characters, then 4 GiB at level 5).
pub fn terraform_replace_chain(levels: usize) -> Case {
    let mut tf = String::from("locals {\n  l0 = \"aa\"\n");
    for i in 1..=levels {
        let _ = writeln!(
            tf,
            "  l{i} = replace(local.l{p}, \"a\", local.l{p})",
            p = i - 1
        );
    }
    let _ = write!(
        tf,
        r#"}}

data "aws_iam_policy_document" "trust" {{
  statement {{
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {{
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/gitlab.com"]
    }}
    condition {{
      test     = "StringLike"
      variable = "gitlab.com:sub"
      values   = ["project_path:mygroup/${{local.l{levels}}}:*"]
    }}
  }}
}}
"#
    );
    Case {
        name: "terraform-replace-chain",
        files: vec![("main.tf".into(), tf.into_bytes())],
        commands: vec![
            args(&["lint", "{dir}"]),
            args(&["lint", "{dir}", "--format", "json"]),
        ],
        exits: &[0, 1],
        stdin: None,
    }
}

/// A CloudFormation template whose `!Sub` repeats a `kib` KiB parameter
/// default `repeats` times.
pub fn cloudformation_sub(kib: usize, repeats: usize) -> Case {
    let reference = "${Big}".repeat(repeats);
    let yaml = format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Big:
    Type: String
    Default: "{default}"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Federated: !Sub "arn:aws:iam::${{AWS::AccountId}}:oidc-provider/gitlab.com"
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringLike:
                gitlab.com:sub: !Sub "project_path:mygroup/{reference}:*"
"#,
        default = "x".repeat(kib * 1024),
    );
    Case {
        name: "cloudformation-sub",
        files: vec![("template.yaml".into(), yaml.into_bytes())],
        commands: vec![
            args(&["lint", "{dir}/template.yaml"]),
            args(&["lint", "{dir}/template.yaml", "--format", "json"]),
        ],
        exits: &[0, 1],
        stdin: None,
    }
}

/// The billion-laughs family: `levels` anchors, each aliasing the previous
/// one ten times, under a CloudFormation template.
pub fn yaml_aliases(levels: usize) -> Case {
    let mut yaml =
        String::from("AWSTemplateFormatVersion: \"2010-09-09\"\nMetadata:\n  a0: &a0 [\"lol\"]\n");
    for i in 1..=levels {
        let p = i - 1;
        let _ = writeln!(
            yaml,
            "  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]"
        );
    }
    let _ = write!(
        yaml,
        r#"Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      Tags: *a{levels}
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Federated: arn:aws:iam::123456789012:oidc-provider/gitlab.com
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringEquals:
                gitlab.com:sub: "project_path:mygroup/*"
"#
    );
    Case {
        name: "yaml-aliases",
        files: vec![("template.yaml".into(), yaml.into_bytes())],
        commands: vec![args(&["lint", "{dir}/template.yaml"])],
        // `analysis-limit` is a warning: exit 0 unless --fail-on warning.
        exits: &[0],
        stdin: None,
    }
}

/// An AWS error pasted `lines` times into a job log for `explain`.
pub fn explain_log(lines: usize) -> Case {
    let mut log = String::new();
    for i in 0..lines {
        let _ = writeln!(
            log,
            "job {i}: An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity"
        );
    }
    Case {
        name: "explain-log",
        files: vec![("job.log".into(), log.into_bytes())],
        commands: vec![args(&["explain", "-"])],
        exits: &[0],
        stdin: Some("job.log"),
    }
}

/// A case at a size multiplier.
pub type Generator = fn(usize) -> Case;

/// How a case's work may grow with its size multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Growth {
    /// Near-linearly.
    Linear,
    /// Not at all beyond a constant factor: every size is past a cap.
    Bounded,
}

/// The cases whose work must grow near-linearly (or stay bounded), each as a
/// function of a size multiplier, with the base size each starts from.
pub fn scalable() -> Vec<(&'static str, Generator, Growth)> {
    use Growth::{Bounded, Linear};
    vec![
        ("long-line", long_line, Linear),
        (
            "string-like-values",
            |k| string_like_values(250 * k),
            Linear,
        ),
        ("duplicate-keys", |k| duplicate_keys(1_250 * k), Linear),
        ("many-findings", |k| many_findings(250 * k), Linear),
        (
            "minified-statements",
            |k| minified_statements(1_000 * k),
            Linear,
        ),
        (
            "compact-statements",
            |k| compact_statements(1_000 * k),
            Linear,
        ),
        ("long-sub-value", |k| long_sub_value(64 * 1024 * k), Linear),
        ("many-files", |k| many_files(250 * k), Linear),
        // Exponential in the input's size: every size is past the caps (level 5
        // is 4 GiB of string; 10^7 alias nodes), so the work must be bounded.
        (
            "terraform-replace-chain",
            |k| terraform_replace_chain(5 + k),
            Bounded,
        ),
        (
            "cloudformation-sub",
            |k| cloudformation_sub(4, 100 * k),
            Linear,
        ),
        ("yaml-aliases", |k| yaml_aliases(6 + k), Bounded),
    ]
}

/// The inputs at the size the issue reported them (the bench script's).
pub fn reported() -> Vec<Case> {
    vec![
        long_line(1),
        string_like_values(100_000),
        duplicate_keys(40_000),
        many_findings(8_000),
        minified_statements(20_000),
        compact_statements(50_000),
        long_sub_value(2 * 1024 * 1024),
        many_files(100_000),
        terraform_replace_chain(8),
        cloudformation_sub(100, 30_000),
        yaml_aliases(9),
        explain_log(20_000),
    ]
}
