//! `unknown-condition-operator`: a condition operator IAM does not know.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "unknown-condition-operator",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a condition operator IAM does not know"#,
    aws_error: Some(super::MALFORMED_POLICY),
    fix: r#"use the nearest valid operator name"#,
    explanation: r#"Condition operators are a fixed, case-sensitive vocabulary (`StringEquals`, `StringLike`, `ForAnyValue:StringLike`, `…IfExists`, …). IAM rejects a policy with an unknown operator such as `StringEq` or `StrinkLike`. oidc-doctor names the nearest valid operator."#,
    bad: r#""Condition": {"StringEq": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}}"#,
    good: r#""Condition": {"StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}}"#,
};

pub struct UnknownConditionOperator;

impl super::Rule for UnknownConditionOperator {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        use crate::iam::operator::{Operator, OperatorError};
        for s in &cx.policy.statements {
            // One finding per operator, however many keys sit under it.
            let mut seen = std::collections::BTreeSet::new();
            for c in &s.conditions {
                let Err(OperatorError::Unknown { suggestion }) = Operator::parse(&c.operator.value)
                else {
                    continue;
                };
                if !seen.insert(c.operator.pointer.clone()) {
                    continue;
                }
                let mut f = cx.finding(
                    &META,
                    format!(
                        "`{}` is not an IAM condition operator; IAM rejects the policy",
                        c.operator.value
                    ),
                    c.operator.span,
                    &c.operator.pointer,
                );
                if let Some(s) = suggestion {
                    f = f.help(format!("did you mean `{s}`?"));
                }
                out.push(f);
            }
        }
    }
}
