//! `parse-error`: a Terraform, CloudFormation/YAML or `.gitlab-ci.yml` file that
//! does not parse.
//!
//! Reported by the lint front ends; the rest of the tree is still linted.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "parse-error",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a Terraform, CloudFormation/YAML or `.gitlab-ci.yml` file does not parse"#,
    aws_error: None,
    fix: r#"fix the syntax error at the position shown; `terraform validate`, `cfn-lint` or GitLab's CI Lint tell the same"#,
    explanation: r#"A file that does not parse cannot be checked: the trust policies, OIDC providers or `id_tokens:` it holds are invisible to every other rule, and Terraform, CloudFormation or GitLab would reject it anyway. The finding points at the position where the parser stopped; the other files of the tree are still linted."#,
    bad: r#"data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"
  }
}"#,
    good: r#"data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
  }
}"#,
};
