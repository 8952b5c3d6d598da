//! `provider-not-found`: no IAM OIDC provider in the role's account has the token's `iss` as its URL.
//!
//! Reported by `check --role-arn`, which lists the account's providers.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "provider-not-found",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"no IAM OIDC provider in the role's account has the token's `iss` as its URL"#,
    aws_error: Some(super::PROVIDER_NOT_FOUND),
    fix: r#"create the provider with the issuer URL exactly as the token's `iss` (aws iam create-open-id-connect-provider --url <iss> --client-id-list <aud>) in the role's account"#,
    explanation: r#"STS looks the token's `iss` up among the IAM OIDC providers of the account that owns the role, character for character: `https://gitlab.example.com` and `https://gitlab.example.com/` are different providers, so are `https://gitlab.example.com` and `https://gitlab.example.com/gitlab` (a GitLab installed under a relative path issues tokens with the path), and a provider created in another account (the tooling account, a sandbox) does not count. When none matches, STS refuses the token before it reads the trust policy. `check` names the near misses it finds: a trailing slash, a case difference, another path on the same host."#,
    bad: r#"token iss: https://gitlab.example.com
IAM providers: gitlab.example.com/   (created with a trailing slash)"#,
    good: r#"token iss: https://gitlab.example.com
IAM providers: gitlab.example.com"#,
};
