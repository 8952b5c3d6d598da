//! `tls-chain-order`: the TLS chain is out of order, or has duplicated or unrelated certificates.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "tls-chain-order",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"the TLS chain is out of order, or has duplicated or unrelated certificates"#,
    aws_error: None,
    fix: r#"serve leaf, then each intermediate in order (the root may follow), nothing else"#,
    explanation: r#"AWS requires the chain leaf → intermediate(s) → root, without duplicates or extras; a chain in the wrong order fails with `Could not connect to openid configuration of provider` when creating the provider and breaks key retrieval. Browsers repair such chains, so they often go unnoticed."#,
    bad: r#"served: 0 CN=gitlab.example.com, 1 CN=Root CA, 2 CN=Intermediate CA"#,
    good: r#"served: 0 CN=gitlab.example.com, 1 CN=Intermediate CA, 2 CN=Root CA"#,
};
