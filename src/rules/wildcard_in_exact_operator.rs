//! `wildcard-in-exact-operator`: `*` or `?` in a value of a `StringEquals`-family operator.
//!
//! Reported by the linter.

use super::RuleMeta;
use super::oidc_keys::pattern_wildcards;
use crate::finding::{Category, Severity};
use crate::iam::operator::{BaseOperator, Operator};
use crate::policy::JsonType;

pub static META: RuleMeta = RuleMeta {
    name: "wildcard-in-exact-operator",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"`*` or `?` in a StringEquals-family value, where it is matched literally"#,
    aws_error: Some(super::ACCESS_DENIED),
    fix: r#"use StringLike (or StringNotLike) for patterns, or spell out the exact value"#,
    explanation: r#"`StringEquals`, `StringNotEquals` and their `IgnoreCase` variants compare exactly: `*` and `?` are ordinary characters to them (IAM User Guide, "String condition operators"). Only `StringLike`/`StringNotLike` treat `*` (any run of characters, crossing `/` and `:`) and `?` (one character) as wildcards. So `"StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:*"}` admits only a job whose ref is literally named `*` — none — and every AssumeRoleWithWebIdentity fails with AccessDenied; GitLab's AWS troubleshooting lists exactly this mistake. Under a negated operator the pattern excludes nothing the author meant to exclude. Under `"Version": "2012-10-17"`, `${*}` and `${?}` are deliberate literal `*`/`?` and are not reported."#,
    bad: r#""StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:*"}"#,
    good: r#""StringLike": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:*"}"#,
};

/// Wildcard characters in exact-comparison string values.
pub struct WildcardInExactOperator;

impl super::Rule for WildcardInExactOperator {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        let variables = cx.policy.variables_enabled();
        for s in &cx.policy.statements {
            for c in &s.conditions {
                let Ok(op) = Operator::parse(&c.operator.value) else {
                    continue;
                };
                let Some(like) = like_operator(&op) else {
                    continue;
                };
                for v in &c.values {
                    if v.value.json_type != JsonType::String {
                        continue;
                    }
                    let mut found = pattern_wildcards(&v.value.text, variables);
                    if found.is_empty() {
                        continue;
                    }
                    found.sort_unstable();
                    found.dedup();
                    let chars: Vec<String> = found.iter().map(|c| format!("`{c}`")).collect();
                    let (chars, are) = if chars.len() == 1 {
                        (chars.join(""), "is not a wildcard")
                    } else {
                        (chars.join(" and "), "are not wildcards")
                    };
                    let mut help =
                        format!("use `{like}` for patterns, or spell out the exact value");
                    if op.base.comparison() == crate::iam::operator::Comparison::EqualsIgnoreCase {
                        help.push_str(" (StringLike is case-sensitive)");
                    }
                    let mut f = cx
                        .finding(
                            &META,
                            format!(
                                "`{op}` compares `{}` on `{}` literally; {chars} {are} here",
                                v.value.text, c.key.value
                            ),
                            v.span,
                            &v.pointer,
                        )
                        .help(help);
                    if op.base.is_negated() {
                        // The statement still works; it just excludes less than meant.
                        f.aws_error = None;
                    }
                    out.push(f);
                }
            }
        }
    }
}

/// The pattern operator to use instead, keeping qualifier and `IfExists`; `None`
/// for operators that are not exact string comparisons.
fn like_operator(op: &Operator) -> Option<Operator> {
    let base = match op.base {
        BaseOperator::StringEquals | BaseOperator::StringEqualsIgnoreCase => {
            BaseOperator::StringLike
        }
        BaseOperator::StringNotEquals | BaseOperator::StringNotEqualsIgnoreCase => {
            BaseOperator::StringNotLike
        }
        _ => return None,
    };
    Some(Operator { base, ..*op })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_pattern_operator_of_the_same_shape() {
        for (exact, like) in [
            ("StringEquals", "StringLike"),
            ("StringNotEqualsIfExists", "StringNotLikeIfExists"),
            (
                "ForAnyValue:StringEqualsIgnoreCase",
                "ForAnyValue:StringLike",
            ),
        ] {
            let op = Operator::parse(exact).unwrap();
            assert_eq!(like_operator(&op).unwrap().to_string(), like);
        }
        assert!(like_operator(&Operator::parse("StringLike").unwrap()).is_none());
        assert!(like_operator(&Operator::parse("ArnEquals").unwrap()).is_none());
    }

    fn messages(version: &str, condition: &str) -> Vec<String> {
        let text = crate::rules::test_support::gitlab_policy(version, condition);
        crate::rules::test_support::run(&WildcardInExactOperator, &text)
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn escapes_are_literal_only_with_policy_variables() {
        let cond = r#"{"StringEquals": {"gitlab.com:sub": "project_path:g/p:ref_type:branch:ref:a${*}b"}}"#;
        assert!(messages("2012-10-17", cond).is_empty());
        // Under 2008-10-17 `${*}` is plain text holding a literal `*`.
        assert_eq!(messages("2008-10-17", cond).len(), 1);
    }

    #[test]
    fn negated_and_qualified_forms_are_reported_without_access_denied() {
        let text = crate::rules::test_support::gitlab_policy(
            "2012-10-17",
            r#"{"StringNotEqualsIfExists": {"gitlab.com:sub": ["project_path:g/p:ref_type:branch:ref:main", "project_path:g/p:ref_type:tag:ref:v?"]}}"#,
        );
        let f = crate::rules::test_support::run(&WildcardInExactOperator, &text);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].location.as_ref().and_then(|l| l.pointer.as_deref()),
            Some("/Statement/0/Condition/StringNotEqualsIfExists/gitlab.com:sub/1")
        );
        assert!(
            f[0].message.contains("`?` is not a wildcard"),
            "{}",
            f[0].message
        );
        assert!(f[0].help.contains("StringNotLikeIfExists"), "{}", f[0].help);
        assert_eq!(f[0].aws_error, None);
    }

    #[test]
    fn numbers_and_pattern_operators_are_not_reported() {
        assert!(
            messages(
                "2012-10-17",
                r#"{"StringLike": {"gitlab.com:sub": "project_path:g/*"}}"#
            )
            .is_empty()
        );
        assert!(
            messages(
                "2012-10-17",
                r#"{"StringEquals": {"gitlab.com:project_id": 42}}"#
            )
            .is_empty()
        );
    }
}
