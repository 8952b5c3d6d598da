//! `unknown-policy-element`: an element IAM does not know, or a value it does not accept.
//!
//! Reported by the policy reader.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "unknown-policy-element",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"an element IAM does not know, or a value it does not accept"#,
    aws_error: Some(super::MALFORMED_POLICY),
    fix: r#"use IAM's element names and values exactly as documented (they are case-sensitive)"#,
    explanation: r#"IAM knows a fixed set of policy elements (`Version`, `Id`, `Statement`; in a statement `Sid`, `Effect`, `Principal`, `NotPrincipal`, `Action`, `NotAction`, `Resource`, `NotResource`, `Condition`) and fixed values for some of them (`Effect` is `Allow` or `Deny`, `Version` is `2012-10-17` or `2008-10-17`). A misspelt element (`Statment`), a wrong case (`effect`, `"allow"`), a value of the wrong JSON type or a missing required element makes IAM reject the policy, or worse, silently changes its meaning."#,
    bad: r#"{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}]
}"#,
    good: r#"{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}]
}"#,
};

/// Reports what the policy reader found ([`crate::policy::ProblemKind::UnknownElement`]).
pub struct UnknownPolicyElement;

impl super::Rule for UnknownPolicyElement {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        out.extend(cx.problem_findings(crate::policy::ProblemKind::UnknownElement, &META));
    }
}
