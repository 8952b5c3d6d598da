//! `unsupported-condition-key`: a claim AWS does not expose as a condition key for
//! the statement's provider.
//!
//! Reported by the linter.

use super::RuleMeta;
use super::oidc_keys::{OidcKey, absent_consequence, when_absent};
use crate::finding::{Category, Severity};
use crate::iam::context::{GITLAB_COM_ONLY_KEYS, OIDC_KEYS};
use crate::iam::operator::Operator;
use crate::iam::provider::ProviderArn;

pub static META: RuleMeta = RuleMeta {
    name: "unsupported-condition-key",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a token claim AWS does not expose as a condition key for this provider (gitlab.com:ref, gitlab.com:project_path, :project_id on a self-managed instance)"#,
    aws_error: Some(super::ACCESS_DENIED),
    fix: r#"restrict through <provider>:sub (project_path:<group>/<project>:ref_type:branch:ref:<name>) instead"#,
    explanation: r#"A GitLab ID token carries many claims (`ref`, `ref_type`, `project_path`, `namespace_path`, `environment`, …), but STS turns only a few of them into condition keys (IAM User Guide, "Available keys for WIF"): for every OIDC provider `aud`, `sub`, `amr`, `oaud` and `email`; for the GitLab.com SaaS issuer additionally `namespace_id`, `project_id`, `user_id`, `user_login`, `user_email`, `user_access_level`, `ref_protected`, `pipeline_source` and `runner_environment` — and those only for GitLab.com, not for self-managed or Dedicated instances. A condition on any other claim tests a key that is never in the request: a positive operator (`StringEquals`, `StringLike`) never matches, so every job gets AccessDenied; a negated or `…IfExists` operator always matches, so the restriction the author wrote silently does nothing. Project, ref type and ref are matched through `sub` (`project_path:mygroup/app:ref_type:branch:ref:main`); on a self-managed instance the project is pinned by its path in `sub`, or by `project_id` when the project's `sub` claim includes that component."#,
    bad: r#""StringEquals": {"gitlab.com:project_path": "mygroup/app", "gitlab.com:ref": "main"}"#,
    good: r#""StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}"#,
};

/// Keys under a trusted provider's prefix naming claims STS does not expose.
pub struct UnsupportedConditionKey;

impl super::Rule for UnsupportedConditionKey {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        let variables = cx.policy.variables_enabled();
        for s in &cx.policy.statements {
            for c in &s.conditions {
                let Some(key) = OidcKey::parse(&c.key.value) else {
                    continue;
                };
                let Some(provider) = cx
                    .providers_of(s)
                    .find(|p| p.host_path.eq_ignore_ascii_case(key.prefix))
                else {
                    continue;
                };
                if supported(provider).any(|k| key.claim_is(k)) {
                    continue;
                }
                let values: Vec<String> = c.values.iter().map(|v| v.value.text.clone()).collect();
                let consequence = Operator::parse(&c.operator.value).ok().map(|op| {
                    let absent = when_absent(&op, &c.key.value, &values, variables);
                    absent_consequence(&op, s, absent)
                });
                let words = consequence
                    .as_ref()
                    .map(|(w, _)| format!("; {w}"))
                    .unwrap_or_default();
                let claim = key.claim.to_ascii_lowercase();
                let why = if !provider.is_gitlab_com()
                    && GITLAB_COM_ONLY_KEYS.contains(&claim.as_str())
                {
                    format!(
                        "only the GitLab.com issuer gets `{}` as a condition key, and this statement trusts the self-managed provider `{}`",
                        key.claim, provider.host_path
                    )
                } else {
                    format!(
                        "AWS does not expose the `{}` claim as a condition key for provider `{}`",
                        key.claim, provider.host_path
                    )
                };
                let single = match values.as_slice() {
                    [one] => Some(one.as_str()),
                    _ => None,
                };
                let mut f = cx
                    .finding(
                        &META,
                        format!(
                            "the condition key `{}` never exists in a request: {why}{words}",
                            c.key.value
                        ),
                        c.key.span,
                        &c.key.pointer,
                    )
                    .help(help(provider, key.prefix, &claim, single));
                f.aws_error = consequence.and_then(|(_, e)| e).map(str::to_string);
                out.push(f);
            }
        }
    }
}

/// Claims a GitLab ID token carries (GitLab docs, "OpenID Connect (OIDC)
/// Authentication Using ID Tokens"): real claims, so never "typos" of a key.
const GITLAB_CLAIMS: &[&str] = &[
    "namespace_id",
    "namespace_path",
    "project_id",
    "project_path",
    "user_id",
    "user_login",
    "user_email",
    "user_access_level",
    "user_identities",
    "pipeline_id",
    "pipeline_source",
    "job_id",
    "ref",
    "ref_type",
    "ref_path",
    "ref_protected",
    "groups_direct",
    "environment",
    "environment_protected",
    "deployment_tier",
    "environment_action",
    "runner_id",
    "runner_environment",
    "sha",
    "ci_config_ref_uri",
    "ci_config_sha",
    "project_visibility",
    "iss",
    "jti",
    "iat",
    "nbf",
    "exp",
];

/// The claims STS exposes as condition keys for a provider.
fn supported(provider: &ProviderArn) -> impl Iterator<Item = &'static str> {
    let extra: &[&str] = if provider.is_gitlab_com() {
        GITLAB_COM_ONLY_KEYS
    } else {
        &[]
    };
    OIDC_KEYS.iter().chain(extra).copied()
}

/// The real alternative for a claim (lower-cased), using the author's value when
/// there is exactly one.
fn help(provider: &ProviderArn, prefix: &str, claim: &str, value: Option<&str>) -> String {
    let sub = format!("`{prefix}:sub`");
    let v = |placeholder: &'static str| value.unwrap_or(placeholder).to_string();
    match claim {
        "ref" => format!(
            "match the ref inside {sub}: `project_path:<group>/<project>:ref_type:branch:ref:{}`",
            v("<branch>")
        ),
        "ref_type" => format!(
            "match the ref type inside {sub}: `project_path:<group>/<project>:ref_type:{}:ref:<name>`",
            v("branch")
        ),
        "ref_path" => format!(
            "match the ref inside {sub}: `project_path:<group>/<project>:ref_type:branch:ref:<name>` (a tag is `ref_type:tag`)"
        ),
        "project_path" => format!(
            "match the project inside {sub}: `project_path:{}:ref_type:branch:ref:<branch>`",
            v("<group>/<project>")
        ),
        "namespace_path" => format!(
            "match the group inside {sub}: `project_path:{}/<project>:ref_type:branch:ref:<branch>`",
            v("<group>")
        ),
        "project_id" | "namespace_id" if !provider.is_gitlab_com() => format!(
            "on a self-managed instance, pin the project by path inside {sub} (`project_path:<group>/<project>:ref_type:branch:ref:<branch>`), or add `{claim}` to the project's `sub` claim components and match `{claim}:{}:…` in {sub}",
            v("<id>")
        ),
        "ref_protected" if !provider.is_gitlab_com() => {
            format!("on a self-managed instance, protect the branch and admit only it in {sub}")
        }
        "environment" | "environment_protected" | "deployment_tier" => format!(
            "match it inside {sub}, after adding `{claim}` to the project's `sub` claim components (ci_id_token_sub_claim_components)"
        ),
        "azp" => format!("STS puts `azp` into `{prefix}:aud`: restrict that key"),
        "iss" => "the issuer is already fixed by the Federated principal: remove the condition"
            .to_string(),
        "subject" => format!("write {sub}"),
        "audience" => format!("write `{prefix}:aud`"),
        _ => {
            let known: Vec<&str> = supported(provider).collect();
            if !GITLAB_CLAIMS.contains(&claim)
                && let Some(near) = crate::policy::from_json::nearest(claim, &known)
            {
                return format!("did you mean `{prefix}:{near}`?");
            }
            let extra = if provider.is_gitlab_com() {
                " and the GitLab.com keys (project_id, namespace_id, ref_protected, …)"
            } else {
                ""
            };
            format!(
                "AWS exposes only aud, sub, amr, oaud and email{extra} for this provider; restrict the job through {sub}"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(host: &str) -> ProviderArn {
        ProviderArn::parse(&format!("arn:aws:iam::123456789012:oidc-provider/{host}")).unwrap()
    }

    #[test]
    fn gitlab_com_only_keys_are_supported_only_on_gitlab_com() {
        let com = provider("gitlab.com");
        let sm = provider("gitlab.example.com");
        assert!(supported(&com).any(|k| k == "project_id"));
        assert!(!supported(&sm).any(|k| k == "project_id"));
        assert!(supported(&sm).any(|k| k == "sub"));
    }

    #[test]
    fn help_names_the_real_alternative() {
        let com = provider("gitlab.com");
        let sm = provider("gitlab.example.com");
        assert!(help(&com, "gitlab.com", "ref", Some("main")).contains("ref:main`"));
        assert!(
            help(&com, "gitlab.com", "project_path", Some("mygroup/app"))
                .contains("`project_path:mygroup/app:")
        );
        assert!(help(&sm, "gitlab.example.com", "project_id", Some("42")).contains("project_path"));
        assert_eq!(
            help(&com, "gitlab.com", "sbu", None),
            "did you mean `gitlab.com:sub`?"
        );
        // A real claim is not a typo of a key, however close.
        assert!(help(&com, "gitlab.com", "sha", None).starts_with("AWS exposes only"));
    }

    #[test]
    fn keys_compare_ignoring_case_and_only_under_the_trusted_prefix() {
        use crate::rules::test_support::{gitlab_policy, run};
        let count = |c: &str| run(&UnsupportedConditionKey, &gitlab_policy("2012-10-17", c)).len();
        assert_eq!(count(r#"{"StringEquals": {"GitLab.com:SUB": "x"}}"#), 0);
        assert_eq!(
            count(r#"{"StringEquals": {"gitlab.com:Project_Id": "42"}}"#),
            0
        );
        assert_eq!(
            count(r#"{"StringEquals": {"gitlab.com:project_path": "g/p"}}"#),
            1
        );
        // Another provider's prefix is condition-key-provider-mismatch's.
        assert_eq!(
            count(r#"{"StringEquals": {"gitlab.example.com:ref": "main"}}"#),
            0
        );
        let f = run(
            &UnsupportedConditionKey,
            &gitlab_policy(
                "2012-10-17",
                r#"{"StringNotLike": {"gitlab.com:ref": "feature/*"}}"#,
            ),
        );
        assert!(f[0].message.contains("always matches"), "{}", f[0].message);
        assert_eq!(f[0].aws_error, None);
    }
}
