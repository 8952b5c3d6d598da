//! `provider-url-invalid`: an IaC OIDC provider URL IAM refuses or no token matches.
//!
//! Reported by the cross-file checks of `lint` (see `src/lint/cross.rs`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "provider-url-invalid",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"an OIDC provider URL without https://, with a port, a query or a trailing slash"#,
    aws_error: Some(
        "InvalidIdentityToken: No OpenIDConnect provider found in your account for https://gitlab.com",
    ),
    fix: r#"write the issuer exactly as the token's `iss`: `https://`, the host (and path), no port, no trailing slash"#,
    explanation: r#"IAM looks the provider up by the token's `iss`, compared exactly with the provider URL. GitLab's `iss` is `https://<host>` with no trailing slash, so a provider declared as `https://gitlab.com/` is never found. IAM also requires the URL to start with `https://` and refuses a port, a query or a fragment, so such a provider cannot even be created. Checked on `aws_iam_openid_connect_provider` and `AWS::IAM::OIDCProvider` declarations."#,
    bad: r#"resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.com/"
  client_id_list = ["https://gitlab.com"]
}"#,
    good: r#"resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.com"
  client_id_list = ["https://gitlab.com"]
}"#,
};
