//! `analysis-limit`: part of an input was not checked because a named limit on
//! the work spent on it was reached (a value that grows past its cap when
//! evaluated, YAML aliases expanding past the node budget, an `include:` graph
//! deeper or wider than GitLab allows, …).
//!
//! Reported by the front ends that expand their input: Terraform evaluation
//! (`src/policy/from_terraform`), CloudFormation intrinsics
//! (`src/policy/from_cloudformation.rs`), YAML aliases (`src/yaml.rs`) and the
//! `.gitlab-ci.yml` include graph (`src/gitlab/ci.rs`), and by the subject
//! analysis (`src/subjects`) for policies far beyond IAM's size limits
//! ([`AnalysisLimit`] below). One finding per file (per policy for the subject
//! analysis' limits): the limit reached, what was left unchecked, and that the
//! rest was still checked.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "analysis-limit",
    category: Category::Correctness,
    severity: Severity::Warning,
    summary: r#"part of a file was not checked: evaluating or expanding it reached one of oidc-doctor's named limits"#,
    aws_error: None,
    fix: r#"simplify the expression the finding points at (no value can be that large in a deployable trust policy), or check the rendered policy instead (`terraform show -json`, `aws cloudformation get-template --template-stage Processed`)"#,
    explanation: r#"oidc-doctor evaluates what it can of Terraform expressions, CloudFormation intrinsics, YAML aliases and `include:` graphs, but every expansion is capped so that a hostile or generated file cannot make it run for minutes or exhaust memory: a few lines of chained `replace()` or `!Sub` over a large parameter default, or YAML anchors that refer to anchors ("billion laughs"), grow exponentially. The caps sit far above anything a deployable trust policy needs — IAM accepts at most 8,192 characters for one (2,048 by default) — and each is a named limit: the finding says which one was reached and where.

The subject analysis has two limits of its own, for documents far beyond IAM's: a `sub` value longer than the 8,192 characters of IAM's largest trust policy (`MAX_ANALYSED_VALUE_CHARS`) is not searched for the subjects it admits, and the engine work spent on finding concrete over-broad subjects in one policy is capped (`MAX_PROBE_WORK`); the finding names the first value left out and what was still checked for it.

Past a cap the value is **unknown**, never truncated: no rule reports on it (a truncated subject pattern could look broader or narrower than the real one), and `simulate` says `indeterminate` when the decision depends on it. Everything else in the file is still checked. A warning, not an error, because the file itself may be valid; raise it to `error` in `.oidc-doctor.toml` (`[rules] analysis-limit = "error"`) if a pipeline must not pass with unchecked trust policies."#,
    bad: r#"locals {
  a = "xxxxxxxxxxxxxxxx"
  b = replace(local.a, "x", local.a)   # 256 characters
  c = replace(local.b, "x", local.b)   # 65,536
  d = replace(local.c, "x", local.c)   # 4 GiB
}
# … values = ["project_path:${local.d}:*"]"#,
    good: r#"locals {
  project = "mygroup/app"
}
# … values = ["project_path:${local.project}:ref_type:branch:ref:main"]"#,
};

/// Why an expansion stopped short: a named limit was reached, or a reference
/// cycle was found. The value it concerns is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The limit's name (`MAX_VALUE_BYTES`), or [`CYCLE`].
    pub limit: &'static str,
    /// What was being evaluated and what the limit allows, one sentence without
    /// a final period.
    pub detail: String,
    /// A budget for the whole file ran out: every later evaluation is unknown too.
    pub exhausted: bool,
}

/// [`Hit::limit`] of a reference cycle (not a limit: the input refers to itself).
pub const CYCLE: &str = "reference cycle";

/// The message of an `analysis-limit` finding: which limit (its constant's name),
/// what reached it, and what was left unchecked; the rest was checked.
pub fn message(limit: &str, detail: &str, unchecked: &str) -> String {
    format!("{detail} (limit `{limit}`); {unchecked}; everything else in the file was checked")
}

/// Reports the limits the subject analysis reached (policies far beyond IAM's
/// size limits).
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

/// The `analysis-limit` finding of a YAML document that reached the alias or
/// size limits (`crate::yaml`) and so was not read at all: `what` names the
/// document ("the template"), `offset` is where the limit was reached.
pub fn yaml_not_read(
    path: &str,
    source: &crate::json::SourceText,
    offset: usize,
    what: &str,
    detail: &str,
    help: &str,
) -> crate::finding::Finding {
    let len = source.text().len();
    let start = offset.min(len);
    let end = (start + 1).min(len);
    crate::finding::Finding::new(&META, format!("{what} was not checked: {detail}"))
        .help(help.to_string())
        .at(crate::finding::Location::from_span(
            path,
            source,
            crate::json::Span::new(start, end),
            None,
        ))
}

/// `1048576` → `1,048,576`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1_048_576), "1,048,576");
    }
}
