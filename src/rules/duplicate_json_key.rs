//! `duplicate-json-key`: the same key twice in one object (or keys differing only in case).
//!
//! Reported by the policy reader.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "duplicate-json-key",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the same key twice in one object (or keys differing only in case)"#,
    aws_error: None,
    fix: r#"keep one key; oidc-doctor evaluates the last occurrence, what IAM does is not documented"#,
    explanation: r#"JSON allows duplicate keys syntactically, but their meaning is undefined: most parsers keep the last occurrence, some the first, and what IAM does is not documented. A second `StringEquals` block under one `Condition` silently replaces the first, so a `sub` restriction written above can vanish. Keys that differ only in case (`gitlab.com:sub` and `gitlab.com:SUB`) are distinct JSON keys but the same IAM condition key. oidc-doctor evaluates the last occurrence, as common JSON parsers do, and reports every duplicate."#,
    bad: r#""Condition": {
  "StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"},
  "StringEquals": {"gitlab.com:aud": "https://gitlab.com"}
}"#,
    good: r#""Condition": {
  "StringEquals": {
    "gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main",
    "gitlab.com:aud": "https://gitlab.com"
  }
}"#,
};

/// Reports what the policy reader found ([`crate::policy::ProblemKind::DuplicateKey`]).
pub struct DuplicateJsonKey;

impl super::Rule for DuplicateJsonKey {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        out.extend(cx.problem_findings(crate::policy::ProblemKind::DuplicateKey, &META));
    }
}
