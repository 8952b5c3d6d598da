//! `jwks-not-cacheable`: the JWKS is served with `no-cache`, `no-store` or `max-age=0`.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "jwks-not-cacheable",
    category: Category::Connectivity,
    severity: Severity::Warning,
    summary: r#"the JWKS is served with `no-cache`, `no-store` or `max-age=0`"#,
    aws_error: Some(super::KEY_RETRIEVAL),
    fix: r#"serve the JWKS with e.g. `Cache-Control: max-age=86400, public, must-revalidate` (GitLab's default)"#,
    explanation: r#"Without caching, every STS call fetches the keys again; bursts of parallel jobs then get throttled and fail with `Couldn't retrieve verification key`. GitLab serves its keys with `max-age=86400, public, must-revalidate` for this reason; a proxy in front of it may strip that."#,
    bad: r#"Cache-Control: no-cache"#,
    good: r#"Cache-Control: max-age=86400, public, must-revalidate"#,
};
