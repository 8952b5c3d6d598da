//! `sub-wildcard-crosses-namespace`: a `sub` pattern that admits projects in
//! namespaces the owner does not control.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};
use crate::subjects::{BreadthKind, Restriction};

pub static META: RuleMeta = RuleMeta {
    name: "sub-wildcard-crosses-namespace",
    category: Category::Security,
    severity: Severity::Error,
    summary: r#"a `sub` pattern that admits projects in namespaces the owner does not control"#,
    aws_error: None,
    fix: r#"end the top-level group with `/` (`project_path:mygroup/…`), or pin `<provider>:project_id`/`namespace_id` with StringEquals"#,
    explanation: r#"In `StringLike`, `*` matches any characters — `/` and `:` included. A wildcard before or inside the top-level namespace therefore admits projects of other people: `project_path:mygroup*` admits `mygroup-evil/x`, a group anyone can register; `project_path:*`, `*:ref_type:branch:ref:main` and a bare `*` hidden in a list of values admit every project on the instance; `project_id:12*` admits every project whose ID starts with 12.

The owner's namespace is the top-level group the policy's own `sub` values name (or the configured scope). A `StringEquals` pin on `<provider>:project_id` or `namespace_id` in the same statement bounds the pattern (gitlab.com only), and a Deny that removes every other namespace does too: oidc-doctor reports a pattern only with a concrete subject that the whole policy admits, checked with its evaluation engine."#,
    bad: r#""StringLike": {"gitlab.com:sub": "project_path:mygroup*:ref_type:branch:ref:main"}"#,
    good: r#""StringLike": {"gitlab.com:sub": "project_path:mygroup/*:ref_type:branch:ref:main"}"#,
};

pub struct SubWildcardCrossesNamespace;

impl super::Rule for SubWildcardCrossesNamespace {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        let Some(analysis) = cx.wildcard_analysis() else {
            return;
        };
        for a in analysis
            .subjects
            .iter()
            .filter(|a| a.restriction == Restriction::Value)
        {
            let (Some(v), Some(b)) = (
                a.location.as_ref(),
                a.breadth
                    .iter()
                    .find(|b| b.kind == BreadthKind::OutsideNamespace),
            ) else {
                continue;
            };
            let help = match a.pattern.part("project_path").map(|p| p.value.as_str()) {
                Some(path) if !path.contains('/') && path.ends_with('*') && path.len() > 1 => {
                    let group = path.trim_end_matches('*');
                    format!(
                        "end the group with a slash: `project_path:{group}/*` admits only {group}'s projects; better still, pin `gitlab.com:project_id` with StringEquals"
                    )
                }
                _ => META.fix.to_string(),
            };
            out.push(
                cx.finding(
                    &META,
                    format!(
                        "statement {}: `{}` admits {}: {}",
                        a.statement,
                        a.pattern.text,
                        if b.example.starts_with("project_id:") {
                            "other people's projects".to_string()
                        } else if analysis.owner.groups.is_empty() {
                            "projects outside your namespace".to_string()
                        } else {
                            format!("projects outside {}", analysis.owner.describe())
                        },
                        b.why
                    ),
                    v.0,
                    &v.1,
                )
                .help(help)
                .example(b.example.clone()),
            );
        }
    }
}
