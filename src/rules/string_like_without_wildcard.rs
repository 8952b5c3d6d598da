//! `string-like-without-wildcard`: `StringLike` whose values have no wildcard.
//!
//! Reported by the linter.

use super::RuleMeta;
use super::oidc_keys::pattern_wildcards;
use crate::finding::{Category, Severity};
use crate::iam::operator::{BaseOperator, Operator};

pub static META: RuleMeta = RuleMeta {
    name: "string-like-without-wildcard",
    category: Category::Hygiene,
    severity: Severity::Info,
    summary: r#"StringLike/StringNotLike on a key none of whose values has a * or ?: StringEquals says it better"#,
    aws_error: None,
    fix: r#"use StringEquals (StringNotEquals) for exact values"#,
    explanation: r#"`StringLike` without `*` or `?` compares exactly, like `StringEquals` — but a reader (and a reviewer) cannot tell whether a wildcard was forgotten or the value is meant to be exact, and a later edit that adds a `?` or `*` to a value, meaning it literally, silently turns it into a pattern. `StringEquals` states the intent: exactly this project and ref. The rule reports a key only when none of its values has a wildcard (values of one key are ORed, so a list that mixes patterns and exact values must stay under StringLike). Under `"Version": "2012-10-17"`, `${*}` and `${?}` are literal characters, not wildcards."#,
    bad: r#""StringLike": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}"#,
    good: r#""StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}"#,
};

/// Pattern operators used for exact values.
pub struct StringLikeWithoutWildcard;

impl super::Rule for StringLikeWithoutWildcard {
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
                let exact = match op.base {
                    BaseOperator::StringLike => BaseOperator::StringEquals,
                    BaseOperator::StringNotLike => BaseOperator::StringNotEquals,
                    _ => continue,
                };
                if c.values.is_empty()
                    || c.values
                        .iter()
                        .any(|v| !pattern_wildcards(&v.value.text, variables).is_empty())
                {
                    continue;
                }
                let shown = match c.values.as_slice() {
                    [one] => format!("`{}` has no `*` or `?`", one.value.text),
                    _ => "none of its values has a `*` or `?`".to_string(),
                };
                let exact = Operator { base: exact, ..op };
                out.push(
                    cx.finding(
                        &META,
                        format!(
                            "`{op}` on `{}`: {shown}, so it compares exactly",
                            c.key.value
                        ),
                        c.key.span,
                        &c.key.pointer,
                    )
                    .help(format!("move `{}` under `{exact}`", c.key.value)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{gitlab_policy, run};

    fn count(version: &str, condition: &str) -> usize {
        run(
            &super::StringLikeWithoutWildcard,
            &gitlab_policy(version, condition),
        )
        .len()
    }

    #[test]
    fn a_key_is_reported_only_when_no_value_has_a_wildcard() {
        let mixed = r#"{"StringLike": {"gitlab.com:sub": ["project_path:g/p:ref_type:branch:ref:main", "project_path:g/p:ref_type:tag:ref:*"]}}"#;
        assert_eq!(count("2012-10-17", mixed), 0);
        let exact = r#"{"ForAnyValue:StringNotLike": {"gitlab.com:sub": ["project_path:g/p:ref_type:branch:ref:main"]}}"#;
        assert_eq!(count("2012-10-17", exact), 1);
    }

    #[test]
    fn escaped_wildcards_are_literal_under_2012_10_17() {
        let escaped =
            r#"{"StringLike": {"gitlab.com:sub": "project_path:g/p:ref_type:branch:ref:${*}"}}"#;
        assert_eq!(count("2012-10-17", escaped), 1);
        assert_eq!(count("2008-10-17", escaped), 0);
    }
}
