//! `invalid-federated-principal`: a Federated principal that is not an IAM OIDC provider ARN.
//!
//! Reported by the linter.

use super::RuleMeta;
use super::oidc_keys::{is_builtin_provider, scheme_of, strip_scheme};
use crate::finding::{Category, Severity};
use crate::iam::provider::ProviderArn;

pub static META: RuleMeta = RuleMeta {
    name: "invalid-federated-principal",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a Federated principal that is not arn:<partition>:iam::<12 digits>:oidc-provider/<host[/path]>"#,
    aws_error: Some(super::ACCESS_DENIED),
    fix: r#"use the provider's ARN: arn:aws:iam::<account-id>:oidc-provider/<host[/path]>, without https://"#,
    explanation: r#"STS admits a GitLab job only through a statement whose `Federated` principal is the ARN of the IAM OIDC provider the token's issuer maps to: `arn:aws:iam::<account>:oidc-provider/<issuer without https://>`, path included (`…:oidc-provider/gitlab.example.com/gitlab` for an instance under `/gitlab`). Common mistakes are the issuer URL instead of the ARN (`https://gitlab.com`), `https://` inside the ARN (`…:oidc-provider/https://gitlab.com`), a bare host, an account ID that is not 12 digits, or a `saml-provider/…` ARN (SAML federation uses `sts:AssumeRoleWithSAML`, not web identity). Such a principal never matches the provider STS resolves from the token, so every `AssumeRoleWithWebIdentity` is denied (or IAM rejects the policy as an invalid principal when the role is saved). AWS's built-in web identity providers (`cognito-identity.amazonaws.com`, `accounts.google.com`, `graph.facebook.com`, `www.amazon.com`) are valid `Federated` values and are not reported."#,
    bad: r#""Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/https://gitlab.com"}"#,
    good: r#""Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"}"#,
};

/// Federated values that are neither OIDC provider ARNs nor built-in providers.
pub struct InvalidFederatedPrincipal;

impl super::Rule for InvalidFederatedPrincipal {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        // The provider must live in the role's account: another valid provider
        // ARN in the same policy tells which account (and partition) that is.
        let hint = cx.federated.iter().find_map(|f| f.arn.as_ref().ok());
        for f in &cx.federated {
            let Err(why) = &f.arn else {
                continue;
            };
            if is_builtin_provider(&f.value.value) {
                continue;
            }
            let mut finding = cx.finding(
                &META,
                format!("the Federated principal is not an IAM OIDC provider ARN: {why}"),
                f.value.span,
                &f.value.pointer,
            );
            if let Some(help) = help(&f.value.value, hint) {
                finding = finding.help(help);
            }
            out.push(finding);
        }
    }
}

const ACCOUNT_PLACEHOLDER: &str = "<account-id>";

/// Help naming the corrected ARN when it can be derived from what was written.
fn help(value: &str, hint: Option<&ProviderArn>) -> Option<String> {
    if value.starts_with("arn:") && value.contains(":saml-provider/") {
        return Some("a SAML provider serves sts:AssumeRoleWithSAML; for GitLab CI create an IAM OIDC provider for your GitLab URL and trust its ARN, arn:aws:iam::<account-id>:oidc-provider/<host>".into());
    }
    let arn = corrected_arn(value, hint)?;
    if ProviderArn::parse(&arn).is_err() && !arn.contains(ACCOUNT_PLACEHOLDER) {
        return None;
    }
    let placeholder = if arn.contains(ACCOUNT_PLACEHOLDER) {
        " (with your 12-digit AWS account ID)"
    } else {
        ""
    };
    Some(format!("write `{arn}`{placeholder}"))
}

/// The ARN the author most likely meant, or `None` when it cannot be told.
fn corrected_arn(value: &str, hint: Option<&ProviderArn>) -> Option<String> {
    let partition = hint.map_or("aws", |h| h.partition.as_str());
    let hint_account = hint.map_or(ACCOUNT_PLACEHOLDER, |h| h.account.as_str());
    let build = |partition: &str, account: &str, host: &str| {
        let host = clean_host(host)?;
        Some(format!(
            "arn:{partition}:iam::{account}:oidc-provider/{host}"
        ))
    };
    if scheme_of(value).is_some() {
        // An issuer URL instead of the ARN.
        return build(partition, hint_account, strip_scheme(value));
    }
    if let Some(at) = value.find("oidc-provider/") {
        let host = &value[at + "oidc-provider/".len()..];
        let parts: Vec<&str> = value[..at].split(':').collect();
        let written_partition = parts
            .get(1)
            .copied()
            .filter(|p| p.starts_with("aws") && !p.is_empty());
        let account = parts
            .iter()
            .copied()
            .find(|p| p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or(hint_account);
        return build(written_partition.unwrap_or(partition), account, host);
    }
    if !value.contains(':') && value.contains('.') {
        // A bare host (with an optional path).
        return build(partition, hint_account, value);
    }
    None
}

/// `gitlab.com/` → `gitlab.com`; `None` when what is left is not a host with an
/// optional path (spaces, a port, a query, nothing at all).
fn clean_host(host: &str) -> Option<&str> {
    let host = strip_scheme(host).trim_end_matches('/');
    let (name, _) = host.split_once('/').unwrap_or((host, ""));
    let ok = !name.is_empty()
        && name.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~/".contains(c));
    ok.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(value: &str) -> Option<String> {
        corrected_arn(value, None)
    }

    #[test]
    fn derives_the_arn_the_author_meant() {
        for (bad, want) in [
            (
                "arn:aws:iam::123456789012:oidc-provider/https://gitlab.com",
                "arn:aws:iam::123456789012:oidc-provider/gitlab.com",
            ),
            (
                "https://gitlab.com",
                "arn:aws:iam::<account-id>:oidc-provider/gitlab.com",
            ),
            (
                "https://gitlab.example.com/gitlab/",
                "arn:aws:iam::<account-id>:oidc-provider/gitlab.example.com/gitlab",
            ),
            (
                "gitlab.com",
                "arn:aws:iam::<account-id>:oidc-provider/gitlab.com",
            ),
            (
                "arn:aws:iam::123456789012:oidc-provider/gitlab.com/",
                "arn:aws:iam::123456789012:oidc-provider/gitlab.com",
            ),
            (
                "arn:aws:iam::1234:oidc-provider/gitlab.com",
                "arn:aws:iam::<account-id>:oidc-provider/gitlab.com",
            ),
            (
                "arn:aws:sts::123456789012:oidc-provider/gitlab.com",
                "arn:aws:iam::123456789012:oidc-provider/gitlab.com",
            ),
            (
                "arn:aws-cn:iam:123456789012:oidc-provider/gitlab.com",
                "arn:aws-cn:iam::123456789012:oidc-provider/gitlab.com",
            ),
        ] {
            assert_eq!(fix(bad).as_deref(), Some(want), "{bad}");
        }
        for hopeless in ["*", "arn:aws:iam::123456789012:root", "https://", "gitlab"] {
            assert_eq!(fix(hopeless), None, "{hopeless}");
        }
    }

    #[test]
    fn takes_account_and_partition_from_another_provider() {
        let hint = ProviderArn::parse("arn:aws-us-gov:iam::210987654321:oidc-provider/gitlab.com")
            .unwrap();
        assert_eq!(
            corrected_arn("https://gitlab.example.com", Some(&hint)).as_deref(),
            Some("arn:aws-us-gov:iam::210987654321:oidc-provider/gitlab.example.com")
        );
    }

    #[test]
    fn saml_providers_get_advice_not_an_arn() {
        let h = help("arn:aws:iam::123456789012:saml-provider/Okta", None).unwrap();
        assert!(h.contains("AssumeRoleWithSAML"), "{h}");
    }

    #[test]
    fn builtin_web_identity_providers_are_valid() {
        for builtin in [
            "cognito-identity.amazonaws.com",
            "accounts.google.com",
            "graph.facebook.com",
            "www.amazon.com",
        ] {
            let text = format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
                "Principal": {{"Federated": "{builtin}"}},
                "Action": "sts:AssumeRoleWithWebIdentity"}}]}}"#
            );
            let f = crate::rules::test_support::run(&InvalidFederatedPrincipal, &text);
            assert!(f.is_empty(), "{builtin}: {f:?}");
        }
    }
}
