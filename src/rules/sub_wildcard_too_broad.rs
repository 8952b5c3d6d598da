//! `sub-wildcard-too-broad`: a `sub` pattern broader than one project and ref inside
//! the owner's namespace.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};
use crate::subjects::{BreadthKind, Restriction};

pub static META: RuleMeta = RuleMeta {
    name: "sub-wildcard-too-broad",
    category: Category::Security,
    severity: Severity::Warning,
    summary: r#"a `sub` pattern that admits a whole group, a project prefix, any ref type or any ref"#,
    aws_error: None,
    fix: r#"name the project and ref exactly, or list several exact subjects instead of a wildcard"#,
    explanation: r#"A `StringLike` pattern on `sub` that stays inside your own namespace can still admit far more than the pipeline you meant: `project_path:mygroup/*` is every project in `mygroup` and all its subgroups (a sandbox, a fork target, a project created next year); `project_path:mygroup/app*` is every project whose name starts with `app`; `ref_type:*` lets tags in where branches were meant; `ref:*` is any branch a Developer can push — including a merge request's source branch, before review.

Each finding names a concrete subject the policy admits that you probably did not intend, checked with oidc-doctor's evaluation engine (Deny statements and the statement's other conditions included). Wildcards that reach outside your namespace are `sub-wildcard-crosses-namespace` instead."#,
    bad: r#""StringLike": {"gitlab.com:sub": "project_path:mygroup/*:ref_type:*:ref:*"}"#,
    good: r#""StringEquals": {"gitlab.com:sub": [
  "project_path:mygroup/app:ref_type:branch:ref:main",
  "project_path:mygroup/app:ref_type:tag:ref:v1.0.0"
]}"#,
};

pub struct SubWildcardTooBroad;

impl super::Rule for SubWildcardTooBroad {
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
            let Some(v) = a.location.as_ref() else {
                continue;
            };
            if a.breadth
                .iter()
                .any(|b| b.kind == BreadthKind::OutsideNamespace)
            {
                continue; // reported as crossing the namespace
            }
            let items: Vec<_> = a
                .breadth
                .iter()
                .filter(|b| {
                    matches!(
                        b.kind,
                        BreadthKind::OtherProject | BreadthKind::AnyRefType | BreadthKind::AnyRef
                    )
                })
                .collect();
            let Some(first) = items.first() else {
                continue;
            };
            let branches_only = a.ref_types == ["branch"];
            let aspects: Vec<String> = items
                .iter()
                .map(|b| match b.kind {
                    BreadthKind::OtherProject if a.namespace_pin => {
                        format!("{} (within the pinned namespace)", a.projects)
                    }
                    BreadthKind::OtherProject => a.projects.clone(),
                    BreadthKind::AnyRefType => "tags as well as branches".to_string(),
                    _ if branches_only => "any branch".to_string(),
                    _ => "any ref".to_string(),
                })
                .collect();
            out.push(
                cx.finding(
                    &META,
                    format!(
                        "statement {}: `{}` is broader than one project and ref: it admits {}",
                        a.statement,
                        a.pattern.text,
                        join_and(&aspects),
                    ),
                    v.0,
                    &v.1,
                )
                .example(first.example.clone()),
            );
        }
    }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}
