//! The JSON wire format, schema version 1 (SPEC §3, `docs/output-schema.json`).
//!
//! These structs are the contract: internal types may change, these may only grow.

use serde::Serialize;

use crate::finding::{Finding, Summary};
use crate::iam::evaluate::{Decision, StatementTrace};
use crate::simulate::{Check, SimulateReport};

#[derive(Debug, Serialize)]
pub struct Output<'a> {
    pub schema_version: u32,
    pub tool: Tool,
    pub command: &'static str,
    pub findings: &'a [Finding],
    pub summary: Summary,
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

pub fn lint(findings: &[Finding], files: usize) -> String {
    let out = Output {
        schema_version: 1,
        tool: Tool::current(),
        command: "lint",
        findings,
        summary: Summary::of(findings, files),
        verdict: None,
        trace: None,
        checks: None,
    };
    serde_json::to_string_pretty(&out).unwrap_or_default()
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
    serde_json::to_string_pretty(&out).unwrap_or_default()
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
    serde_json::to_string_pretty(&out).unwrap_or_default()
}
