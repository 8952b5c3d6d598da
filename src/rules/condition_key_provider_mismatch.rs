//! `condition-key-provider-mismatch`: an OIDC condition key whose prefix is not the
//! statement's provider.
//!
//! Reported by the linter.

use super::RuleMeta;
use super::oidc_keys::{OidcKey, absent_consequence, is_builtin_provider, when_absent};
use crate::finding::{Category, Severity};
use crate::iam::operator::Operator;
use crate::policy::Statement;

pub static META: RuleMeta = RuleMeta {
    name: "condition-key-provider-mismatch",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"an OIDC condition key whose prefix is not the host/path of the statement's Federated provider"#,
    aws_error: Some(super::ACCESS_DENIED),
    fix: r#"prefix the key with the provider's URL without https://, path included (the part after oidc-provider/ in the ARN)"#,
    explanation: r#"STS names an OIDC token's condition keys after the provider that verified it: the provider URL without `https://`, path included — exactly the part after `oidc-provider/` in the `Federated` ARN (IAM User Guide, "Available keys for WIF"). A GitLab instance served under a relative URL root (`https://gitlab.example.com/gitlab`) has keys `gitlab.example.com/gitlab:sub`, not `gitlab.example.com:sub`; a policy copied from a GitLab.com example still says `gitlab.com:sub` after the principal was changed to a self-managed instance. A key under another prefix is never in the request: a positive operator on it never matches (AccessDenied for every job), a negated or `…IfExists` one always matches and restricts nothing. Key names are compared ignoring case, as IAM does."#,
    bad: r#""Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com/gitlab"},
"Condition": {"StringEquals": {"gitlab.example.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}}"#,
    good: r#""Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com/gitlab"},
"Condition": {"StringEquals": {"gitlab.example.com/gitlab:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}}"#,
};

/// Condition keys under a provider prefix no Federated principal of the statement has.
pub struct ConditionKeyProviderMismatch;

/// The key prefixes a statement's Federated principals give its requests, or
/// `None` when one of them is not a valid provider (then the intended prefix is
/// unknown; `invalid-federated-principal` reports it).
pub(super) fn statement_prefixes<'a>(
    cx: &'a super::PolicyContext<'_>,
    s: &Statement,
) -> Option<Vec<&'a str>> {
    let mut prefixes = Vec::new();
    for f in cx.federated.iter().filter(|f| f.statement == s.index) {
        match &f.arn {
            Ok(arn) => prefixes.push(arn.host_path.as_str()),
            Err(_) if is_builtin_provider(&f.value.value) => prefixes.push(f.value.value.as_str()),
            Err(_) => return None,
        }
    }
    Some(prefixes)
}

impl super::Rule for ConditionKeyProviderMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        let variables = cx.policy.variables_enabled();
        for s in &cx.policy.statements {
            let Some(prefixes) = statement_prefixes(cx, s) else {
                continue;
            };
            if prefixes.is_empty() {
                continue;
            }
            for c in &s.conditions {
                let Some(key) = OidcKey::parse(&c.key.value) else {
                    continue;
                };
                if prefixes.iter().any(|p| p.eq_ignore_ascii_case(key.prefix)) {
                    continue;
                }
                let trusted = prefixes
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(" and ");
                let consequence = match Operator::parse(&c.operator.value) {
                    Ok(op) => {
                        let values: Vec<String> =
                            c.values.iter().map(|v| v.value.text.clone()).collect();
                        let absent = when_absent(&op, &c.key.value, &values, variables);
                        Some(absent_consequence(&op, s, absent))
                    }
                    Err(_) => None,
                };
                let words = consequence
                    .as_ref()
                    .map(|(w, _)| format!("; {w}"))
                    .unwrap_or_default();
                let help = match prefixes.as_slice() {
                    [one] => format!("write `{one}:{}`", key.claim),
                    many => format!(
                        "use the prefix of a trusted provider: {}",
                        many.iter()
                            .map(|p| format!("`{p}:{}`", key.claim))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                };
                let mut f = cx
                    .finding(
                        &META,
                        format!(
                            "the condition key `{}` belongs to provider `{}`, but statement {} trusts {trusted}, so the key never exists in its requests{words}",
                            c.key.value, key.prefix, s.index
                        ),
                        c.key.span,
                        &c.key.pointer,
                    )
                    .help(help);
                f.aws_error = consequence.and_then(|(_, e)| e).map(str::to_string);
                out.push(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn findings(provider: &str, key: &str) -> Vec<String> {
        let text = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
            "Principal": {{"Federated": "{provider}"}},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {{"StringEquals": {{"{key}": "x"}}}}}}]}}"#
        );
        crate::rules::test_support::run(&super::ConditionKeyProviderMismatch, &text)
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    const SELF_MANAGED: &str = "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com/gitlab";

    #[test]
    fn prefixes_compare_ignoring_case() {
        assert!(findings(SELF_MANAGED, "GitLab.Example.com/GITLAB:sub").is_empty());
        assert!(findings(SELF_MANAGED, "gitlab.example.com/gitlab:SUB").is_empty());
    }

    #[test]
    fn a_missing_path_or_another_host_is_a_mismatch() {
        let f = findings(SELF_MANAGED, "gitlab.example.com:sub");
        assert_eq!(f.len(), 1);
        assert!(f[0].contains("`gitlab.example.com`"), "{}", f[0]);
        assert!(f[0].contains("never matches"), "{}", f[0]);
        let gitlab_com = "arn:aws:iam::123456789012:oidc-provider/gitlab.com";
        assert_eq!(findings(gitlab_com, "gitlab.example.com:sub").len(), 1);
    }

    #[test]
    fn service_keys_and_unknown_providers_are_left_alone() {
        let gitlab_com = "arn:aws:iam::123456789012:oidc-provider/gitlab.com";
        assert!(findings(gitlab_com, "aws:SourceIp").is_empty());
        assert!(findings(gitlab_com, "aws:RequestTag/team:x").is_empty());
        // Not an ARN: the intended prefix is unknown.
        assert!(findings("https://gitlab.example.com", "gitlab.com:sub").is_empty());
        // Built-in providers name their own keys.
        assert!(findings("accounts.google.com", "accounts.google.com:aud").is_empty());
        assert_eq!(findings("accounts.google.com", "gitlab.com:aud").len(), 1);
    }

    #[test]
    fn a_scheme_is_not_part_of_the_prefix() {
        let gitlab_com = "arn:aws:iam::123456789012:oidc-provider/gitlab.com";
        assert!(findings(gitlab_com, "https://gitlab.com:sub").is_empty());
        assert_eq!(
            findings(gitlab_com, "https://gitlab.example.com:sub").len(),
            1
        );
    }
}
