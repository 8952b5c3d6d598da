//! `check` output: the checks in the order STS applies them, the findings grouped
//! by the stage at which they stop the call, the trust-policy trace, the issuer's
//! timings, and the verdict with the error AWS will answer and the fix.

use std::fmt::Write as _;

use serde::Serialize;

use super::decode::WireEndpoints;
use super::human::{Style, finding};
use super::json::{Tool, WireStatement, WireVerdict, trace};
use super::terminal::{self, Terminal};
use crate::check::{AssumeOutcome, CheckReport, Status};
use crate::finding::{Finding, Summary};
use crate::simulate::{Check, CheckStatus};

fn mark(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Passed => "✓",
        CheckStatus::Failed => "✗",
        CheckStatus::Skipped => "-",
    }
}

pub fn human(r: &CheckReport, style: Style) -> String {
    let mut o = Terminal::new(style.color);
    if let Some(t) = r.token.as_ref().and_then(|t| t.decoded.as_ref()) {
        let claim = |k: &str| {
            t.claims
                .get(k)
                .map(|v| match v {
                    serde_json::Value::String(s) => terminal::inline(s).into_owned(),
                    other => terminal::inline(&other.to_string()).into_owned(),
                })
                .unwrap_or_else(|| "(none)".into())
        };
        let _ = writeln!(o, "Token: iss {}", claim("iss"));
        let _ = writeln!(o, "       sub {}", claim("sub"));
        let _ = writeln!(o, "       aud {}", claim("aud"));
        if let Some(exp) = r
            .token
            .as_ref()
            .and_then(|t| t.times.iter().find(|t| t.name == "exp"))
        {
            let _ = writeln!(o, "       exp {} ({})", exp.rfc3339, exp.relative);
        }
    }
    if let Some(p) = &r.provider {
        let _ = writeln!(
            o,
            "Provider: {} (client IDs: {}; thumbprints: {})",
            p.arn.as_deref().unwrap_or(&p.url),
            p.client_ids.join(", "),
            if p.thumbprints.is_empty() {
                "none".to_string()
            } else {
                p.thumbprints.join(", ")
            }
        );
    }
    for n in &r.notes {
        let _ = writeln!(o, "note: {n}");
    }

    let _ = writeln!(o, "\nChecks");
    for c in &r.checks {
        let _ = writeln!(
            o,
            "  {} {:<22} {}",
            mark(c.status),
            c.name,
            c.detail.as_deref().unwrap_or("")
        );
    }

    if let Some(p) = &r.probe {
        let _ = writeln!(o, "\nIssuer {}", p.issuer);
        o.push_str(&super::probe::endpoints_human(p));
    }
    if let Some(sim) = &r.simulation {
        let trace = super::human::statements(sim);
        if !trace.is_empty() {
            let _ = write!(o, "\nTrust policy: {}", sim.path);
            o.push_str(&trace);
        }
    }

    let mut stage = None;
    for s in &r.findings {
        if stage != Some(s.stage) {
            stage = Some(s.stage);
            let _ = writeln!(o, "\n== {} ==", s.stage.title());
        }
        let source = r
            .simulation
            .as_ref()
            .filter(|sim| {
                s.finding
                    .location
                    .as_ref()
                    .is_some_and(|l| l.path == sim.path)
            })
            .map(|sim| &sim.source);
        o.push_rendered(&finding(&s.finding, source, style));
    }

    let v = &r.verdict;
    let word = match v.status {
        Status::Allowed => "ALLOWED",
        Status::Denied => "DENIED",
        Status::Indeterminate => "INDETERMINATE",
    };
    let _ = writeln!(o, "\nVerdict: {word}: {}", v.summary);
    match &v.predicted_error {
        Some(e) => {
            let _ = writeln!(o, "AWS will answer: {e}");
        }
        None if v.status == Status::Allowed => {
            let _ = writeln!(o, "AWS will issue credentials for this call.");
        }
        None => {}
    }
    if let Some(f) = v.blocking.and_then(|i| r.findings.get(i))
        && !f.finding.help.is_empty()
    {
        let _ = writeln!(o, "Fix: {}", f.finding.help);
    }
    if !v.depends_on.is_empty() {
        let _ = writeln!(
            o,
            "This depends on request keys that were not given: {} (pass them with --context KEY=VALUE)",
            v.depends_on.join(", ")
        );
    }
    if !v.unverified.is_empty() {
        let _ = writeln!(o, "Not verified: {}", v.unverified.join(", "));
    }
    if let Some(a) = &r.assume {
        let _ = writeln!(o, "\nReal call (--assume): {}", a.summary);
        if let AssumeOutcome::Failed { .. } = a.outcome {
            let _ = writeln!(
                o,
                "The real error is {}the predicted one.",
                if a.as_predicted { "" } else { "not " }
            );
        }
    }
    let _ = writeln!(
        o,
        "Scope: organization resource control policies (RCPs) can also deny this call; they are outside this tool's view."
    );
    o.into_string()
}

#[derive(Debug, Serialize)]
struct CheckVerdictWire {
    #[serde(flatten)]
    base: WireVerdict,
    /// The stage and rule of the finding that decides the prediction.
    blocking_stage: Option<crate::check::Stage>,
    blocking_rule: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct WireAssume<'a> {
    outcome: &'static str,
    assumed_role_arn: Option<&'a str>,
    expiration: Option<&'a str>,
    code: Option<&'a str>,
    message: Option<&'a str>,
    as_predicted: bool,
    explained_by: Option<&'static str>,
    summary: &'a str,
}

#[derive(Debug, Serialize)]
struct Out<'a> {
    schema_version: u32,
    tool: Tool,
    command: &'static str,
    findings: &'a [Finding],
    summary: Summary,
    verdict: CheckVerdictWire,
    trace: Vec<WireStatement>,
    checks: &'a [Check],
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoints: Option<WireEndpoints<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbprint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assume: Option<WireAssume<'a>>,
    notes: &'a [String],
}

pub fn json(r: &CheckReport) -> String {
    let findings = r.plain_findings();
    let v = &r.verdict;
    let blocking = v.blocking.and_then(|i| r.findings.get(i));
    let assume = r.assume.as_ref().map(|a| {
        let (outcome, arn, exp, code, message) = match &a.outcome {
            AssumeOutcome::Succeeded {
                assumed_role_arn,
                expiration,
            } => (
                "succeeded",
                Some(assumed_role_arn.as_str()),
                expiration.as_deref(),
                None,
                None,
            ),
            AssumeOutcome::Failed { code, message } => (
                "failed",
                None,
                None,
                Some(code.as_str()),
                Some(message.as_str()),
            ),
            AssumeOutcome::NotSent(why) => ("not-sent", None, None, None, Some(why.as_str())),
            AssumeOutcome::SentNoAnswer(why) => {
                ("unanswered", None, None, None, Some(why.as_str()))
            }
        };
        WireAssume {
            outcome,
            assumed_role_arn: arn,
            expiration: exp,
            code,
            message,
            as_predicted: a.as_predicted,
            explained_by: a
                .explained_by
                .and_then(|i| r.findings.get(i))
                .map(|s| s.finding.rule),
            summary: &a.summary,
        }
    });
    let out = Out {
        schema_version: 1,
        tool: Tool::current(),
        command: "check",
        findings: &findings,
        summary: Summary::of(&findings, 0),
        verdict: CheckVerdictWire {
            base: WireVerdict {
                status: v.status.as_str(),
                allowed: match v.status {
                    Status::Allowed => Some(true),
                    Status::Denied => Some(false),
                    Status::Indeterminate => None,
                },
                predicted_error: v.predicted_error.clone(),
                decisive_statements: v.decisive_statements.clone(),
                unverified: v.unverified.clone(),
                depends_on: v.depends_on.clone(),
                summary: v.summary.clone(),
            },
            blocking_stage: blocking.map(|s| s.stage),
            blocking_rule: blocking.map(|s| s.finding.rule),
        },
        trace: r
            .simulation
            .as_ref()
            .and_then(|s| s.evaluation.as_ref())
            .map(|e| trace(&e.statements))
            .unwrap_or_default(),
        checks: &r.checks,
        endpoints: r.probe.as_ref().map(|p| WireEndpoints {
            discovery: p.discovery.as_ref(),
            jwks: p.jwks.as_ref(),
        }),
        thumbprint: r.probe.as_ref().and_then(|p| p.thumbprint.as_deref()),
        assume,
        notes: &r.notes,
    };
    // Serialising these plain structs cannot fail.
    terminal::json(&out)
}
