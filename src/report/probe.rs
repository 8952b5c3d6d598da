//! `probe` output: per endpoint the HTTP facts and a bar per timing phase against
//! AWS's 5-second limit, the served TLS chain, the thumbprint, and the findings.

use std::fmt::Write as _;

use serde::Serialize;

use super::decode::WireEndpoints;
use super::human::Style;
use super::json::Tool;
use super::terminal::{self, Terminal};
use crate::finding::{Finding, Summary};
use crate::issuer::probe::{Endpoint, ProbeReport};
use crate::simulate::{Check, CheckStatus};

/// Bar width for 5 s (AWS's limit); longer phases overflow to a marker.
const BAR: f64 = 40.0;
const LIMIT_MS: f64 = 5_000.0;

fn bar(ms: f64) -> String {
    let n = ((ms / LIMIT_MS) * BAR).ceil().clamp(0.0, BAR) as usize;
    let mut s = "█".repeat(n.max(usize::from(ms > 0.0)));
    if ms > LIMIT_MS {
        s.push_str("▶ over AWS's 5 s");
    }
    s
}

fn phase(o: &mut Terminal, name: &str, ms: Option<f64>) {
    match ms {
        Some(ms) => {
            let _ = writeln!(o, "    {name:<8} {ms:>9.1} ms  {}", bar(ms));
        }
        None => {
            let _ = writeln!(o, "    {name:<8} {:>9}     -", "");
        }
    }
}

fn endpoint(o: &mut Terminal, title: &str, e: &Endpoint) {
    let f = &e.fetched;
    let _ = writeln!(o, "{title}  {}", f.url);
    for r in &f.redirects {
        let _ = writeln!(o, "  redirected from {r}");
    }
    let mut facts = Vec::new();
    if let Some(s) = f.status {
        facts.push(format!("HTTP {s}"));
    }
    if let Some(c) = &f.content_type {
        facts.push(c.clone());
    }
    if let Some(b) = f.bytes {
        facts.push(format!("{b} bytes"));
    }
    facts.push(format!(
        "Cache-Control: {}",
        f.cache_control.as_deref().unwrap_or("(none)")
    ));
    let _ = writeln!(o, "  {}", facts.join("  "));
    if let Some(err) = &f.error {
        let _ = writeln!(o, "  error: {err}");
    }
    let _ = writeln!(o, "  timings (each bar: share of AWS's 5 s limit)");
    phase(o, "dns", f.dns_ms);
    phase(o, "connect", f.connect_ms);
    phase(o, "tls", f.tls_ms);
    phase(o, "ttfb", f.ttfb_ms);
    phase(o, "total", f.elapsed_ms);
    if let Some(t) = &e.tls {
        let _ = writeln!(
            o,
            "  {} chain as served ({} certificate(s)):",
            t.version.as_deref().unwrap_or("TLS"),
            t.chain.len()
        );
        for (i, c) in t.chain.iter().enumerate() {
            let _ = writeln!(o, "    {i} {}", c.subject);
            let _ = writeln!(o, "      issuer   {}", c.issuer);
            let _ = writeln!(o, "      valid    {} → {}", c.not_before, c.not_after);
            let _ = writeln!(o, "      sha1     {}", c.sha1);
            let _ = writeln!(o, "      sha256   {}", c.sha256);
        }
        let _ = writeln!(
            o,
            "  publicly trusted: {} ({})",
            if t.publicly_trusted { "yes" } else { "no" },
            t.verdict
        );
    }
}

/// The endpoints part (also used by `decode --verify`).
pub fn endpoints_human(r: &ProbeReport) -> String {
    let mut o = Terminal::new(false);
    if let Some(d) = &r.discovery {
        endpoint(&mut o, "discovery", d);
    }
    if let Some(j) = &r.jwks {
        let _ = writeln!(o);
        endpoint(&mut o, "jwks", j);
    }
    if let Some(t) = &r.thumbprint {
        let _ = writeln!(
            o,
            "\nThumbprint AWS uses (SHA-1 of the last certificate the JWKS host serves): {t}"
        );
    }
    o.into_string()
}

pub fn human(r: &ProbeReport, style: Style) -> String {
    let mut o = Terminal::new(style.color);
    let _ = writeln!(o, "Issuer {}", r.issuer);
    for n in &r.notes {
        let _ = writeln!(o, "note: {n}");
    }
    let _ = writeln!(o);
    o.push_str(&endpoints_human(r));
    let _ = writeln!(o, "\nChecks");
    for c in &r.checks {
        let mark = match c.status {
            CheckStatus::Passed => "✓",
            CheckStatus::Failed => "✗",
            CheckStatus::Skipped => "-",
        };
        let _ = writeln!(
            o,
            "  {mark} {:<24} {}",
            c.name,
            c.detail.as_deref().unwrap_or("")
        );
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
    issuer: &'a str,
    findings: &'a [Finding],
    summary: Summary,
    checks: &'a [Check],
    endpoints: WireEndpoints<'a>,
    thumbprint: Option<&'a str>,
    notes: &'a [String],
}

pub fn json(r: &ProbeReport) -> String {
    let out = Out {
        schema_version: 1,
        tool: Tool::current(),
        command: "probe",
        issuer: &r.issuer,
        findings: &r.findings,
        summary: Summary::of(&r.findings, 0),
        checks: &r.checks,
        endpoints: WireEndpoints {
            discovery: r.discovery.as_ref(),
            jwks: r.jwks.as_ref(),
        },
        thumbprint: r.thumbprint.as_deref(),
        notes: &r.notes,
    };
    terminal::json(&out)
}
