//! `tls-expired`: a certificate in the served chain has expired (or is not yet valid).
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "tls-expired",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"a certificate in the served chain has expired (or is not yet valid)"#,
    aws_error: None,
    fix: r#"renew the certificate and reload the server"#,
    explanation: r#"An expired certificate fails verification; AWS cannot fetch the keys. The check uses `--now` when given."#,
    bad: r#"not_after 2025-12-01T00:00:00Z   # --now 2026-01-01"#,
    good: r#"not_after 2026-03-01T00:00:00Z   # --now 2026-01-01"#,
};
