//! `claim-not-admitted`: a token claim other than `sub` fails a trust-policy condition.
//!
//! Reported by the evaluation of a request (simulate/check).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "claim-not-admitted",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a token claim other than `sub` fails a trust-policy condition"#,
    aws_error: Some(super::ACCESS_DENIED),
    fix: r#"align the condition with the token (e.g. the `aud` in `id_tokens:`), or the token with the condition"#,
    explanation: r#"A condition on a claim such as `aud`, `project_id`, `namespace_id` or `ref_protected` does not hold for the token, so no Allow statement applies and STS answers AccessDenied."#,
    bad: r#""StringEquals": {"gitlab.com:aud": "sts.amazonaws.com"}
# token: aud = https://gitlab.com"#,
    good: r#""StringEquals": {"gitlab.com:aud": "https://gitlab.com"}"#,
};
