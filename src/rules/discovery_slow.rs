//! `discovery-slow`: the discovery document took more than 3 seconds (AWS gives up at 5).
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "discovery-slow",
    category: Category::Connectivity,
    severity: Severity::Warning,
    summary: r#"the discovery document took more than 3 seconds (AWS gives up at 5)"#,
    aws_error: None,
    fix: r#"make discovery answer faster; a busy instance will cross 5 s"#,
    explanation: r#"An answer between 3 and 5 seconds still works, but leaves little margin before STS's 5-second limit; under load, parallel jobs will start failing with `Couldn't retrieve verification key`."#,
    bad: r#"discovery: total 3.4 s"#,
    good: r#"discovery: total 0.2 s"#,
};
