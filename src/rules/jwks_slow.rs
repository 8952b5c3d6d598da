//! `jwks-slow`: the JWKS took more than 3 seconds (AWS gives up at 5).
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "jwks-slow",
    category: Category::Connectivity,
    severity: Severity::Warning,
    summary: r#"the JWKS took more than 3 seconds (AWS gives up at 5)"#,
    aws_error: None,
    fix: r#"make the JWKS answer faster; a busy instance will cross 5 s"#,
    explanation: r#"An answer between 3 and 5 seconds still works, but leaves little margin before STS's 5-second limit."#,
    bad: r#"jwks: total 3.3 s"#,
    good: r#"jwks: total 0.1 s"#,
};
