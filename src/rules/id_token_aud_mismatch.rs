//! `id-token-aud-mismatch`: a `.gitlab-ci.yml` `id_tokens:` audience that the
//! tree's OIDC provider or trust policy does not accept.
//!
//! Reported by the cross-file checks of `lint` (see `src/lint/cross.rs`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "id-token-aud-mismatch",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a CI job's id_tokens aud is not a client ID of the OIDC provider (or not admitted by the trust policy's :aud condition)"#,
    aws_error: Some("InvalidIdentityToken: Incorrect token audience"),
    fix: r#"use one audience everywhere: the `id_tokens:` `aud`, the provider's client ID list and the trust policy's `:aud` condition"#,
    explanation: r#"A GitLab job chooses its token's audience in `id_tokens: NAME: aud:`. STS accepts the token only when that audience is one of the IAM OIDC provider's client IDs ("Incorrect token audience" otherwise), and the trust policy's `<provider>:aud` condition must admit it too (AccessDenied otherwise). The three places usually live in different files and drift apart when one is renamed. When the linted tree declares providers, the audience is compared with their client IDs; otherwise with the trust policies' `:aud` conditions. Both places are reported. (When the tree has no provider, the AWS error is AccessDenied rather than "Incorrect token audience".)"#,
    bad: r#"# .gitlab-ci.yml
deploy:
  id_tokens:
    AWS_TOKEN:
      aud: https://gitlab.example.com
# main.tf
resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.com"
  client_id_list = ["https://gitlab.com"]
}"#,
    good: r#"# .gitlab-ci.yml
deploy:
  id_tokens:
    AWS_TOKEN:
      aud: https://gitlab.com
# main.tf
resource "aws_iam_openid_connect_provider" "gitlab" {
  url            = "https://gitlab.com"
  client_id_list = ["https://gitlab.com"]
}"#,
};
