//! `missing-sub-condition`: an Allow for a GitLab OIDC principal with no positive
//! restriction on `sub`.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};
use crate::subjects::{self, probe::Prober};

pub static META: RuleMeta = RuleMeta {
    name: "missing-sub-condition",
    category: Category::Security,
    severity: Severity::Error,
    summary: r#"an Allow for an OIDC principal with no positive restriction on `sub`"#,
    aws_error: None,
    fix: r#"add a `StringEquals` (or `StringLike`) condition on `<provider>:sub` naming your project and ref"#,
    explanation: r#"The `Federated` principal only says *which issuer* signed the token; the issuer is shared by every project on the instance — on gitlab.com, by everyone with an account. Without a positive condition on `<provider>:sub` (`StringEquals`, `StringLike`, `StringEqualsIgnoreCase`, with or without `ForAnyValue:`/`IfExists`), any pipeline of any project can assume the role. An `aud` condition does not help: the audience is chosen by the job that requests the token.

AWS itself refuses to create or update a role that trusts gitlab.com without a `gitlab.com:sub` condition (CreateRole/UpdateAssumeRolePolicy fail with MalformedPolicyDocument); roles created earlier keep working, wide open, until they are modified."#,
    bad: r#""Condition": {"StringEquals": {"gitlab.com:aud": "https://gitlab.com"}}"#,
    good: r#""Condition": {"StringEquals": {
  "gitlab.com:aud": "https://gitlab.com",
  "gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"
}}"#,
};

pub struct MissingSubCondition;

impl super::Rule for MissingSubCondition {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        let prober = Prober::new(cx.policy);
        for gs in cx.gitlab_allows() {
            // Any condition on a `…:sub` key shows the intent (an unknown operator or
            // a wrong key prefix is another rule's finding).
            if gs
                .statement
                .conditions
                .iter()
                .any(|c| subjects::claim_of(&c.key.value).eq_ignore_ascii_case("sub"))
            {
                continue;
            }
            let s = gs.statement;
            let host = gs.prefix().unwrap_or("the issuer");
            let key = gs
                .prefix()
                .map(|p| format!("{p}:sub"))
                .unwrap_or_else(|| "<provider>:sub".into());
            let who = if gs.gitlab_com() {
                "anyone with a gitlab.com account can assume the role from a project of their own"
                    .to_string()
            } else {
                format!("every project on {host} can assume the role")
            };
            let (span, pointer) = match (&s.condition, &s.principal) {
                (Some(c), _) => (c.span, c.pointer.clone()),
                (None, Some(p)) => (p.span, p.pointer.clone()),
                (None, None) => (s.span, s.pointer.clone()),
            };
            let mut f = cx
                .finding(
                    &META,
                    format!("statement {} trusts {host} but nothing restricts `{key}`: {who}", s.index),
                    span,
                    &pointer,
                )
                .help(format!(
                    "add \"StringEquals\": {{\"{key}\": \"project_path:<group>/<project>:ref_type:branch:ref:<branch>\"}}"
                ));
            if gs.gitlab_com() {
                f.aws_error = Some(format!(
                    "{} (since 2025 IAM refuses gitlab.com trust policies without a `gitlab.com:sub` condition)",
                    super::MALFORMED_POLICY
                ));
            }
            if let Some(example) = prober.anyone(gs) {
                f = f.example(example);
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subjects::tests::{allow, run_rule};

    #[test]
    fn any_sub_key_shows_intent() {
        let none = r#"{"StringEquals": {"gitlab.com:aud": "https://gitlab.com"}}"#;
        assert_eq!(run_rule(&MissingSubCondition, &allow(none)).len(), 1);
        for c in [
            r#"{"StrinkLike": {"gitlab.com:sub": "project_path:g/*"}}"#,
            r#"{"StringLike": {"https://gitlab.com:sub": "project_path:g/*"}}"#,
            r#"{"StringNotLike": {"gitlab.com:sub": "project_path:g/*"}}"#,
        ] {
            assert!(run_rule(&MissingSubCondition, &allow(c)).is_empty(), "{c}");
        }
    }
}
