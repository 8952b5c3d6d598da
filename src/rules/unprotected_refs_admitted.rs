//! `unprotected-refs-admitted`: gitlab.com branches admitted without a
//! `ref_protected` guard.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};
use crate::policy::Effect;
use crate::subjects::{self, grammar::Grammar};

pub static META: RuleMeta = RuleMeta {
    name: "unprotected-refs-admitted",
    category: Category::Security,
    severity: Severity::Info,
    summary: r#"gitlab.com branch pipelines admitted without requiring `gitlab.com:ref_protected` = "true""#,
    aws_error: None,
    fix: r#"add "StringEquals": {"gitlab.com:ref_protected": "true"} to the statement"#,
    explanation: r#"A `sub` that admits branch pipelines trusts whoever can push to those branches. Protected branches limit that to the people you chose (Maintainers, or a list); an unprotected branch can be pushed by any Developer, who can then change `.gitlab-ci.yml` and run a job that assumes the role. Whether `main` is protected is project configuration the trust policy cannot see — unless it requires the token's `ref_protected` claim, which AWS exposes as `gitlab.com:ref_protected` for gitlab.com. Requiring `"true"` makes the role follow your branch protection.

Self-managed instances do not get this key, so the rule only looks at gitlab.com trust."#,
    bad: r#""StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}"#,
    good: r#""StringEquals": {
  "gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main",
  "gitlab.com:ref_protected": "true"
}"#,
};

pub struct UnprotectedRefsAdmitted;

impl super::Rule for UnprotectedRefsAdmitted {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        let deny_guard = deny_guards(cx.policy, "ref_protected", &|v| {
            v.eq_ignore_ascii_case("false")
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
                        .find(|(p, _)| p.can_match_in(Grammar::branches()))
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
                    "statement {} admits branch pipelines (`{}`) without requiring `gitlab.com:ref_protected` = \"true\": a pipeline on an unprotected branch — which any Developer can push — can assume the role",
                    gs.statement.index, p.text
                ),
                v.span,
                &v.pointer,
            ));
        }
    }
}

/// The statement requires `ref_protected` to be true.
fn guarded(s: &crate::policy::Statement, prefix: Option<&str>) -> bool {
    use crate::iam::operator::{BaseOperator, Family, Operator};
    s.conditions.iter().any(|c| {
        let Some((p, claim)) = c.key.value.rsplit_once(':') else {
            return false;
        };
        if !claim.eq_ignore_ascii_case("ref_protected")
            || prefix.is_some_and(|prefix| !p.eq_ignore_ascii_case(prefix))
        {
            return false;
        }
        let Ok(op) = Operator::parse(&c.operator.value) else {
            return false;
        };
        let values: Vec<&str> = c.values.iter().map(|v| v.value.text.as_str()).collect();
        if !matches!(op.base.family(), Family::String | Family::Bool)
            || op.base == BaseOperator::Null
        {
            return false;
        }
        if op.base.is_negated() {
            values.iter().any(|v| v.eq_ignore_ascii_case("false"))
        } else {
            !values.is_empty() && values.iter().all(|v| v.eq_ignore_ascii_case("true"))
        }
    })
}

/// A Deny whose only condition removes pipelines whose `claim` has a value `bad`
/// accepts (or does not equal a good one) guards every Allow.
pub(super) fn deny_guards(
    policy: &crate::policy::Policy,
    claim: &str,
    bad: &dyn Fn(&str) -> bool,
) -> bool {
    use crate::iam::operator::Operator;
    policy
        .statements
        .iter()
        .filter(|s| s.effect() == Some(Effect::Deny) && subjects::covers_web_identity(s))
        .any(|s| {
            s.conditions.len() == 1
                && s.conditions.iter().all(|c| {
                    let Ok(op) = Operator::parse(&c.operator.value) else {
                        return false;
                    };
                    subjects::claim_of(&c.key.value).eq_ignore_ascii_case(claim)
                        && if op.base.is_negated() {
                            !c.values.iter().any(|v| bad(&v.value.text))
                        } else {
                            c.values.iter().any(|v| bad(&v.value.text))
                        }
                })
        })
}
