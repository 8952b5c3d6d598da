//! `sub-not-admitted`: the token's `sub` is not admitted by the trust policy.
//!
//! Reported by the evaluation of a request (simulate/check).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "sub-not-admitted",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the token's `sub` is not admitted by the trust policy"#,
    aws_error: Some(super::ACCESS_DENIED),
    fix: r#"add the subject (or a pattern that covers it) to the `sub` condition, or run the job on an admitted ref"#,
    explanation: r#"The trust policy restricts `<issuer>:sub`, and the token's subject is not among the admitted values. oidc-doctor names the closest policy value and the first component that differs (project path, ref type, ref), and calls out differences only in case — `StringEquals` and `StringLike` are case-sensitive."#,
    bad: r#""StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}
# token: project_path:mygroup/app:ref_type:branch:ref:feature"#,
    good: r#""StringEquals": {"gitlab.com:sub": ["project_path:mygroup/app:ref_type:branch:ref:main", "project_path:mygroup/app:ref_type:branch:ref:feature"]}"#,
};
