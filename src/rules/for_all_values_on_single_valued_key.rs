//! `for-all-values-on-single-valued-key`: `ForAllValues:` on a key that holds one value.
//!
//! Reported by the linter.

use super::RuleMeta;
use super::condition_key_provider_mismatch::statement_prefixes;
use super::oidc_keys::OidcKey;
use crate::finding::{Category, Severity};
use crate::iam::context::GITLAB_COM_ONLY_KEYS;
use crate::iam::operator::{Operator, Qualifier};

pub static META: RuleMeta = RuleMeta {
    name: "for-all-values-on-single-valued-key",
    category: Category::Correctness,
    severity: Severity::Warning,
    summary: r#"ForAllValues: on a single-valued key (sub, aud, email, the GitLab.com keys), which is true when the key is absent"#,
    aws_error: None,
    fix: r#"drop the ForAllValues: qualifier (StringEquals/StringLike compare single-valued keys)"#,
    explanation: r#"`ForAllValues:` and `ForAnyValue:` are for multi-valued context keys; `sub`, `email`, `aud` (unless a job asks for several audiences) and the GitLab.com keys (`project_id`, `namespace_id`, `ref_protected`, …) hold one value. `ForAllValues:` asks "is every value of the key in this set?", and for a key that is absent or empty the answer is vacuously yes (IAM User Guide, "Multivalued context keys"). On `sub` or a GitLab.com key such as `project_id`, the condition then passes for every request that lacks the key — for instance a token from another provider trusted by the same statement, whose keys carry a different prefix — admitting requests the author meant to restrict. The plain operator says what was meant. `amr` is multi-valued and is not reported; on `aud` a `ForAllValues:` listing several audiences is taken as deliberate (multi-audience tokens)."#,
    bad: r#""ForAllValues:StringLike": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}"#,
    good: r#""StringLike": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}"#,
};

/// `ForAllValues:` operators over single-valued OIDC keys.
pub struct ForAllValuesOnSingleValuedKey;

impl super::Rule for ForAllValuesOnSingleValuedKey {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        for s in &cx.policy.statements {
            if !cx.is_oidc_statement(s) {
                continue;
            }
            let prefixes = statement_prefixes(cx, s).filter(|p| !p.is_empty());
            let gitlab_com = cx.providers_of(s).any(|p| p.is_gitlab_com());
            let mut by_operator: Vec<(&crate::policy::Located<String>, Operator, Vec<&str>)> =
                Vec::new();
            for c in &s.conditions {
                let Ok(op) = Operator::parse(&c.operator.value) else {
                    continue;
                };
                if op.qualifier != Some(Qualifier::ForAllValues) {
                    continue;
                }
                let Some(key) = OidcKey::parse(&c.key.value) else {
                    continue;
                };
                // Keys of another provider are condition-key-provider-mismatch's.
                if prefixes
                    .as_ref()
                    .is_some_and(|ps| !ps.iter().any(|p| p.eq_ignore_ascii_case(key.prefix)))
                {
                    continue;
                }
                let claim = key.claim.to_ascii_lowercase();
                let single = match claim.as_str() {
                    "sub" | "email" => true,
                    // Several listed audiences: a multi-audience token, deliberately.
                    "aud" | "oaud" => c.values.len() <= 1,
                    k => {
                        gitlab_com
                            && key.prefix.eq_ignore_ascii_case("gitlab.com")
                            && GITLAB_COM_ONLY_KEYS.contains(&k)
                    }
                };
                if !single {
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
                    qualifier: None,
                    ..op
                };
                let names = keys
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" and ");
                let (it, holds) = if keys.len() == 1 {
                    ("it", "holds")
                } else {
                    ("they", "hold")
                };
                out.push(
                    cx.finding(
                        &META,
                        format!(
                            "`{op}` on {names}: {it} {holds} a single value, and ForAllValues is true when the key is absent, so this condition can pass without the claim it restricts"
                        ),
                        located.span,
                        &located.pointer,
                    )
                    .help(format!("use `{plain}` for {names}")),
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
            &super::ForAllValuesOnSingleValuedKey,
            &gitlab_policy("2012-10-17", condition),
        )
        .len()
    }

    #[test]
    fn single_valued_keys_are_reported_and_amr_is_not() {
        assert_eq!(
            count(r#"{"ForAllValues:StringLike": {"gitlab.com:sub": "project_path:g/*"}}"#),
            1
        );
        assert_eq!(
            count(r#"{"ForAllValues:StringEquals": {"gitlab.com:project_id": "42"}}"#),
            1
        );
        assert_eq!(
            count(r#"{"ForAllValues:StringEquals": {"gitlab.com:amr": "pwd"}}"#),
            0
        );
        assert_eq!(
            count(r#"{"ForAnyValue:StringEquals": {"gitlab.com:sub": "x"}}"#),
            0
        );
    }

    #[test]
    fn several_audiences_are_taken_as_deliberate() {
        assert_eq!(
            count(r#"{"ForAllValues:StringEquals": {"gitlab.com:aud": "https://gitlab.com"}}"#),
            1
        );
        assert_eq!(
            count(r#"{"ForAllValues:StringEquals": {"gitlab.com:aud": ["a", "b"]}}"#),
            0
        );
    }
}
