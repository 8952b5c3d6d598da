//! `jwks-timeout`: the JWKS took longer than AWS's 5-second limit.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "jwks-timeout",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"the JWKS took longer than AWS's 5-second limit"#,
    aws_error: Some(super::KEY_RETRIEVAL),
    fix: r#"make the JWKS answer well within 5 s from the internet (cache it, put it behind a CDN)"#,
    explanation: r#"STS gives up on the identity provider after 5 seconds. `probe` keeps waiting up to `--timeout` so it can say how long the answer really took."#,
    bad: r#"jwks: total 5.8 s"#,
    good: r#"jwks: total 0.1 s"#,
};
