//! `decode` output: the token pretty-printed (signature redacted), its times,
//! its GitLab `sub` components, the verification outcome and the findings.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value};

use super::human::Style;
use super::json::Tool;
use super::terminal::{self, Terminal};
use crate::finding::{Finding, Summary};
use crate::gitlab::sub::component_label;
use crate::issuer::probe::{Endpoint, ProbeReport};
use crate::token::analyze::{TimeClaim, TokenReport};
use crate::token::verify::Verification;

/// Everything `decode` reports.
#[derive(Debug, Clone)]
pub struct DecodeReport {
    pub token: TokenReport,
    /// `None` without `--verify`.
    pub verification: Option<Verification>,
    /// Where the keys came from (`--jwks-file PATH` or the issuer's `jwks_uri`).
    pub keys_from: Option<String>,
    /// The issuer probe of `--verify` without `--jwks-file`.
    pub probe: Option<ProbeReport>,
    /// Every finding: the token's, then the verification's and the probe's.
    pub findings: Vec<Finding>,
}

/// A claim or header value on one line: strings as they are, other values as
/// JSON, with control characters and line breaks escaped (a value cannot add a line).
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => terminal::inline(s).into_owned(),
        other => terminal::inline(&other.to_string()).into_owned(),
    }
}

fn time_of<'a>(r: &'a DecodeReport, name: &str) -> Option<&'a TimeClaim> {
    r.token.times.iter().find(|t| t.name == name)
}

fn object(o: &mut Terminal, title: &str, map: &Map<String, Value>, r: &DecodeReport) {
    let _ = writeln!(o, "{title}");
    // Names escaped before they are measured, so that the values line up.
    let names: Vec<String> = map
        .keys()
        .map(|k| terminal::inline(k).into_owned())
        .collect();
    let width = names.iter().map(|k| k.chars().count()).max().unwrap_or(0);
    for ((k, v), name) in map.iter().zip(&names) {
        let mut line = format!("  {name:width$}  {}", value_text(v));
        if let Some(t) = time_of(r, k) {
            let _ = write!(line, "  {}  ({})", t.rfc3339, t.relative);
        }
        let _ = writeln!(o, "{line}");
    }
}

pub fn human(r: &DecodeReport, style: Style) -> String {
    let mut o = Terminal::new(style.color);
    match &r.token.decoded {
        Some(d) => {
            object(&mut o, "Header", &d.header, r);
            let _ = writeln!(o);
            object(&mut o, "Claims", &d.claims, r);
            if let Some(components) = &r.token.sub_components {
                let _ = writeln!(o, "\nsub, component by component");
                for c in components {
                    let _ = writeln!(
                        o,
                        "  {:<22}  {}",
                        component_label(&c.name),
                        terminal::inline(&c.value)
                    );
                }
            }
            let _ = writeln!(o, "\nSignature  <redacted: {} characters>", d.signature_len);
        }
        None => {
            let _ = writeln!(
                o,
                "The token ({} characters) could not be decoded.",
                r.token.length
            );
        }
    }
    match &r.verification {
        None => {
            let _ = writeln!(o, "           not verified (pass --verify)");
        }
        Some(Verification::Verified(how)) => {
            let from = r.keys_from.as_deref().unwrap_or("the JWKS");
            let _ = writeln!(o, "           ✓ {how} (keys from {from})");
        }
        Some(Verification::Unauthenticated(how)) => {
            let from = r.keys_from.as_deref().unwrap_or("the JWKS");
            let _ = writeln!(o, "           not verified: {how} (keys from {from})");
        }
        Some(Verification::Failed(f)) => {
            let _ = writeln!(o, "           ✗ {} [{}]", f.message, f.rule);
        }
        Some(Verification::NotTried(why)) => {
            let _ = writeln!(o, "           not verified: {why}");
        }
    }
    if let Some(p) = &r.probe {
        let _ = writeln!(o);
        o.push_str(&super::probe::endpoints_human(p));
    }
    let _ = writeln!(o);
    for f in &r.findings {
        o.push_rendered(&super::human::finding(f, None, style));
    }
    let s = Summary::of(&r.findings, 0);
    let _ = writeln!(
        o,
        "{} error(s), {} warning(s), {} info(s).",
        s.errors, s.warnings, s.infos
    );
    o.into_string()
}

#[derive(Debug, Serialize)]
struct Out<'a> {
    schema_version: u32,
    tool: Tool,
    command: &'static str,
    findings: &'a [Finding],
    summary: Summary,
    token: WireToken<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoints: Option<WireEndpoints<'a>>,
}

#[derive(Debug, Serialize)]
pub struct WireEndpoints<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<&'a Endpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<&'a Endpoint>,
}

#[derive(Debug, Serialize)]
struct WireToken<'a> {
    length: usize,
    header: Option<&'a Map<String, Value>>,
    claims: Option<&'a Map<String, Value>>,
    /// Never the signature itself.
    signature: Option<String>,
    times: &'a [TimeClaim],
    sub_components: Option<Vec<WireComponent<'a>>>,
    verification: WireVerification,
}

#[derive(Debug, Serialize)]
struct WireComponent<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Debug, Serialize)]
struct WireVerification {
    /// `verified`, `unauthenticated` (the signature matches keys whose origin is not
    /// authenticated: not verified), `failed`, `not-tried` or `skipped` (no `--verify`).
    status: &'static str,
    detail: Option<String>,
    keys_from: Option<String>,
}

pub fn json(r: &DecodeReport) -> String {
    let d = r.token.decoded.as_ref();
    let (status, detail) = match &r.verification {
        None => (
            "skipped",
            Some("pass --verify to verify the signature".to_string()),
        ),
        Some(Verification::Verified(s)) => ("verified", Some(s.clone())),
        Some(Verification::Unauthenticated(s)) => ("unauthenticated", Some(s.clone())),
        Some(Verification::Failed(f)) => ("failed", Some(f.message.clone())),
        Some(Verification::NotTried(s)) => ("not-tried", Some(s.clone())),
    };
    let out = Out {
        schema_version: 1,
        tool: Tool::current(),
        command: "decode",
        findings: &r.findings,
        summary: Summary::of(&r.findings, 0),
        token: WireToken {
            length: r.token.length,
            header: d.map(|d| &d.header),
            claims: d.map(|d| &d.claims),
            signature: d.map(|d| format!("<redacted: {} characters>", d.signature_len)),
            times: &r.token.times,
            sub_components: r.token.sub_components.as_ref().map(|cs| {
                cs.iter()
                    .map(|c| WireComponent {
                        name: &c.name,
                        value: &c.value,
                    })
                    .collect()
            }),
            verification: WireVerification {
                status,
                detail,
                keys_from: r.keys_from.clone(),
            },
        },
        endpoints: r.probe.as_ref().map(|p| WireEndpoints {
            discovery: p.discovery.as_ref(),
            jwks: p.jwks.as_ref(),
        }),
    };
    terminal::json(&out)
}
