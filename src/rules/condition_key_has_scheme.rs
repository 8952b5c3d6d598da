//! `condition-key-has-scheme`: a condition key written with `https://`.
//!
//! Reported by the linter.

use super::RuleMeta;
use super::oidc_keys::{absent_consequence, scheme_of, strip_scheme, when_absent};
use crate::finding::{Category, Severity};
use crate::iam::operator::Operator;

pub static META: RuleMeta = RuleMeta {
    name: "condition-key-has-scheme",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a condition key with a URL scheme (https://gitlab.com:sub), which never exists in a request"#,
    aws_error: Some(super::ACCESS_DENIED),
    fix: r#"drop the scheme: OIDC condition keys are <host[/path]>:<claim>, e.g. gitlab.com:sub"#,
    explanation: r#"STS names the condition keys of an OIDC provider after the provider URL *without* `https://`, path included: `gitlab.com:sub`, `gitlab.com:aud`, `gitlab.example.com/gitlab:sub` (IAM User Guide, "Available keys for WIF"). A key written with the scheme, such as `https://gitlab.com:sub`, is never present in the request. A positive operator on it (`StringEquals`, `StringLike`) is then always false, so the statement never matches and every GitLab job gets AccessDenied; a negated or `…IfExists` operator is always true, so the condition silently restricts nothing."#,
    bad: r#""StringEquals": {"https://gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}"#,
    good: r#""StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}"#,
};

/// Condition keys starting with `http://` or `https://`.
pub struct ConditionKeyHasScheme;

impl super::Rule for ConditionKeyHasScheme {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        let variables = cx.policy.variables_enabled();
        for s in &cx.policy.statements {
            for c in &s.conditions {
                let key = &c.key.value;
                let Some(scheme) = scheme_of(key) else {
                    continue;
                };
                let corrected = strip_scheme(key);
                let (consequence, aws_error) = match Operator::parse(&c.operator.value) {
                    Ok(op) => {
                        let values: Vec<String> =
                            c.values.iter().map(|v| v.value.text.clone()).collect();
                        let absent = when_absent(&op, key, &values, variables);
                        let (words, error) = absent_consequence(&op, s, absent);
                        (format!("; {words}"), error)
                    }
                    Err(_) => (String::new(), None),
                };
                let mut f = cx
                    .finding(
                        &META,
                        format!(
                            "the condition key `{key}` never exists in a request: OIDC keys are named without `{scheme}`{consequence}"
                        ),
                        c.key.span,
                        &c.key.pointer,
                    )
                    .help(if corrected.is_empty() {
                        META.fix.to_string()
                    } else {
                        format!("write `{corrected}`")
                    });
                f.aws_error = aws_error.map(str::to_string);
                out.push(f);
            }
        }
    }
}
