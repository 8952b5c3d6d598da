//! `negated-operator-only`: only `StringNot*` conditions restrict `sub`.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};
use crate::subjects::{self, probe::Prober};

pub static META: RuleMeta = RuleMeta {
    name: "negated-operator-only",
    category: Category::Security,
    severity: Severity::Error,
    summary: r#"only `StringNot*` conditions restrict `sub`"#,
    aws_error: None,
    fix: r#"say who is admitted with `StringEquals`/`StringLike` on `sub`; keep `StringNot*` only to carve exceptions out of that"#,
    explanation: r#"`StringNotEquals`/`StringNotLike` on `<provider>:sub` list who is *not* admitted. When no positive condition on `sub` sits beside them, every other subject is admitted: on gitlab.com, every project of every user except the ones listed. A deny-list of subjects cannot be complete — anyone can create a new project.

Negated operators are also true when the key is absent, so they never make a statement stricter about tokens that lack the claim."#,
    bad: r#""Condition": {"StringNotLike": {"gitlab.com:sub": "project_path:mygroup/sandbox:*"}}"#,
    good: r#""Condition": {
  "StringLike": {"gitlab.com:sub": "project_path:mygroup/*:ref_type:branch:ref:main"},
  "StringNotLike": {"gitlab.com:sub": "project_path:mygroup/sandbox:*"}
}"#,
};

pub struct NegatedOperatorOnly;

impl super::Rule for NegatedOperatorOnly {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        let prober = Prober::new(cx.policy);
        for gs in cx.gitlab_allows() {
            let conds = subjects::sub_conditions(gs.statement);
            if conds.is_empty() || conds.iter().any(|c| !c.negated()) {
                continue;
            }
            let first = conds[0].condition;
            let ops: Vec<&str> = conds
                .iter()
                .map(|c| c.condition.operator.value.as_str())
                .collect();
            let host = gs.prefix().unwrap_or("the instance");
            let mut f = cx.finding(
                &META,
                format!(
                    "statement {} restricts `{}` only with {}: every other subject is admitted — every project on {host} that is not listed",
                    gs.statement.index,
                    first.key.value,
                    ops.join(" and ")
                ),
                first.operator.span,
                &first.operator.pointer,
            );
            if let Some(example) = prober.anyone(gs) {
                f = f.example(example);
            }
            out.push(f);
        }
    }
}
