//! `tls-chain-incomplete`: the server sends only part of the chain (the intermediate is missing).
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "tls-chain-incomplete",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"the server sends only part of the chain (the intermediate is missing)"#,
    aws_error: None,
    fix: r#"serve the intermediate certificate(s) after the leaf (the full-chain file, not the leaf alone)"#,
    explanation: r#"A server that sends only its leaf certificate leaves the client to find the intermediate itself. AWS does not; the chain does not verify, and the thumbprint AWS computes is the leaf's, which changes at every renewal."#,
    bad: r#"ssl_certificate cert.pem;        # leaf only"#,
    good: r#"ssl_certificate fullchain.pem;   # leaf + intermediate"#,
};
