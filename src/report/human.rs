//! Human output: findings as annotated source snippets (miette), verdicts in words.

use std::fmt::Write as _;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};

use crate::finding::{Finding, Severity};
use crate::iam::evaluate::Decision;
use crate::json::SourceText;
use crate::policy::Effect;
use crate::simulate::{CheckStatus, ClaimsOrigin, SimulateReport};

/// Rendering options.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

/// Renders one finding; with the file's source, as a snippet pointing at the place.
pub fn finding(f: &Finding, source: Option<&SourceText>, style: Style) -> String {
    let severity = match f.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    };
    let mut diag = MietteDiagnostic::new(f.message.clone())
        .with_code(f.rule)
        .with_severity(severity);
    let mut help = f.help.clone();
    if let Some(e) = &f.aws_error {
        help.push_str(&format!("\nAWS: {e}"));
    }
    if let Some(ex) = &f.example {
        help.push_str(&format!("\nexample: {ex}"));
    }
    if !help.is_empty() {
        diag = diag.with_help(help);
    }
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    match (&f.location, source) {
        (Some(loc), Some(src)) if loc.span.is_some() => {
            let span = loc.span.unwrap_or_default();
            let label = match &loc.pointer {
                Some(p) if !p.is_empty() => p.clone(),
                _ => "here".to_string(),
            };
            let diag =
                diag.with_label(LabeledSpan::at(span.start..span.end.max(span.start), label));
            let report = miette::Report::new(diag)
                .with_source_code(NamedSource::new(loc.path.clone(), src.text().to_string()));
            if handler.render_report(&mut out, report.as_ref()).is_err() {
                out = plain(f);
            }
        }
        _ => {
            if handler.render_report(&mut out, &diag).is_err() {
                out = plain(f);
            }
        }
    }
    // IaC sources: the resource, and places in other declarations (a provider's
    // client IDs for an audience drift, …). Same-file related places of policy
    // JSON (an earlier duplicate key) are already clear from the message.
    if let Some(loc) = &f.location {
        if let Some(r) = &loc.resource {
            let _ = writeln!(out, "  resource: {r}");
        }
        for rel in &f.related {
            if rel.path != loc.path || rel.resource.is_some() {
                let _ = write!(out, "  see also: {}:{}:{}", rel.path, rel.line, rel.column);
                match &rel.resource {
                    Some(r) => {
                        let _ = writeln!(out, " ({r})");
                    }
                    None => out.push('\n'),
                }
            }
        }
    }
    out
}

fn plain(f: &Finding) -> String {
    let mut s = format!("{}[{}]: {}\n", f.severity.as_str(), f.rule, f.message);
    if let Some(l) = &f.location {
        let _ = writeln!(s, "  --> {}:{}:{}", l.path, l.line, l.column);
    }
    if !f.help.is_empty() {
        let _ = writeln!(s, "  help: {}", f.help);
    }
    s
}

pub fn simulate(r: &SimulateReport, style: Style) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Policy: {}", r.path);
    if let Some(req) = &r.request {
        let issuer = req.issuer.as_deref().unwrap_or("(none)");
        let _ = writeln!(o, "Issuer: {issuer}");
        let mut keys: Vec<_> = req.context.entries().collect();
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        for e in keys {
            let _ = writeln!(
                o,
                "  {} = {}",
                e.name,
                e.value
                    .values()
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let origin = match r.claims_origin {
            ClaimsOrigin::Given => "claims from --claim",
            ClaimsOrigin::Token => "claims from the token, signature not verified",
        };
        let _ = writeln!(o, "  ({origin})");
    }
    for n in &r.notes {
        let _ = writeln!(o, "note: {n}");
    }

    o.push_str(&statements(r));

    if !r.findings.is_empty() {
        let _ = writeln!(o);
        for f in &r.findings {
            o.push_str(&finding(f, Some(&r.source), style));
        }
    }

    let v = &r.verdict;
    let _ = writeln!(o);
    let word = match v.decision {
        Decision::Allowed => "ALLOWED",
        Decision::ImplicitDeny | Decision::ExplicitDeny => "DENIED",
        Decision::Indeterminate => "INDETERMINATE",
    };
    let _ = writeln!(o, "Verdict: {word}: {}", v.summary);
    match &v.predicted_error {
        Some(e) => {
            let _ = writeln!(o, "AWS will answer: {e}");
        }
        None if v.decision == Decision::Allowed => {
            let _ = writeln!(o, "AWS will accept the trust policy for these claims.");
        }
        None => {}
    }
    if !v.depends_on.is_empty() {
        let _ = writeln!(
            o,
            "This depends on request keys that were not given: {} (pass them with --context KEY=VALUE)",
            v.depends_on.join(", ")
        );
    }
    let skipped: Vec<&str> = r
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Skipped && c.name != "trust-policy")
        .map(|c| c.name)
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(
            o,
            "Not checked: {} (`simulate` evaluates the trust policy only)",
            skipped.join(", ")
        );
    }
    let _ = writeln!(
        o,
        "Scope: organization resource control policies (RCPs) can also deny this call; they are outside this tool's view."
    );
    o
}

/// The per-statement, per-condition trace of an evaluation (empty without one).
pub fn statements(r: &SimulateReport) -> String {
    let mut o = String::new();
    if let Some(e) = &r.evaluation {
        for t in &e.statements {
            let _ = writeln!(o);
            let sid = t
                .sid
                .as_deref()
                .map(|s| format!(" {s:?}"))
                .unwrap_or_default();
            let effect = t.effect.map(Effect::as_str).unwrap_or("invalid Effect");
            let applies = match t.applies {
                Some(true) => "applies",
                Some(false) => "does not apply",
                None => "cannot be evaluated",
            };
            let _ = writeln!(o, "Statement {}{sid} ({effect}): {applies}", t.index);
            if let Some(why) = &t.invalid {
                let _ = writeln!(o, "  ✗ {why}");
            }
            let _ = writeln!(
                o,
                "  {} principal: {}",
                mark(Some(t.principal.matched)),
                t.principal.reason
            );
            let _ = writeln!(
                o,
                "  {} action: {}",
                mark(Some(t.action.matched)),
                t.action.reason
            );
            for c in &t.conditions {
                let _ = writeln!(
                    o,
                    "  {} {} {}: {}",
                    mark(c.outcome.result),
                    c.operator,
                    c.key,
                    c.outcome.reason
                );
                for (_, _, note) in r
                    .condition_notes
                    .iter()
                    .filter(|(s, i, _)| *s == t.index && *i == c.condition_index)
                {
                    let _ = writeln!(o, "      → {note}");
                }
            }
        }
    }
    o
}

fn mark(result: Option<bool>) -> &'static str {
    match result {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "?",
    }
}

/// `who`: who can assume the role, in words, with verified counterexamples.
pub fn who(r: &crate::who::WhoReport, style: Style) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Policy: {}", r.path);
    let Some(a) = &r.analysis else {
        let _ = writeln!(
            o,
            "\nThe policy cannot be read, so it admits nobody until it is fixed:\n"
        );
        for f in &r.findings {
            o.push_str(&finding(f, Some(&r.source), style));
        }
        return o;
    };
    match (&a.issuer, &a.provider_arn) {
        (Some(i), Some(arn)) => {
            let _ = writeln!(o, "Issuer: {i} (trusted through {arn})");
        }
        (Some(i), None) => {
            let _ = writeln!(o, "Issuer: {i}");
        }
        (None, _) if a.subjects.len() > 1 => {
            let _ = writeln!(o, "Issuer: several providers (named per statement)");
        }
        (None, _) => {}
    }
    let _ = writeln!(o);
    if a.subjects.is_empty() {
        let _ = writeln!(
            o,
            "Nobody: no Allow statement trusts a GitLab OIDC provider for sts:AssumeRoleWithWebIdentity."
        );
    } else {
        if let Some(example) = &a.everyone_example {
            let host = a
                .everyone_issuer
                .as_deref()
                .or(a.issuer.as_deref())
                .map(|i| i.trim_start_matches("https://"))
                .unwrap_or("the instance");
            let _ = writeln!(
                o,
                "ANYONE on {host} can assume this role: a project of their own, e.g. sub {example}\n"
            );
        }
        let _ = writeln!(o, "Who can assume this role:");
        let mut last_statement = None;
        for s in &a.subjects {
            if last_statement != Some(s.statement) {
                last_statement = Some(s.statement);
                let _ = writeln!(o);
                let sid = s
                    .sid
                    .as_deref()
                    .map(|x| format!(" {x:?}"))
                    .unwrap_or_default();
                let what = if s.operator == "none" {
                    "no condition on sub".to_string()
                } else {
                    format!("{} {}", s.operator, s.key)
                };
                let issuer = match (&a.issuer, &s.issuer) {
                    (None, Some(i)) => format!(" (issuer {i})"),
                    _ => String::new(),
                };
                let _ = writeln!(o, "  Statement {}{sid} — {what}{issuer}", s.statement);
            }
            if s.operator != "none" && s.restriction == crate::subjects::Restriction::Value {
                let _ = writeln!(o, "    {:?}", s.pattern.text);
                let _ = writeln!(o, "      {}", s.description);
            } else {
                let _ = writeln!(o, "    {}", s.description);
            }
            let next_is_same = a
                .subjects
                .iter()
                .skip_while(|x| !std::ptr::eq(*x, s))
                .nth(1)
                .is_some_and(|n| n.statement == s.statement);
            if !next_is_same && !s.guards.is_empty() {
                let _ = writeln!(o, "    only when:");
                for (k, v) in &s.guards {
                    let _ = writeln!(o, "      {k}: {}", v.join(", "));
                }
            }
        }
    }
    if !a.exclusions.is_empty() {
        let _ = writeln!(o, "\nRemoved by Deny statements:");
        for e in &a.exclusions {
            let what = if e.operator == "none" {
                String::new()
            } else {
                format!(" — {} {:?}", e.operator, e.pattern)
            };
            let sid = e
                .sid
                .as_deref()
                .map(|x| format!(" {x:?}"))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  Statement {}{sid}{what}: {}",
                e.statement, e.description
            );
        }
    }
    let examples: Vec<(&crate::subjects::Admitted, &crate::subjects::Breadth)> = a
        .subjects
        .iter()
        .flat_map(|s| s.breadth.iter().map(move |b| (s, b)))
        .collect();
    if !examples.is_empty() {
        let _ = writeln!(
            o,
            "\nAdmitted, and probably not meant (each checked with the evaluation engine):"
        );
        let mut seen = Vec::new();
        for (s, b) in examples {
            if seen.contains(&&b.example) {
                continue;
            }
            seen.push(&b.example);
            let _ = writeln!(o, "  {}", b.example);
            let _ = writeln!(o, "    statement {}: {}", s.statement, b.why);
        }
    }
    if !r.findings.is_empty() {
        let _ = writeln!(
            o,
            "\nFindings (`oidc-doctor lint {}` shows them in the source):",
            r.path
        );
        for f in &r.findings {
            let at = f
                .location
                .as_ref()
                .map(|l| format!(" {}:{}", l.line, l.column))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  {:<7} {}{at}: {}",
                f.severity.as_str(),
                f.rule,
                f.message
            );
        }
    }
    o
}
