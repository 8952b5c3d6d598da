//! Shared reading of OIDC condition keys and condition values for the
//! condition-key and principal rules: key prefixes, built-in web identity
//! providers, wildcards outside policy variables, and what a condition does when
//! its key is absent from the request.

use crate::iam::RequestContext;
use crate::iam::operator::Operator;
use crate::policy::{Effect, Statement};

/// AWS's built-in web identity providers: valid `Federated` values that are not
/// IAM OIDC provider ARNs (IAM User Guide, "Available keys for WIF").
pub const BUILTIN_WEB_IDENTITY_PROVIDERS: &[&str] = &[
    "cognito-identity.amazonaws.com",
    "accounts.google.com",
    "graph.facebook.com",
    "www.amazon.com",
];

/// Whether a `Federated` value is one of AWS's built-in web identity providers.
pub fn is_builtin_provider(value: &str) -> bool {
    BUILTIN_WEB_IDENTITY_PROVIDERS.contains(&value)
}

/// The `http://`/`https://` scheme a key (or URL) starts with, matched ignoring case.
pub fn scheme_of(s: &str) -> Option<&str> {
    ["https://", "http://"].into_iter().find_map(|scheme| {
        s.get(..scheme.len())
            .filter(|p| p.eq_ignore_ascii_case(scheme))
    })
}

/// The text without a leading `http://`/`https://`.
pub fn strip_scheme(s: &str) -> &str {
    match scheme_of(s) {
        Some(scheme) => &s[scheme.len()..],
        None => s,
    }
}

/// A condition key read as `<provider prefix>:<claim>`, when its prefix looks like
/// an OIDC provider: its first `:`-separated part is a host (with a `.`) or a host
/// with a path (a `/`), as opposed to `aws:`, `sts:` and other service keys (whose
/// own names may hold `/` and `:`, as in `aws:RequestTag/team`). A leading scheme is
/// not part of the prefix (`condition-key-has-scheme` reports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OidcKey<'a> {
    /// The prefix as written, scheme removed (`gitlab.example.com/gitlab`).
    pub prefix: &'a str,
    /// The claim as written (`sub`).
    pub claim: &'a str,
}

impl<'a> OidcKey<'a> {
    pub fn parse(key: &'a str) -> Option<OidcKey<'a>> {
        let key = strip_scheme(key);
        let (prefix, claim) = key.rsplit_once(':')?;
        let first = key.split(':').next().unwrap_or(key);
        (!prefix.is_empty() && (first.contains('.') || first.contains('/')))
            .then_some(OidcKey { prefix, claim })
    }

    /// Whether the claim is `name` (condition key names ignore case).
    pub fn claim_is(&self, name: &str) -> bool {
        self.claim.eq_ignore_ascii_case(name)
    }
}

/// The `*` and `?` of a condition value that are wildcards to `StringLike` (and
/// literal characters to `StringEquals`): with policy variables enabled, text
/// inside `${…}` is not pattern text (`${*}`, `${?}` are escapes for literal
/// characters; `${key}` is substituted literally). Mirrors
/// [`crate::iam::condition::resolve`].
pub fn pattern_wildcards(text: &str, variables: bool) -> Vec<char> {
    let mut out = Vec::new();
    if !text.bytes().any(|b| b == b'*' || b == b'?') {
        return out; // the usual exact value: nothing to look at
    }
    let mut rest = text;
    while !rest.is_empty() {
        if variables
            && rest.starts_with("${")
            && let Some(end) = rest[2..].find('}')
        {
            rest = &rest[2 + end + 1..];
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next()
            && (c == '*' || c == '?')
        {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// What a condition evaluates to when its key is absent from the request, as the
/// engine decides it (`None` when the engine cannot say).
pub fn when_absent(op: &Operator, key: &str, values: &[String], variables: bool) -> Option<bool> {
    crate::iam::condition::evaluate(op, key, values, &RequestContext::new(), variables).result
}

/// The consequence of a condition whose key never exists in a request, in words,
/// plus the AWS error it causes (`absent` is [`when_absent`]'s answer).
pub fn absent_consequence(
    op: &Operator,
    statement: &Statement,
    absent: Option<bool>,
) -> (String, Option<&'static str>) {
    let allow = statement.effect() == Some(Effect::Allow);
    let deny = statement.effect() == Some(Effect::Deny);
    match absent {
        Some(false) if allow => (
            format!(
                "`{op}` on it never matches, so statement {} never lets anyone assume the role",
                statement.index
            ),
            Some(super::ACCESS_DENIED),
        ),
        Some(false) if deny => (
            format!(
                "`{op}` on it never matches, so the Deny in statement {} never applies",
                statement.index
            ),
            None,
        ),
        Some(false) => (format!("`{op}` on it never matches"), None),
        Some(true) if allow => (
            format!("`{op}` on it always matches, so it restricts nothing"),
            None,
        ),
        Some(true) if deny => (
            format!(
                "`{op}` on it always matches, so the Deny in statement {} always applies",
                statement.index
            ),
            Some(super::ACCESS_DENIED),
        ),
        Some(true) => (format!("`{op}` on it always matches"), None),
        None => (format!("`{op}` on it cannot be evaluated"), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_into_provider_prefix_and_claim() {
        let k = OidcKey::parse("gitlab.example.com/gitlab:sub").unwrap();
        assert_eq!((k.prefix, k.claim), ("gitlab.example.com/gitlab", "sub"));
        let k = OidcKey::parse("HTTPS://gitlab.com:SUB").unwrap();
        assert_eq!(k.prefix, "gitlab.com");
        assert!(k.claim_is("sub"));
        for not_oidc in [
            "aws:SourceIp",
            "sts:RoleSessionName",
            "sub",
            "s3:prefix",
            ":sub",
            "aws:RequestTag/team:x",
        ] {
            assert_eq!(OidcKey::parse(not_oidc), None, "{not_oidc}");
        }
    }

    #[test]
    fn schemes_are_found_ignoring_case() {
        assert_eq!(scheme_of("HTTPS://gitlab.com:sub"), Some("HTTPS://"));
        assert_eq!(scheme_of("http://x"), Some("http://"));
        assert_eq!(scheme_of("gitlab.com:sub"), None);
        assert_eq!(scheme_of("h"), None);
        assert_eq!(scheme_of("é"), None);
        assert_eq!(strip_scheme("https://gitlab.com:sub"), "gitlab.com:sub");
    }

    #[test]
    fn wildcards_inside_policy_variables_do_not_count() {
        assert_eq!(pattern_wildcards("project_path:g/*", true), vec!['*']);
        assert_eq!(pattern_wildcards("a${*}b${?}", true), Vec::<char>::new());
        assert_eq!(pattern_wildcards("a${*}b", false), vec!['*']);
        assert_eq!(pattern_wildcards("${aws:username}?", true), vec!['?']);
        // An unclosed `${` is literal text.
        assert_eq!(pattern_wildcards("${*", true), vec!['*']);
    }

    #[test]
    fn absent_keys_follow_the_engine() {
        let p = |s| Operator::parse(s).unwrap();
        let v = vec!["x".to_string()];
        assert_eq!(
            when_absent(&p("StringEquals"), "k.c:a", &v, true),
            Some(false)
        );
        assert_eq!(
            when_absent(&p("StringNotEquals"), "k.c:a", &v, true),
            Some(true)
        );
        assert_eq!(
            when_absent(&p("StringLikeIfExists"), "k.c:a", &v, true),
            Some(true)
        );
        assert_eq!(
            when_absent(&p("ForAllValues:StringLike"), "k.c:a", &v, true),
            Some(true)
        );
    }
}
