//! `waf-challenge`: discovery or JWKS answered with an HTML page, 403 or 429 instead of JSON (a WAF, bot challenge or rate limit).
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "waf-challenge",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"discovery or JWKS answered with an HTML page, 403 or 429 instead of JSON (a WAF, bot challenge or rate limit)"#,
    aws_error: Some(super::KEY_RETRIEVAL),
    fix: r#"allow AWS to fetch /.well-known/openid-configuration and the JWKS unchallenged (exempt them from the WAF and rate limits)"#,
    explanation: r#"A web application firewall, a bot challenge (CAPTCHA/JavaScript) or a rate limiter in front of the instance answers STS with HTML, 403 or 429. STS cannot solve a challenge and reports that it could not retrieve the verification key."#,
    bad: r#"HTTP/1.1 403 Forbidden
content-type: text/html
<html>…Attention Required…"#,
    good: r#"HTTP/1.1 200 OK
content-type: application/json"#,
};
