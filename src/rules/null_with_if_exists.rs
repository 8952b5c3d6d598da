//! `null-with-if-exists`: `IfExists` added to `Null`, which IAM does not allow.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "null-with-if-exists",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"`IfExists` added to `Null`, which IAM does not allow"#,
    aws_error: Some(super::MALFORMED_POLICY),
    fix: r#"use `Null` alone: it already tests whether the key exists"#,
    explanation: r#"`…IfExists` can be added to every condition operator except `Null` (IAM User Guide, condition operators). `NullIfExists` is rejected; `Null` already tests presence."#,
    bad: r#""Condition": {"NullIfExists": {"gitlab.com:email": "false"}}"#,
    good: r#""Condition": {"Null": {"gitlab.com:email": "false"}}"#,
};

pub struct NullWithIfExists;

impl super::Rule for NullWithIfExists {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        use crate::iam::operator::{Operator, OperatorError};
        for s in &cx.policy.statements {
            let mut seen = std::collections::BTreeSet::new();
            for c in &s.conditions {
                if Operator::parse(&c.operator.value) == Err(OperatorError::NullWithIfExists)
                    && seen.insert(c.operator.pointer.clone())
                {
                    out.push(cx.finding(
                        &META,
                        format!(
                            "`{}`: IfExists cannot be added to Null; IAM rejects the policy",
                            c.operator.value
                        ),
                        c.operator.span,
                        &c.operator.pointer,
                    ));
                }
            }
        }
    }
}
