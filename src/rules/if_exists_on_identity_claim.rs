//! `if-exists-on-identity-claim`: `…IfExists` on the `sub` or `aud` key of an Allow.
//!
//! Reported by the linter.

use super::RuleMeta;
use super::condition_key_provider_mismatch::statement_prefixes;
use super::oidc_keys::OidcKey;
use crate::finding::{Category, Severity};
use crate::iam::operator::{Operator, Qualifier};
use crate::policy::Effect;

pub static META: RuleMeta = RuleMeta {
    name: "if-exists-on-identity-claim",
    category: Category::Security,
    severity: Severity::Warning,
    summary: r#"an …IfExists operator on the sub or aud key of an Allow statement"#,
    aws_error: None,
    fix: r#"drop IfExists: use StringEquals/StringLike on sub and aud"#,
    explanation: r#"`…IfExists` makes a condition true when its key is absent from the request (IAM User Guide, "…IfExists condition operators"). Every GitLab ID token carries `sub` and `aud`, so on `gitlab.com:sub` or `gitlab.com:aud` the suffix changes nothing for real GitLab jobs — its only effect is to let a request that lacks the claim pass the very condition meant to pin the identity. A restriction on who may assume the role should hold unconditionally: write `StringEquals`/`StringLike`. `IfExists` stays fine on keys that are not always present (e.g. `aws:SourceIp`), and a negated operator is already true on a missing key, so only positive operators are reported."#,
    bad: r#""StringLikeIfExists": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}"#,
    good: r#""StringLike": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}"#,
};

/// Positive `IfExists` operators on `sub`/`aud` in Allow statements.
pub struct IfExistsOnIdentityClaim;

impl super::Rule for IfExistsOnIdentityClaim {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        for s in &cx.policy.statements {
            if s.effect() != Some(Effect::Allow) || !cx.is_oidc_statement(s) {
                continue;
            }
            // Keys under another provider's prefix are condition-key-provider-mismatch's.
            let prefixes = statement_prefixes(cx, s).filter(|p| !p.is_empty());
            // One finding per operator, naming every identity key under it.
            let mut by_operator: Vec<(&crate::policy::Located<String>, Operator, Vec<&str>)> =
                Vec::new();
            for c in &s.conditions {
                let Ok(op) = Operator::parse(&c.operator.value) else {
                    continue;
                };
                if !op.if_exists
                    || op.base.is_negated()
                    || op.qualifier == Some(Qualifier::ForAllValues)
                {
                    continue;
                }
                let Some(key) = OidcKey::parse(&c.key.value) else {
                    continue;
                };
                if !(key.claim_is("sub") || key.claim_is("aud")) {
                    continue;
                }
                if prefixes
                    .as_ref()
                    .is_some_and(|ps| !ps.iter().any(|p| p.eq_ignore_ascii_case(key.prefix)))
                {
                    continue;
                }
                match by_operator
                    .iter_mut()
                    .find(|(o, ..)| o.pointer == c.operator.pointer)
                {
                    Some((.., keys)) => keys.push(&c.key.value),
                    None => by_operator.push((&c.operator, op, vec![&c.key.value])),
                }
            }
            for (located, op, keys) in by_operator {
                let plain = Operator {
                    if_exists: false,
                    ..op
                };
                let names = keys
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" and ");
                out.push(
                    cx.finding(
                        &META,
                        format!(
                            "`{op}` on {names}: every GitLab ID token carries this claim, so IfExists only adds a pass for a request without it"
                        ),
                        located.span,
                        &located.pointer,
                    )
                    .help(format!(
                        "use `{plain}` for {names} (keep IfExists only for keys that may be absent)"
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{gitlab_policy, run};

    fn count(condition: &str) -> usize {
        run(
            &super::IfExistsOnIdentityClaim,
            &gitlab_policy("2012-10-17", condition),
        )
        .len()
    }

    #[test]
    fn only_positive_if_exists_on_sub_or_aud_is_reported() {
        assert_eq!(
            count(r#"{"StringLikeIfExists": {"gitlab.com:sub": "project_path:g/*"}}"#),
            1
        );
        assert_eq!(
            count(r#"{"StringEqualsIfExists": {"GitLab.com:AUD": "https://gitlab.com"}}"#),
            1
        );
        // A negated operator is already true on a missing key.
        assert_eq!(
            count(r#"{"StringNotEqualsIfExists": {"gitlab.com:sub": "x"}}"#),
            0
        );
        // Keys that may be absent are what IfExists is for.
        assert_eq!(
            count(r#"{"StringEqualsIfExists": {"gitlab.com:project_id": "42"}}"#),
            0
        );
        assert_eq!(
            count(r#"{"IpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"}}"#),
            0
        );
        // Another provider's key is condition-key-provider-mismatch's.
        assert_eq!(
            count(r#"{"StringEqualsIfExists": {"gitlab.example.com:sub": "x"}}"#),
            0
        );
    }

    #[test]
    fn one_finding_per_operator() {
        let c = r#"{"StringEqualsIfExists": {"gitlab.com:aud": "https://gitlab.com", "gitlab.com:sub": "x", "gitlab.com:project_id": "42"}}"#;
        let f = run(
            &super::IfExistsOnIdentityClaim,
            &gitlab_policy("2012-10-17", c),
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .contains("`gitlab.com:aud` and `gitlab.com:sub`"),
            "{}",
            f[0].message
        );
        assert!(!f[0].message.contains("project_id"), "{}", f[0].message);
    }
}
