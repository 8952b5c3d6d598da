//! `tls-expiring`: a certificate in the served chain expires within 30 days.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "tls-expiring",
    category: Category::Connectivity,
    severity: Severity::Warning,
    summary: r#"a certificate in the served chain expires within 30 days"#,
    aws_error: None,
    fix: r#"renew the certificate (and, for a private CA, update the provider's thumbprint if the top intermediate changes)"#,
    explanation: r#"A certificate about to expire will soon break key retrieval; when AWS relies on the thumbprint, renewing an intermediate also changes the thumbprint the provider must list."#,
    bad: r#"not_after 2026-01-20T00:00:00Z   # --now 2026-01-01"#,
    good: r#"not_after 2026-03-01T00:00:00Z   # --now 2026-01-01"#,
};
