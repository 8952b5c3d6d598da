//! `signature-invalid`: the token's signature does not verify with the issuer's key.
//!
//! Reported by `decode` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "signature-invalid",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the token's signature does not verify with the issuer's key"#,
    aws_error: None,
    fix: r#"pass the token exactly as GitLab issued it (no edits, no truncation), from the issuer the provider names"#,
    explanation: r#"The signature covers the header and the claims; any edit (a hand-changed claim, a truncated variable, a re-encoded token) or a key that merely shares the `kid` makes it fail, and STS refuses the token. The exact STS message is unconfirmed."#,
    bad: r#"eyJhbGciOi…(claims edited by hand)….sig"#,
    good: r#"eyJhbGciOi…(as issued)….sig"#,
};
