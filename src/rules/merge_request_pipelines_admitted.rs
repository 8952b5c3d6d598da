//! `merge-request-pipelines-admitted`: gitlab.com branch wildcards admitted without a
//! `pipeline_source` guard.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};
use crate::iam::operator::{Comparison, Operator};
use crate::iam::wildcard::Pattern;
use crate::subjects::{self, grammar::Grammar};

pub static META: RuleMeta = RuleMeta {
    name: "merge-request-pipelines-admitted",
    category: Category::Security,
    severity: Severity::Info,
    summary: r#"gitlab.com: any branch admitted and merge-request pipelines not excluded with `gitlab.com:pipeline_source`"#,
    aws_error: None,
    fix: r#"add "StringNotEquals": {"gitlab.com:pipeline_source": "merge_request_event"} (or narrow the ref)"#,
    explanation: r#"A merge-request pipeline carries the merge request's *source* project and branch in `sub`; nothing in `sub` says it is a merge-request pipeline. A pattern that admits any branch (`ref:*`, a group wildcard that spans the ref, a sub form without a `ref` component) therefore admits a pipeline for a merge request from any branch, running the branch's own `.gitlab-ci.yml` before anyone has reviewed it. gitlab.com exposes the token's `pipeline_source` as `gitlab.com:pipeline_source`; excluding `merge_request_event` (or allowing only `push`, `web`, `schedule`) keeps review in front of the role.

Self-managed instances do not get this key, so the rule only looks at gitlab.com trust."#,
    bad: r#""StringLike": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:*"}"#,
    good: r#""StringLike": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:*"},
"StringNotEquals": {"gitlab.com:pipeline_source": "merge_request_event"}"#,
};

const MR_EVENT: &str = "merge_request_event";

pub struct MergeRequestPipelinesAdmitted;

impl super::Rule for MergeRequestPipelinesAdmitted {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        let deny_guard =
            super::unprotected_refs_admitted::deny_guards(cx.policy, "pipeline_source", &|v| {
                Pattern::glob(v).matches(MR_EVENT)
            });
        for gs in cx.gitlab_allows() {
            if !gs.gitlab_com() || deny_guard || guarded(gs.statement, gs.prefix()) {
                continue;
            }
            // Conditions on `sub` are ANDed: each must admit such a subject.
            let positive: Vec<_> = subjects::sub_conditions(gs.statement)
                .into_iter()
                .filter(|c| !c.negated())
                .collect();
            let hits: Vec<_> = positive
                .iter()
                .map(|c| {
                    c.condition
                        .values
                        .iter()
                        .map(|v| (c.pattern(&v.value.text), v))
                        .find(|(p, _)| !fixes_ref(p) && p.can_match_in(Grammar::branches()))
                })
                .collect();
            let Some(Some((p, v))) = hits.first().cloned() else {
                continue;
            };
            if hits.iter().any(Option::is_none) {
                continue;
            }
            out.push(cx.finding(
                &META,
                format!(
                    "statement {} admits any branch (`{}`) and does not exclude merge-request pipelines: a merge request from any branch runs that branch's CI configuration, before review, with a `sub` this pattern admits",
                    gs.statement.index, p.text
                ),
                v.span,
                &v.pointer,
            ));
        }
    }
}

/// Whether the pattern fixes the ref to one literal name.
fn fixes_ref(p: &subjects::SubPattern) -> bool {
    let literal = |v: &str| !(p.like && (v.contains('*') || v.contains('?')));
    match &p.parts {
        Some(_) => p.part("ref").is_some_and(|r| literal(&r.value)),
        None => p
            .text
            .rsplit_once(":ref:")
            .is_some_and(|(_, r)| literal(r) && !r.contains(':')),
    }
}

/// The statement keeps merge-request pipelines out.
fn guarded(s: &crate::policy::Statement, prefix: Option<&str>) -> bool {
    s.conditions.iter().any(|c| {
        let Some((p, claim)) = c.key.value.rsplit_once(':') else {
            return false;
        };
        if !claim.eq_ignore_ascii_case("pipeline_source")
            || prefix.is_some_and(|prefix| !p.eq_ignore_ascii_case(prefix))
        {
            return false;
        }
        let Ok(op) = Operator::parse(&c.operator.value) else {
            return false;
        };
        let hit = |v: &str| match op.base.comparison() {
            Comparison::Like => Pattern::glob(v).matches(MR_EVENT),
            Comparison::EqualsIgnoreCase => v.eq_ignore_ascii_case(MR_EVENT),
            _ => v == MR_EVENT,
        };
        let any_hit = c.values.iter().any(|v| hit(&v.value.text));
        if op.base.is_negated() {
            any_hit
        } else {
            !any_hit && !c.values.is_empty()
        }
    })
}
