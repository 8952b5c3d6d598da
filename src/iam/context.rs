//! The request context: the condition keys an `AssumeRoleWithWebIdentity` request
//! carries, built from token claims the way STS builds them for OIDC providers.

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// GitLab.com exposes these claims as condition keys; self-managed and Dedicated
/// instances do not (IAM User Guide, "Available keys for WIF").
pub const GITLAB_COM_ONLY_KEYS: &[&str] = &[
    "namespace_id",
    "project_id",
    "user_id",
    "user_login",
    "user_email",
    "user_access_level",
    "ref_protected",
    "pipeline_source",
    "runner_environment",
];

/// Keys every OIDC provider gets.
pub const OIDC_KEYS: &[&str] = &["aud", "sub", "amr", "oaud", "email"];

/// The issuer whose tokens get the GitLab.com-only keys.
pub const GITLAB_COM_ISSUER: &str = "https://gitlab.com";

/// A context value: single, or multi-valued (then only `ForAnyValue:`/`ForAllValues:`
/// operators test its members).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

impl ContextValue {
    pub fn values(&self) -> Vec<String> {
        match self {
            ContextValue::Single(s) => vec![s.clone()],
            ContextValue::Multi(v) => v.clone(),
        }
    }
}

/// Where a context key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Derived from a token claim.
    Token,
    /// Given with `--context`.
    Given,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEntry {
    /// The key as it was named when set (for display).
    pub name: String,
    pub value: ContextValue,
    pub origin: Origin,
}

/// Condition keys → values; lookup ignores case, as IAM's does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    entries: BTreeMap<String, ContextEntry>,
    /// The key prefix of the token's provider (`gitlab.com`, `gitlab.example.com/gitlab`).
    pub provider_prefix: Option<String>,
}

impl RequestContext {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, name: &str, value: ContextValue, origin: Origin) {
        self.entries.insert(
            name.to_lowercase(),
            ContextEntry {
                name: name.to_string(),
                value,
                origin,
            },
        );
    }

    pub fn get(&self, name: &str) -> Option<&ContextEntry> {
        self.entries.get(&name.to_lowercase())
    }

    pub fn entries(&self) -> impl Iterator<Item = &ContextEntry> {
        self.entries.values()
    }

    /// Whether a key belongs to the token's provider (`<prefix>:<claim>`), i.e. the
    /// request would carry it whenever the token has the claim.
    pub fn is_token_key(&self, name: &str) -> bool {
        match (&self.provider_prefix, name.rsplit_once(':')) {
            (Some(prefix), Some((p, _))) => p.eq_ignore_ascii_case(prefix),
            _ => false,
        }
    }

    /// Builds the context STS builds from a token's claims. Returns the context and
    /// notes about claims that could not be turned into keys.
    pub fn from_claims(claims: &serde_json::Map<String, Json>) -> (RequestContext, Vec<String>) {
        let mut ctx = RequestContext::new();
        let mut notes = Vec::new();
        let Some(iss) = claims.get("iss").and_then(Json::as_str) else {
            notes.push("the claims have no string `iss`, so no provider keys exist".to_string());
            return (ctx, notes);
        };
        let prefix = provider_prefix(iss);
        ctx.provider_prefix = Some(prefix.clone());
        let mut put = |claim: &str, value: Option<ContextValue>| {
            if let Some(v) = value {
                ctx.insert(&format!("{prefix}:{claim}"), v, Origin::Token);
            }
        };
        // `aud` comes from `azp` when the token has one (IAM User Guide).
        let aud = claims.get("azp").or_else(|| claims.get("aud"));
        put(
            "aud",
            aud.and_then(|v| to_value(v, false, &mut notes, "aud")),
        );
        put(
            "oaud",
            claims
                .get("aud")
                .and_then(|v| to_value(v, false, &mut notes, "aud")),
        );
        put(
            "sub",
            claims
                .get("sub")
                .and_then(|v| to_value(v, false, &mut notes, "sub")),
        );
        put(
            "email",
            claims
                .get("email")
                .and_then(|v| to_value(v, false, &mut notes, "email")),
        );
        put(
            "amr",
            claims
                .get("amr")
                .and_then(|v| to_value(v, true, &mut notes, "amr")),
        );
        if iss == GITLAB_COM_ISSUER {
            for key in GITLAB_COM_ONLY_KEYS {
                put(
                    key,
                    claims
                        .get(*key)
                        .and_then(|v| to_value(v, false, &mut notes, key)),
                );
            }
        }
        (ctx, notes)
    }
}

/// The condition-key prefix for an issuer: the URL without `https://`, path included.
pub fn provider_prefix(issuer: &str) -> String {
    issuer
        .strip_prefix("https://")
        .unwrap_or(issuer)
        .to_string()
}

/// A claim value as a context value. A list with one element is single-valued
/// (GitLab writes a one-audience `aud` as a string anyway); `multi` forces a list.
fn to_value(v: &Json, multi: bool, notes: &mut Vec<String>, claim: &str) -> Option<ContextValue> {
    let scalar = |v: &Json| match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match v {
        Json::Array(items) => {
            let values: Vec<String> = items.iter().filter_map(scalar).collect();
            if values.len() != items.len() {
                notes.push(format!(
                    "claim `{claim}` has non-scalar list items; they are ignored"
                ));
            }
            if values.len() == 1 && !multi {
                values.into_iter().next().map(ContextValue::Single)
            } else {
                Some(ContextValue::Multi(values))
            }
        }
        Json::Null | Json::Object(_) => {
            notes.push(format!(
                "claim `{claim}` is {}, which no condition key can hold",
                if v.is_null() { "null" } else { "an object" }
            ));
            None
        }
        other => {
            let s = scalar(other)?;
            Some(if multi {
                ContextValue::Multi(vec![s])
            } else {
                ContextValue::Single(s)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(claims: Json) -> RequestContext {
        RequestContext::from_claims(claims.as_object().unwrap()).0
    }

    #[test]
    fn gitlab_com_gets_its_extra_keys() {
        let c = ctx(
            json!({"iss": "https://gitlab.com", "sub": "project_path:g/p:ref_type:branch:ref:main",
            "aud": "sts.amazonaws.com", "project_id": "42", "ref_protected": "true", "ref": "main"}),
        );
        assert_eq!(
            c.get("gitlab.com:project_id").unwrap().value,
            ContextValue::Single("42".into())
        );
        assert_eq!(
            c.get("GITLAB.COM:Ref_Protected").unwrap().value,
            ContextValue::Single("true".into())
        );
        // `ref` and `project_path` are claims, but never condition keys.
        assert!(c.get("gitlab.com:ref").is_none());
        assert!(c.is_token_key("gitlab.com:sub"));
        assert!(!c.is_token_key("aws:SourceIp"));
    }

    #[test]
    fn self_managed_issuer_lacks_gitlab_com_only_keys() {
        let c = ctx(
            json!({"iss": "https://gitlab.example.com/gitlab", "sub": "s", "aud": "a",
            "project_id": "42", "namespace_id": "7"}),
        );
        assert!(c.get("gitlab.example.com/gitlab:sub").is_some());
        for key in GITLAB_COM_ONLY_KEYS {
            assert!(
                c.get(&format!("gitlab.example.com/gitlab:{key}")).is_none(),
                "{key}"
            );
        }
    }

    #[test]
    fn aud_comes_from_azp_when_present() {
        let c = ctx(json!({"iss": "https://gitlab.com", "aud": "x", "azp": "y"}));
        assert_eq!(
            c.get("gitlab.com:aud").unwrap().value,
            ContextValue::Single("y".into())
        );
        assert_eq!(
            c.get("gitlab.com:oaud").unwrap().value,
            ContextValue::Single("x".into())
        );
    }

    #[test]
    fn amr_is_multi_valued_and_aud_lists_stay_lists() {
        let c = ctx(json!({"iss": "https://gitlab.com", "amr": "pwd", "aud": ["a", "b"]}));
        assert_eq!(
            c.get("gitlab.com:amr").unwrap().value,
            ContextValue::Multi(vec!["pwd".into()])
        );
        assert_eq!(
            c.get("gitlab.com:aud").unwrap().value,
            ContextValue::Multi(vec!["a".into(), "b".into()])
        );
        let c = ctx(json!({"iss": "https://gitlab.com", "aud": ["only"]}));
        assert_eq!(
            c.get("gitlab.com:aud").unwrap().value,
            ContextValue::Single("only".into())
        );
    }

    #[test]
    fn numbers_and_booleans_become_text() {
        let c = ctx(json!({"iss": "https://gitlab.com", "project_id": 42, "ref_protected": true}));
        assert_eq!(
            c.get("gitlab.com:project_id").unwrap().value,
            ContextValue::Single("42".into())
        );
        assert_eq!(
            c.get("gitlab.com:ref_protected").unwrap().value,
            ContextValue::Single("true".into())
        );
    }
}
