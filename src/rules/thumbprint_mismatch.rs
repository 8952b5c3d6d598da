//! `thumbprint-mismatch`: the provider's configured thumbprints do not include the one computed from the JWKS host's chain.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "thumbprint-mismatch",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"the provider's configured thumbprints do not include the one computed from the JWKS host's chain"#,
    aws_error: Some(super::THUMBPRINT_ERROR),
    fix: r#"add the computed thumbprint to the provider (aws iam update-open-id-connect-provider-thumbprint)"#,
    explanation: r#"For a certificate AWS does not trust through its root library, STS compares the SHA-1 of the last certificate the JWKS host serves with the provider's thumbprint list. When none matches, every call fails. For a publicly trusted certificate AWS ignores the list, so a stale thumbprint is reported at `info` only."#,
    bad: r#"--thumbprint 9e99a48a9960b14926bb7f3b02e22da2b0ab7280   # computed: 1b511abead59c6ce207077c0bf0e0043b1382612"#,
    good: r#"--thumbprint 1b511abead59c6ce207077c0bf0e0043b1382612"#,
};
