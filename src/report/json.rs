//! The JSON wire format, schema version 1 (SPEC §3, `docs/output-schema.json`).
//!
//! These structs are the contract: internal types may change, these may only grow.

use serde::Serialize;

use crate::finding::{Finding, Summary};
use crate::fingerprint::Fingerprinted;
use crate::iam::evaluate::{Decision, StatementTrace};
use crate::simulate::{Check, SimulateReport};

#[derive(Debug, Serialize)]
pub struct Output<'a, F: Serialize + ?Sized = [Finding], S: Serialize = Summary> {
    pub schema_version: u32,
    pub tool: Tool,
    pub command: &'static str,
    pub findings: &'a F,
    pub summary: S,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<WireVerdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<WireStatement>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<&'a [Check]>,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    pub fn current() -> Tool {
        Tool {
            name: "oidc-doctor",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct WireVerdict {
    pub status: &'static str,
    pub allowed: Option<bool>,
    pub predicted_error: Option<String>,
    pub decisive_statements: Vec<usize>,
    pub unverified: Vec<String>,
    pub depends_on: Vec<String>,
    pub summary: String,
}

#[derive(Debug, Serialize)]
pub struct WireStatement {
    pub index: usize,
    pub sid: Option<String>,
    pub effect: &'static str,
    pub principal_matched: bool,
    pub principal_reason: String,
    pub action_matched: bool,
    pub action_reason: String,
    pub applies: Option<bool>,
    pub conditions: Vec<WireCondition>,
}

#[derive(Debug, Serialize)]
pub struct WireCondition {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
    pub context: Option<Vec<String>>,
    pub result: Option<bool>,
    pub reason: String,
}

/// Statements whose Effect is not Allow/Deny cannot apply and are left out of the
/// trace (their finding says why).
pub fn trace(statements: &[StatementTrace]) -> Vec<WireStatement> {
    statements
        .iter()
        .filter_map(|t| {
            Some(WireStatement {
                index: t.index,
                sid: t.sid.clone(),
                effect: t.effect?.as_str(),
                principal_matched: t.principal.matched,
                principal_reason: t.principal.reason.clone(),
                action_matched: t.action.matched,
                action_reason: t.action.reason.clone(),
                applies: t.applies,
                conditions: t
                    .conditions
                    .iter()
                    .map(|c| WireCondition {
                        operator: c.operator.clone(),
                        key: c.key.clone(),
                        values: c.values.clone(),
                        context: c.outcome.context.clone(),
                        result: c.outcome.result,
                        reason: c.outcome.reason.clone(),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// Writes the JSON report of a lint run into `out` as the findings come (see
/// [`super::terminal::Streamed`]); `summary` is asked once they are all written.
pub fn write_lint(
    findings: impl Iterator<Item = Fingerprinted>,
    summary: impl Fn() -> Summary,
    out: impl std::io::Write,
) -> serde_json::Result<()> {
    let findings = super::terminal::streamed(findings.map(|fp| fp.finding));
    let report = Output {
        schema_version: 1,
        tool: Tool::current(),
        command: "lint",
        findings: &findings,
        summary: super::terminal::Lazy(summary),
        verdict: None,
        trace: None,
        checks: None,
    };
    super::terminal::write_json(&report, out)
}

pub fn simulate(report: &SimulateReport) -> String {
    let v = &report.verdict;
    let out = Output {
        schema_version: 1,
        tool: Tool::current(),
        command: "simulate",
        findings: &report.findings,
        summary: Summary::of(&report.findings, 1),
        verdict: Some(WireVerdict {
            status: v.decision.status(),
            allowed: match v.decision {
                Decision::Allowed => Some(true),
                Decision::ImplicitDeny | Decision::ExplicitDeny => Some(false),
                Decision::Indeterminate => None,
            },
            predicted_error: v.predicted_error.clone(),
            decisive_statements: v.decisive_statements.clone(),
            unverified: v.unverified.clone(),
            depends_on: v.depends_on.clone(),
            summary: v.summary.clone(),
        }),
        trace: Some(
            report
                .evaluation
                .as_ref()
                .map(|e| trace(&e.statements))
                .unwrap_or_default(),
        ),
        checks: Some(&report.checks),
    };
    // Serialising these plain structs cannot fail.
    super::terminal::json(&out)
}

/// `rules --format json`: the standard envelope plus the rules.
#[derive(Debug, Serialize)]
pub struct RulesOutput<'a> {
    #[serde(flatten)]
    pub base: Output<'a>,
    pub rules: Vec<WireRule>,
}

#[derive(Debug, Serialize)]
pub struct WireRule {
    pub name: &'static str,
    pub category: crate::finding::Category,
    pub severity: crate::finding::Severity,
    pub summary: &'static str,
    pub aws_error: Option<&'static str>,
    pub fix: &'static str,
    pub explanation: &'static str,
    pub bad: &'static str,
    pub good: &'static str,
    pub doc_url: String,
}

pub fn rules(list: &[&'static crate::rules::RuleMeta]) -> String {
    let out = RulesOutput {
        base: Output {
            schema_version: 1,
            tool: Tool::current(),
            command: "rules",
            findings: &[],
            summary: Summary::default(),
            verdict: None,
            trace: None,
            checks: None,
        },
        rules: list
            .iter()
            .map(|r| WireRule {
                name: r.name,
                category: r.category,
                severity: r.severity,
                summary: r.summary,
                aws_error: r.aws_error,
                fix: r.fix,
                explanation: r.explanation,
                bad: r.bad,
                good: r.good,
                doc_url: super::rule_doc::doc_url(r.name),
            })
            .collect(),
    };
    super::terminal::json(&out)
}

/// `who`: the standard envelope plus `admits` (output-schema.json `$defs/admits`).
#[derive(Debug, Serialize)]
pub struct WhoOutput<'a> {
    pub schema_version: u32,
    pub tool: Tool,
    pub command: &'static str,
    pub findings: &'a [Finding],
    pub summary: Summary,
    pub admits: WireAdmits,
}

#[derive(Debug, Serialize)]
pub struct WireAdmits {
    pub issuer: Option<String>,
    pub provider_arn: Option<String>,
    /// An arbitrary project in a namespace the owner does not control is admitted.
    pub everyone: bool,
    pub subjects: Vec<WireSubject>,
    /// Patterns removed by Deny statements (`not …` for a negated condition, `*`
    /// for a Deny without a `sub` condition).
    pub excluded: Vec<String>,
    /// The same, with the statement and in words.
    pub exclusions: Vec<WireExclusion>,
    pub examples: Vec<WireExample>,
}

#[derive(Debug, Serialize)]
pub struct WireSubject {
    pub statement: usize,
    /// As written; `none` when no condition restricts `sub`.
    pub operator: String,
    pub pattern: String,
    pub description: String,
    pub projects: String,
    pub ref_types: Vec<String>,
    pub refs: String,
    /// The statement's other conditions: key → values (`not …` for negated
    /// operators, `<Operator> value` for non-string families).
    pub guards: std::collections::BTreeMap<String, Vec<String>>,
    pub issuer: Option<String>,
    /// No subject GitLab issues can match the pattern.
    pub matches_nothing: bool,
}

#[derive(Debug, Serialize)]
pub struct WireExclusion {
    pub statement: usize,
    pub operator: String,
    pub pattern: String,
    pub description: String,
}

#[derive(Debug, Serialize)]
pub struct WireExample {
    pub subject: String,
    pub why: String,
    pub statement: usize,
    /// `outside-namespace`, `other-project`, `any-ref-type`, `any-ref`, `anyone`.
    pub kind: &'static str,
}

/// The kebab-case name of a breadth kind, for the wire.
pub fn breadth_kind(kind: crate::subjects::BreadthKind) -> &'static str {
    use crate::subjects::BreadthKind as K;
    match kind {
        K::OutsideNamespace => "outside-namespace",
        K::OtherProject => "other-project",
        K::AnyRefType => "any-ref-type",
        K::AnyRef => "any-ref",
        K::Anyone => "anyone",
    }
}

pub fn who(report: &crate::who::WhoReport) -> String {
    let admits = match &report.analysis {
        Some(a) => {
            let mut examples: Vec<WireExample> = Vec::new();
            for s in &a.subjects {
                for b in &s.breadth {
                    if examples.iter().any(|e| e.subject == b.example) {
                        continue;
                    }
                    examples.push(WireExample {
                        subject: b.example.clone(),
                        why: format!(
                            "statement {} (`{}`): {}",
                            s.statement, s.pattern.text, b.why
                        ),
                        statement: s.statement,
                        kind: breadth_kind(b.kind),
                    });
                }
            }
            WireAdmits {
                issuer: a.issuer.clone(),
                provider_arn: a.provider_arn.clone(),
                everyone: a.everyone,
                subjects: a
                    .subjects
                    .iter()
                    .map(|s| WireSubject {
                        statement: s.statement,
                        operator: s.operator.clone(),
                        pattern: s.pattern.text.clone(),
                        description: s.description.clone(),
                        projects: s.projects.clone(),
                        ref_types: s.ref_types.clone(),
                        refs: s.refs.clone(),
                        guards: s.guards.clone(),
                        issuer: s.issuer.clone(),
                        matches_nothing: s.never_matches,
                    })
                    .collect(),
                excluded: a.exclusions.iter().map(|e| e.pattern.clone()).collect(),
                exclusions: a
                    .exclusions
                    .iter()
                    .map(|e| WireExclusion {
                        statement: e.statement,
                        operator: e.operator.clone(),
                        pattern: e.pattern.clone(),
                        description: e.description.clone(),
                    })
                    .collect(),
                examples,
            }
        }
        None => WireAdmits {
            issuer: None,
            provider_arn: None,
            everyone: false,
            subjects: Vec::new(),
            excluded: Vec::new(),
            exclusions: Vec::new(),
            examples: Vec::new(),
        },
    };
    let out = WhoOutput {
        schema_version: 1,
        tool: Tool::current(),
        command: "who",
        findings: &report.findings,
        summary: Summary::of(&report.findings, 1),
        admits,
    };
    super::terminal::json(&out)
}
