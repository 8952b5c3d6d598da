//! The token rules: what STS would refuse in a token, judged at a given "now".
//!
//! Pure: the caller passes the clock (`--now` or the real one).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{DecodedToken, decode_unverified, json_kind};
use crate::finding::Finding;
use crate::gitlab::sub::{self as gitlab_sub, Component};
use crate::rules;

/// STS's limit on `WebIdentityToken` (4–20,000 characters).
pub const MAX_STS_TOKEN_CHARS: usize = 20_000;

/// The signing algorithms STS accepts, and nothing else.
pub const ACCEPTED_ALGS: &[&str] = &["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"];

/// Claims STS (or every GitLab trust policy) needs.
pub const REQUIRED_CLAIMS: &[&str] = &["iss", "sub", "aud", "exp", "iat"];

/// A time claim shown three ways.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TimeClaim {
    pub name: &'static str,
    pub unix: i64,
    pub rfc3339: String,
    /// "expires in 55 min", "expired 2 h 3 min ago", "5 s ago", "in 3 min".
    pub relative: String,
}

/// Everything `decode` shows and judges about a token.
#[derive(Debug, Clone)]
pub struct TokenReport {
    /// Length in characters, as STS counts it.
    pub length: usize,
    /// `None` when the token is not a JWT (the `token-malformed` finding says why).
    pub decoded: Option<DecodedToken>,
    pub times: Vec<TimeClaim>,
    /// The GitLab `sub` split into components, when it is a GitLab subject.
    pub sub_components: Option<Vec<Component>>,
    pub findings: Vec<Finding>,
}

impl TokenReport {
    pub fn alg(&self) -> Option<&str> {
        self.decoded.as_ref()?.header.get("alg")?.as_str()
    }
}

/// Decodes `token` (without verifying it) and applies every token rule at `now`.
pub fn analyze(token: &str, now: DateTime<Utc>) -> TokenReport {
    let token = token.trim();
    let length = token.chars().count();
    let mut findings = Vec::new();
    if length > MAX_STS_TOKEN_CHARS {
        findings.push(Finding::new(
            &rules::TOKEN_TOO_LONG,
            format!(
                "the token is {length} characters long; STS accepts at most {MAX_STS_TOKEN_CHARS}"
            ),
        ));
    }
    let decoded = match decode_unverified(token) {
        Ok(d) => d,
        Err(e) => {
            findings.push(Finding::new(
                &rules::TOKEN_MALFORMED,
                format!("the token is not a JWT ({} part): {}", e.part, e.message),
            ));
            return TokenReport {
                length,
                decoded: None,
                times: Vec::new(),
                sub_components: None,
                findings,
            };
        }
    };

    let type_problems = claim_type_problems(&decoded.header, &decoded.claims);
    for p in &type_problems {
        findings.push(Finding::new(&rules::TOKEN_MALFORMED, p.clone()));
    }

    if let Some(Value::String(alg)) = decoded.header.get("alg")
        && !ACCEPTED_ALGS.contains(&alg.as_str())
    {
        findings.push(Finding::new(
            &rules::TOKEN_ALG_UNSUPPORTED,
            format!(
                "the token is signed with `{alg}`; STS accepts only {}",
                ACCEPTED_ALGS.join(", ")
            ),
        ));
    }

    for claim in REQUIRED_CLAIMS {
        if !decoded.claims.contains_key(*claim) {
            let why = match *claim {
                "iss" => "STS finds the IAM OIDC provider by it",
                "sub" => "trust policies restrict who may assume the role by it",
                "aud" => "STS compares it with the provider's client IDs",
                "exp" => "STS refuses tokens without an expiry",
                _ => "STS requires it",
            };
            findings.push(Finding::new(
                &rules::TOKEN_MISSING_CLAIM,
                format!("the token has no `{claim}` claim: {why}"),
            ));
        }
    }

    if let Some(Value::String(iss)) = decoded.claims.get("iss")
        && !iss.contains("://")
    {
        findings.push(Finding::new(
                &rules::LEGACY_CI_JOB_JWT,
                format!(
                    "`iss` is {iss:?}, without a scheme: the legacy CI_JOB_JWT shape (removed in GitLab 17.0); ID tokens from `id_tokens:` carry \"https://{iss}\""
                ),
            ));
    }

    if let Some(Value::Array(auds)) = decoded.claims.get("aud")
        && auds.len() > 1
    {
        let list: Vec<String> = auds.iter().map(|a| a.to_string()).collect();
        findings.push(Finding::new(
            &rules::MULTIPLE_AUDIENCES,
            format!(
                "`aud` lists {} audiences ({}); how STS matches a list is unconfirmed",
                auds.len(),
                list.join(", ")
            ),
        ));
    }

    let times = time_claims(&decoded.claims, now);
    let at = |name: &str| times.iter().find(|t| t.name == name);
    if let Some(exp) = at("exp")
        && now.timestamp() >= exp.unix
    {
        findings.push(Finding::new(
            &rules::TOKEN_EXPIRED,
            format!(
                "the token expired {} ago (exp {}, now {})",
                duration_words(now.timestamp() - exp.unix),
                exp.rfc3339,
                rfc3339(now.timestamp())
            ),
        ));
    }
    if let Some(nbf) = at("nbf")
        && nbf.unix > now.timestamp()
    {
        findings.push(Finding::new(
            &rules::TOKEN_NOT_YET_VALID,
            format!(
                "the token is not valid for another {} (nbf {}, now {})",
                duration_words(nbf.unix - now.timestamp()),
                nbf.rfc3339,
                rfc3339(now.timestamp())
            ),
        ));
    }

    let sub_components = match decoded.claims.get("sub") {
        Some(Value::String(s)) => gitlab_sub::parse(s),
        _ => None,
    };
    TokenReport {
        length,
        decoded: Some(decoded),
        times,
        sub_components,
        findings,
    }
}

/// Header and claim values of the wrong JSON type, each as one sentence naming
/// the part and the claim.
fn claim_type_problems(header: &Map<String, Value>, claims: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    match header.get("alg") {
        None => out.push("the header has no `alg`: STS cannot tell how the token is signed".into()),
        Some(Value::String(_)) => {}
        Some(v) => out.push(format!(
            "the header's `alg` is {}, not a string",
            json_kind(v)
        )),
    }
    if let Some(v) = header.get("kid")
        && !v.is_string()
    {
        out.push(format!(
            "the header's `kid` is {}, not a string",
            json_kind(v)
        ));
    }
    for name in ["iss", "sub", "azp", "jti"] {
        if let Some(v) = claims.get(name)
            && !v.is_string()
        {
            out.push(format!(
                "the claims' `{name}` is {}, not a string",
                json_kind(v)
            ));
        }
    }
    match claims.get("aud") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_string) => {}
        Some(Value::Array(items)) if items.is_empty() => {
            out.push("the claims' `aud` is an empty list".into())
        }
        Some(v) => out.push(format!(
            "the claims' `aud` is {}, not a string or a list of strings",
            json_kind(v)
        )),
    }
    for name in ["exp", "nbf", "iat"] {
        if let Some(v) = claims.get(name)
            && seconds(v).is_none()
        {
            out.push(format!(
                "the claims' `{name}` is {}, not a number of seconds since 1970 (NumericDate)",
                if v.is_number() {
                    "a number out of range"
                } else {
                    json_kind(v)
                }
            ));
        }
    }
    out
}

/// A NumericDate as whole seconds, when it is a number in chrono's range.
fn seconds(v: &Value) -> Option<i64> {
    let secs = match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 1e15)
                .map(|f| f.floor() as i64)
        })?,
        _ => return None,
    };
    DateTime::from_timestamp(secs, 0).map(|_| secs)
}

fn time_claims(claims: &Map<String, Value>, now: DateTime<Utc>) -> Vec<TimeClaim> {
    let now = now.timestamp();
    ["iat", "nbf", "exp"]
        .into_iter()
        .filter_map(|name| {
            let unix = seconds(claims.get(name)?)?;
            let delta = unix - now;
            let relative = match (name, delta) {
                ("exp", d) if d > 0 => format!("expires in {}", duration_words(d)),
                ("exp", d) => format!("expired {} ago", duration_words(-d)),
                (_, 0) => "now".to_string(),
                (_, d) if d > 0 => format!("in {}", duration_words(d)),
                (_, d) => format!("{} ago", duration_words(-d)),
            };
            Some(TimeClaim {
                name,
                unix,
                rfc3339: rfc3339(unix),
                relative,
            })
        })
        .collect()
}

/// `2026-01-01T00:00:00Z`.
pub fn rfc3339(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| unix.to_string())
}

/// `3 d 4 h`, `1 h 5 min`, `4 min 10 s`, `7 s`: the two largest units.
pub fn duration_words(secs: i64) -> String {
    let secs = secs.unsigned_abs();
    let units = [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = secs;
    for (size, name) in units {
        let n = rest / size;
        rest %= size;
        if n > 0 || !parts.is_empty() {
            parts.push((n, name));
        }
    }
    let shown: Vec<String> = parts
        .iter()
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n} {u}"))
        .collect();
    if shown.is_empty() {
        "0 s".to_string()
    } else {
        shown.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, claims: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(claims), b64("sig"))
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_226_000, 0).unwrap()
    }

    fn rules_of(r: &TokenReport) -> Vec<&'static str> {
        r.findings.iter().map(|f| f.rule).collect()
    }

    const GOOD: &str = r#"{"iss":"https://gitlab.com","sub":"project_path:g/p:ref_type:branch:ref:main","aud":"sts.amazonaws.com","iat":1767225600,"nbf":1767225595,"exp":1767229200}"#;

    #[test]
    fn a_good_token_has_no_findings_and_relative_times() {
        let r = analyze(&token(r#"{"alg":"RS256","kid":"k"}"#, GOOD), now());
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        let exp = r.times.iter().find(|t| t.name == "exp").unwrap();
        assert_eq!(exp.rfc3339, "2026-01-01T01:00:00Z");
        assert_eq!(exp.relative, "expires in 53 min 20 s");
        assert_eq!(r.sub_components.unwrap().len(), 3);
    }

    #[test]
    fn wrong_claim_types_are_malformed_and_name_the_claim() {
        let r = analyze(
            &token(
                r#"{"alg":5}"#,
                r#"{"iss":1,"sub":"s","aud":[1],"exp":"soon","iat":1}"#,
            ),
            now(),
        );
        let msgs: Vec<&str> = r.findings.iter().map(|f| f.message.as_str()).collect();
        for needle in [
            "`alg` is a number",
            "`iss` is a number",
            "`aud` is an array",
            "`exp` is a string",
        ] {
            assert!(
                msgs.iter().any(|m| m.contains(needle)),
                "{needle}: {msgs:?}"
            );
        }
        assert!(rules_of(&r).iter().all(|r| *r == "token-malformed"));
    }

    #[test]
    fn times_are_judged_against_now() {
        let t = token(r#"{"alg":"RS256"}"#, GOOD);
        let later = DateTime::from_timestamp(1_767_229_200, 0).unwrap();
        assert_eq!(rules_of(&analyze(&t, later)), ["token-expired"]);
        let earlier = DateTime::from_timestamp(1_767_225_594, 0).unwrap();
        assert_eq!(rules_of(&analyze(&t, earlier)), ["token-not-yet-valid"]);
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(duration_words(0), "0 s");
        assert_eq!(duration_words(59), "59 s");
        assert_eq!(duration_words(3_600), "1 h");
        assert_eq!(duration_words(3_661), "1 h 1 min");
        assert_eq!(duration_words(90_061), "1 d 1 h");
    }

    proptest::proptest! {
        /// Any input is a report with findings, never a panic; a token that is
        /// not a JWT always says so.
        #[test]
        fn any_input_is_judged_without_panicking(s in "\\PC{0,200}", parts in proptest::collection::vec("[A-Za-z0-9_=!-]{0,40}", 0..5)) {
            let r = analyze(&s, now());
            proptest::prop_assert!(r.decoded.is_some() || r.findings.iter().any(|f| f.rule == "token-malformed"));
            let joined = parts.join(".");
            let r = analyze(&joined, now());
            proptest::prop_assert!(r.decoded.is_some() || r.findings.iter().any(|f| f.rule == "token-malformed"));
        }

        #[test]
        fn any_json_claims_are_judged_without_panicking(claims in "[{}\\[\\]\":,0-9a-z. e+-]{0,80}") {
            let t = token(r#"{"alg":"RS256"}"#, &claims);
            let r = analyze(&t, now());
            if let Some(d) = &r.decoded {
                let jwks = serde_json::json!({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]});
                let _ = crate::token::verify::verify(&t, d, &jwks);
            }
            let _ = crate::issuer::validate::jwks_findings(claims.as_bytes());
            let _ = crate::issuer::validate::discovery_findings("https://h", claims.as_bytes());
        }
    }
}
