//! `aud-mismatch`: a trust policy's `:aud` condition admits no client ID of the
//! OIDC provider it trusts.
//!
//! Reported by the cross-file checks of `lint` (see `src/lint/cross.rs`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "aud-mismatch",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a trust policy's <provider>:aud condition admits none of the provider's client IDs"#,
    aws_error: Some("InvalidIdentityToken: Incorrect token audience"),
    fix: r#"make the `:aud` condition value one of the provider's client IDs (or add the audience to `client_id_list`)"#,
    explanation: r#"STS first checks that the token's audience (`azp`, else `aud`) is one of the IAM OIDC provider's client IDs, and answers "Incorrect token audience" when it is not; only then does the trust policy's `<provider>:aud` condition run. When the policy admits only audiences the provider does not list, no token can pass both checks: the role cannot be assumed. Compared when the provider (`aws_iam_openid_connect_provider`, `AWS::IAM::OIDCProvider`) and the policy are in the same linted tree; the finding points at the condition and names the provider's client ID list."#,
    bad: r#"resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.com"
  client_id_list = ["https://gitlab.com"]
}
# in the trust policy:
"StringEquals": {"gitlab.com:aud": "sts.amazonaws.com"}"#,
    good: r#"resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.com"
  client_id_list = ["https://gitlab.com"]
}
# in the trust policy:
"StringEquals": {"gitlab.com:aud": "https://gitlab.com"}"#,
};
