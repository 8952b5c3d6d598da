//! `explain` output: human text, the JSON envelope with `matches`, and the
//! troubleshooting guide (`docs/troubleshooting.md`), all from the catalogue.

use std::fmt::Write as _;

use serde::Serialize;

use super::json::{Output, Tool};
use super::terminal::{self, Terminal};
use crate::explain::{CATALOGUE, Entry, Explanation, MAX_INPUT, Query};
use crate::finding::Summary;

fn status(e: &Entry) -> String {
    match e.http_status {
        Some(s) => format!("HTTP {s}"),
        None => "no HTTP request".to_string(),
    }
}

/// The human report.
pub fn human(x: &Explanation) -> String {
    let mut o = Terminal::new(false);
    if x.truncated {
        let _ = writeln!(
            o,
            "note: only the first {} MiB of the input were read.\n",
            MAX_INPUT >> 20
        );
    }
    match &x.query {
        Query::Message => {
            let _ = writeln!(o, "Matched a known AWS error wording.");
        }
        Query::Rule { name, summary } => {
            match summary {
                Some(s) => {
                    let _ = writeln!(o, "Rule `{name}`: {s}.");
                }
                None => {
                    let _ = writeln!(
                        o,
                        "Rule `{name}`: a `check` rule that is not in this build's registry yet."
                    );
                }
            }
            if x.matches.is_empty() {
                let _ = writeln!(
                    o,
                    "It does not make an AWS call fail (it is advice on breadth or hygiene), so no error in the catalogue lists it. `oidc-doctor rules {name}` documents it."
                );
            } else {
                let _ = writeln!(o, "Errors it explains:");
            }
        }
        Query::Code { codes } => {
            let _ = writeln!(
                o,
                "Recognised the error code {}, but not the message: it matches no known wording. Entries with that code, closest first:",
                codes.join(", ")
            );
        }
        Query::Closest { rule } => {
            let _ = writeln!(o, "No exact match; closest:");
            if let Some(r) = rule {
                let _ = writeln!(o, "(did you mean the rule `{r}`?)");
            }
        }
    }
    for m in &x.matches {
        let e = m.entry;
        let _ = writeln!(o, "\n== {} ==", e.id);
        let _ = writeln!(o, "{} ({}): {}", e.code, status(e), e.title);
        let _ = writeln!(o, "AWS text:   {}", e.message);
        for a in e.alternates {
            let _ = writeln!(o, "Also seen:  {a}");
        }
        if !e.confirmed {
            let _ = writeln!(
                o,
                "Wording:    unconfirmed (not seen verbatim in a real failure)"
            );
        }
        let _ = writeln!(o, "Raised by:  {}", e.source);
        if let Some(line) = m.line {
            let _ = writeln!(o, "Found on:   line {line} of the input");
        }
        let _ = writeln!(o, "\nCauses, most common first:");
        for (i, c) in e.causes.iter().enumerate() {
            let _ = writeln!(o, "  {}. {}", i + 1, c.cause);
            let rules = if c.rules.is_empty() {
                "no rule (outside what oidc-doctor can see)".to_string()
            } else {
                c.rules
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(o, "     detected by: {rules}");
            let _ = writeln!(o, "     fix:         {}", c.fix);
            let _ = writeln!(o, "     confirm:     {}", c.confirm);
        }
    }
    o.into_string()
}

#[derive(Debug, Serialize)]
struct ExplainOutput<'a> {
    #[serde(flatten)]
    base: Output<'a>,
    query: WireQuery,
    matches: Vec<WireMatch>,
}

#[derive(Debug, Serialize)]
struct WireQuery {
    /// `message`, `code`, `rule` or `closest`.
    kind: &'static str,
    /// The rule asked for (`rule`) or suggested for a misspelling (`closest`).
    rule: Option<&'static str>,
    /// The rule's summary; null for pending check rules and without a rule.
    rule_summary: Option<&'static str>,
    codes: Vec<&'static str>,
    truncated: bool,
}

#[derive(Debug, Serialize)]
struct WireMatch {
    id: &'static str,
    code: &'static str,
    http_status: Option<u16>,
    title: &'static str,
    message: &'static str,
    alternates: &'static [&'static str],
    confirmed: bool,
    source: &'static str,
    exact: bool,
    line: Option<usize>,
    causes: Vec<WireCause>,
}

#[derive(Debug, Serialize)]
struct WireCause {
    rank: usize,
    cause: &'static str,
    rules: &'static [&'static str],
    fix: &'static str,
    confirm: &'static str,
}

/// `explain --format json`: the standard envelope plus `query` and `matches`.
pub fn json(x: &Explanation) -> String {
    let (rule, rule_summary, codes) = match &x.query {
        Query::Rule { name, summary } => (Some(*name), *summary, Vec::new()),
        Query::Closest { rule } => (
            *rule,
            rule.and_then(|r| crate::rules::by_name(r).map(|m| m.summary)),
            Vec::new(),
        ),
        Query::Code { codes } => (None, None, codes.clone()),
        Query::Message => (None, None, Vec::new()),
    };
    let out = ExplainOutput {
        base: Output {
            schema_version: 1,
            tool: Tool::current(),
            command: "explain",
            findings: &[],
            summary: Summary::default(),
            verdict: None,
            trace: None,
            checks: None,
        },
        query: WireQuery {
            kind: x.query.kind(),
            rule,
            rule_summary,
            codes,
            truncated: x.truncated,
        },
        matches: x
            .matches
            .iter()
            .map(|m| WireMatch {
                id: m.entry.id,
                code: m.entry.code,
                http_status: m.entry.http_status,
                title: m.entry.title,
                message: m.entry.message,
                alternates: m.entry.alternates,
                confirmed: m.entry.confirmed,
                source: m.entry.source,
                exact: m.exact,
                line: m.line,
                causes: m
                    .entry
                    .causes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| WireCause {
                        rank: i + 1,
                        cause: c.cause,
                        rules: c.rules,
                        fix: c.fix,
                        confirm: c.confirm,
                    })
                    .collect(),
            })
            .collect(),
    };
    // Serialising these plain structs cannot fail.
    terminal::json(&out)
}

/// The line the generated guide carries under its title.
pub const GENERATED_MARKER: &str = "<!-- Generated from src/explain/catalogue.rs by `cargo run -- explain --write-docs docs/troubleshooting.md`. Edit the catalogue, not this file. -->";

/// `docs/troubleshooting.md`: every catalogue entry, in catalogue order.
pub fn troubleshooting_markdown() -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Troubleshooting `AssumeRoleWithWebIdentity`\n");
    let _ = writeln!(o, "{GENERATED_MARKER}\n");
    let _ = writeln!(
        o,
        "Every documented way a GitLab CI job's `sts:AssumeRoleWithWebIdentity` call (and the IAM calls that set it up) fails, most common first. For each error: the exact AWS text (`{{…}}` marks values AWS fills in), where it comes from, and its causes ranked by how common they are, with the rules that detect each cause, the fix, and the command that confirms it.\n"
    );
    let _ = writeln!(
        o,
        "Paste an error into `oidc-doctor explain \"…\"` (with or without the CLI/SDK wrapping, or a whole job log via `oidc-doctor explain - < job.log`) to get the matching section; `oidc-doctor explain RULE` lists the errors a rule explains. Wordings marked *unconfirmed* have not been seen verbatim in a real failure. Rules marked *pending* are `check` rules not yet in the registry.\n"
    );
    let _ = writeln!(o, "| error | code | HTTP |");
    let _ = writeln!(o, "|---|---|---|");
    for e in CATALOGUE {
        let _ = writeln!(
            o,
            "| [{}](#{}) | `{}` | {} |",
            e.title.replace('|', "\\|"),
            e.id,
            e.code,
            e.http_status.map_or("—".to_string(), |s| s.to_string())
        );
    }
    for e in CATALOGUE {
        let _ = writeln!(o, "\n## {}\n", e.id);
        let _ = writeln!(o, "{}.\n", capitalise(e.title));
        let _ = writeln!(o, "- Code: `{}` ({})", e.code, status(e));
        let _ = writeln!(
            o,
            "- AWS text{}: {}",
            if e.confirmed { "" } else { " (*unconfirmed*)" },
            code_span(e.message)
        );
        for a in e.alternates {
            let _ = writeln!(o, "- Also seen: {}", code_span(a));
        }
        let _ = writeln!(o, "- Raised by: {}", e.source);
        let _ = writeln!(o, "\nCauses, most common first:\n");
        for (i, c) in e.causes.iter().enumerate() {
            let rules = if c.rules.is_empty() {
                "no rule (outside what oidc-doctor can see)".to_string()
            } else {
                c.rules
                    .iter()
                    .map(|r| format!("[`{r}`](rules/{r}.md)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(o, "{}. {}.", i + 1, capitalise(c.cause));
            let _ = writeln!(o, "   - Detected by: {rules}");
            let _ = writeln!(o, "   - Fix: {}.", c.fix);
            let _ = writeln!(o, "   - Confirm: {}", code_span(c.confirm));
        }
    }
    o
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn code_span(s: &str) -> String {
    let mut run = 0;
    let mut best = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        best = best.max(run);
    }
    let ticks = "`".repeat(best + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}
