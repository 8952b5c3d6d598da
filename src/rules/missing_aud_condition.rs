//! `missing-aud-condition`: an Allow for an OIDC principal with no positive condition on `aud`.
//!
//! Reported by the linter.

use super::RuleMeta;
use super::oidc_keys::OidcKey;
use crate::finding::{Category, Severity};
use crate::iam::operator::{BaseOperator, Operator};
use crate::policy::Effect;

pub static META: RuleMeta = RuleMeta {
    name: "missing-aud-condition",
    category: Category::Security,
    severity: Severity::Warning,
    summary: r#"an Allow statement for an OIDC provider with no positive condition on <provider>:aud"#,
    aws_error: None,
    fix: r#"add "StringEquals": {"gitlab.com:aud": "<the aud your jobs request in id_tokens:>"}"#,
    explanation: r#"A GitLab job chooses its token's audience in `id_tokens: NAME: aud:`, and STS only checks that the audience is one of the IAM OIDC provider's client IDs. The provider is shared by every role in the account that trusts the GitLab instance, so without a `gitlab.com:aud` condition the role accepts any token minted for any of those audiences — including tokens a job requested for another system that happens to be registered as a client ID. AWS and GitLab both document trust policies with a `StringEquals` on `<provider>:aud` beside the `sub` restriction. A positive operator (`StringEquals`, `StringLike`, …) on `aud` — or on `oaud`, the token's original `aud` — counts; a negated operator or `Null` does not."#,
    bad: r#""Condition": {"StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}}"#,
    good: r#""Condition": {"StringEquals": {"gitlab.com:aud": "https://gitlab.com", "gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}}"#,
};

/// Allow statements trusting an OIDC provider without restricting the audience.
pub struct MissingAudCondition;

impl super::Rule for MissingAudCondition {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        for s in &cx.policy.statements {
            if s.effect() != Some(Effect::Allow) || !cx.is_oidc_statement(s) {
                continue;
            }
            let restricted = s.conditions.iter().any(|c| {
                let positive = Operator::parse(&c.operator.value)
                    .is_ok_and(|op| !op.base.is_negated() && op.base != BaseOperator::Null);
                positive
                    && OidcKey::parse(&c.key.value)
                        .is_some_and(|k| k.claim_is("aud") || k.claim_is("oaud"))
            });
            if restricted {
                continue;
            }
            // The key to add: under the statement's provider (an ARN's host/path,
            // or a built-in provider's name); its value is the audience the jobs
            // request, GitLab's own URL by convention.
            let (prefix, audience) = match cx.providers_of(s).next() {
                Some(p) => (p.host_path.clone(), p.issuer()),
                None => (
                    super::condition_key_provider_mismatch::statement_prefixes(cx, s)
                        .and_then(|ps| ps.first().map(|p| p.to_string()))
                        .unwrap_or_else(|| "<provider>".into()),
                    "<audience>".into(),
                ),
            };
            let (span, pointer) = match (&s.condition, &s.principal) {
                (Some(c), _) => (c.span, c.pointer.as_str()),
                (None, Some(p)) => (p.span, p.pointer.as_str()),
                (None, None) => (s.span, s.pointer.as_str()),
            };
            out.push(
                cx.finding(
                    &META,
                    format!(
                        "statement {} trusts an OIDC provider but does not restrict `{prefix}:aud`: any token the provider accepts, whatever audience it was requested for, passes",
                        s.index
                    ),
                    span,
                    pointer,
                )
                .help(format!(
                    "add \"StringEquals\": {{\"{prefix}:aud\": \"{audience}\"}} (the aud your jobs request in `id_tokens:`)"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{gitlab_policy, run};

    fn count(condition: &str) -> usize {
        run(
            &super::MissingAudCondition,
            &gitlab_policy("2012-10-17", condition),
        )
        .len()
    }

    #[test]
    fn only_a_positive_condition_on_aud_counts() {
        assert_eq!(
            count(r#"{"StringEquals": {"gitlab.com:aud": "https://gitlab.com"}}"#),
            0
        );
        assert_eq!(
            count(r#"{"StringLike": {"GITLAB.COM:Aud": "https://gitlab.*"}}"#),
            0
        );
        assert_eq!(
            count(r#"{"StringEquals": {"gitlab.com:oaud": "https://gitlab.com"}}"#),
            0
        );
        assert_eq!(
            count(r#"{"StringNotEquals": {"gitlab.com:aud": "other"}}"#),
            1
        );
        assert_eq!(count(r#"{"Null": {"gitlab.com:aud": "false"}}"#), 1);
        assert_eq!(count(r#"{"StringEquals": {"gitlab.com:sub": "x"}}"#), 1);
    }

    #[test]
    fn the_suggested_key_follows_the_provider() {
        let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com/gitlab"},
            "Action": "sts:AssumeRoleWithWebIdentity"}]}"#;
        let f = run(&super::MissingAudCondition, text);
        assert!(
            f[0].help.contains(
                r#"{"gitlab.example.com/gitlab:aud": "https://gitlab.example.com/gitlab"}"#
            ),
            "{}",
            f[0].help
        );
        let cognito = text.replace(
            "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com/gitlab",
            "cognito-identity.amazonaws.com",
        );
        let f = run(&super::MissingAudCondition, &cognito);
        assert!(
            f[0].help
                .contains(r#"{"cognito-identity.amazonaws.com:aud": "<audience>"}"#),
            "{}",
            f[0].help
        );
    }

    #[test]
    fn deny_statements_are_not_reported() {
        let text = gitlab_policy("2012-10-17", r#"{"StringEquals": {"gitlab.com:sub": "x"}}"#)
            .replace("\"Allow\"", "\"Deny\"");
        assert!(run(&super::MissingAudCondition, &text).is_empty());
    }
}
