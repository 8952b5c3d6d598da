//! `analysis-limit`: part of an input was not analysed because it reached a
//! named limit; the finding says which limit and what was still checked.
//!
//! Reported by the subject analysis (src/subjects) for documents far beyond
//! IAM's limits, and by the front ends where an expansion is capped.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "analysis-limit",
    category: Category::Hygiene,
    severity: Severity::Warning,
    summary: r#"part of the input was not fully analysed: it reached one of oidc-doctor's named limits"#,
    aws_error: None,
    fix: r#"shrink the input to what IAM accepts (a trust policy is at most 8,192 characters); the finding says which limit was hit and what was still checked"#,
    explanation: r#"Every input oidc-doctor reads may be hostile, so every size, expansion and search has a named limit, set above anything IAM accepts: a role trust policy is at most 8,192 characters (whitespace excluded), so a `sub` value longer than that (`MAX_ANALYSED_VALUE_CHARS`) cannot be deployed and is not searched for the subjects it admits, and the engine work spent on finding concrete over-broad subjects in one policy is capped (`MAX_PROBE_WORK`). Past a limit the work stops in bounded time and this finding says what was not analysed and what still was — it never silently passes the rest. A document that reaches these limits is also over IAM's size quota (`policy-too-large`)."#,
    bad: r#"{"Version": "2012-10-17", "Statement": [{…, "Condition": {"StringLike": {"gitlab.com:sub": ["project_path:mygroup/a1*", …100,000 values…]}}}]}"#,
    good: r#"{"Version": "2012-10-17", "Statement": [{…, "Condition": {"StringLike": {"gitlab.com:sub": "project_path:mygroup/*:ref_type:branch:ref:main"}}}]}"#,
};

/// Reports the limits the subject analysis reached.
pub struct AnalysisLimit;

impl super::Rule for AnalysisLimit {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        // The analysis is built only when a value could reach its limits: a
        // long value, or wildcard breadth to probe.
        let long = cx
            .policy
            .statements
            .iter()
            .flat_map(|s| &s.conditions)
            .flat_map(|c| &c.values)
            .any(|v| v.value.text.len() > crate::subjects::MAX_ANALYSED_VALUE_CHARS);
        if !long && !cx.has_sub_wildcards() {
            return;
        }
        for hit in &cx.analysis().limits {
            out.push(
                cx.finding(&META, hit.message.clone(), hit.span, &hit.pointer)
                    .help(format!(
                        "limit `{}`: no trust policy IAM accepts reaches it; shrink the document to what IAM accepts",
                        hit.limit
                    )),
            );
        }
    }
}
