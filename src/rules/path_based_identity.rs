//! `path-based-identity`: gitlab.com trust by project path only, without an ID pin.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};
use crate::policy::Effect;
use crate::subjects;

pub static META: RuleMeta = RuleMeta {
    name: "path-based-identity",
    category: Category::Security,
    severity: Severity::Info,
    summary: r#"gitlab.com trust by project path only, without a `project_id`/`namespace_id` pin"#,
    aws_error: None,
    fix: r#"add "StringEquals": {"gitlab.com:project_id": "<project ID>"} (or `namespace_id` for a group) beside the `sub` condition"#,
    explanation: r#"`project_path:mygroup/app` names a project by its path, and paths change hands: a project or group can be renamed, transferred or deleted, and whoever then creates a project at the freed path on gitlab.com gets a token with the same `sub`. IDs are never reused. For the gitlab.com provider AWS exposes `gitlab.com:project_id` and `gitlab.com:namespace_id` as condition keys, and both AWS and GitLab recommend pinning them next to `sub` (or using the `project_id` component in `sub` itself).

Self-managed instances do not get these keys, so the rule only looks at gitlab.com trust."#,
    bad: r#""StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}"#,
    good: r#""StringEquals": {
  "gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main",
  "gitlab.com:project_id": "4711"
}"#,
};

pub struct PathBasedIdentity;

impl super::Rule for PathBasedIdentity {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        let deny_pins = deny_pins(cx.policy);
        for gs in cx.gitlab_allows() {
            if !gs.gitlab_com() || deny_pins {
                continue;
            }
            let s = gs.statement;
            if !subjects::pinned_values(s, gs.prefix(), "project_id").is_empty()
                || !subjects::pinned_values(s, gs.prefix(), "namespace_id").is_empty()
            {
                continue;
            }
            let path_value = subjects::sub_conditions(s)
                .into_iter()
                .filter(|c| !c.negated())
                .flat_map(|c| {
                    c.condition
                        .values
                        .iter()
                        .map(move |v| (c.pattern(&v.value.text), v))
                })
                .find(|(p, _)| {
                    p.can_match()
                        && (p.part("project_path").is_some() || p.part("namespace_path").is_some())
                });
            let Some((p, v)) = path_value else {
                continue;
            };
            let path = p
                .part("project_path")
                .or_else(|| p.part("namespace_path"))
                .map(|x| x.value.clone())
                .unwrap_or_default();
            out.push(cx.finding(
                &META,
                format!(
                    "statement {} identifies projects by path only (`{path}`) and pins neither `gitlab.com:project_id` nor `gitlab.com:namespace_id`: if the path is renamed or freed, whoever creates a project there next gets the same `sub`",
                    s.index
                ),
                v.span,
                &v.pointer,
            ));
        }
    }
}

/// A Deny that removes every project but pinned IDs (`StringNotEquals
/// gitlab.com:project_id`/`namespace_id`, its only condition) pins the whole policy.
fn deny_pins(policy: &crate::policy::Policy) -> bool {
    use crate::iam::operator::Operator;
    policy
        .statements
        .iter()
        .filter(|s| s.effect() == Some(Effect::Deny) && subjects::covers_web_identity(s))
        .any(|s| {
            s.conditions.len() == 1
                && s.conditions.iter().all(|c| {
                    let claim = subjects::claim_of(&c.key.value);
                    Operator::parse(&c.operator.value).is_ok_and(|op| op.base.is_negated())
                        && (claim.eq_ignore_ascii_case("project_id")
                            || claim.eq_ignore_ascii_case("namespace_id"))
                })
        })
}
