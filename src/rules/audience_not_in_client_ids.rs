//! `audience-not-in-client-ids`: the token's audience (`azp`, else `aud`) is not one of the provider's client IDs.
//!
//! Reported by `check`, with the provider read from IAM or given with `--provider-client-id`.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "audience-not-in-client-ids",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the token's audience (`azp`, else `aud`) is not one of the IAM OIDC provider's client IDs"#,
    aws_error: Some(super::INCORRECT_AUDIENCE),
    fix: r#"add the token's `aud` to the provider (aws iam add-client-id-to-open-id-connect-provider), or set the job's `id_tokens: … aud:` to a registered client ID"#,
    explanation: r#"The IAM OIDC provider lists the audiences (client IDs) it accepts. STS takes the token's audience from `azp` when the token has one, else from `aud`, and refuses a token whose audience is not in the list with `Incorrect token audience` — before it reads the trust policy. The audience of a GitLab ID token is whatever the job's `id_tokens:` entry sets under `aud:`; the provider is commonly created with `https://gitlab.com` or the instance URL, and a job that asks for `sts.amazonaws.com` (or the reverse) fails. Comparison is exact and case-sensitive."#,
    bad: r#"id_tokens: { GITLAB_OIDC_TOKEN: { aud: sts.amazonaws.com } }
provider client IDs: https://gitlab.com"#,
    good: r#"id_tokens: { GITLAB_OIDC_TOKEN: { aud: https://gitlab.com } }
provider client IDs: https://gitlab.com"#,
};
