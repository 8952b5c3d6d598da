//! JWT decoding without verification ([`decode_unverified`]), the token rules
//! ([`analyze`]) and signature verification against a JWKS ([`verify`]). Pure: no
//! I/O, no clock (callers pass "now").

pub mod analyze;
pub mod verify;

use base64::Engine as _;
use serde_json::{Map, Value};

/// Longest input accepted at all; STS's own limit (20,000 characters) is a finding
/// for the token rules, this cap only bounds the work.
pub const MAX_TOKEN_BYTES: usize = 1 << 20;

/// A decoded, unverified token.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedToken {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// Length of the signature part (the signature itself is never shown).
    pub signature_len: usize,
}

/// Why a token is not a JWT, naming the part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    /// The part at fault: `token` (the whole), `header`, `claims` or `signature`.
    pub part: &'static str,
    pub message: String,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn err(message: impl Into<String>) -> TokenError {
    err_in("token", message)
}

fn err_in(part: &'static str, message: impl Into<String>) -> TokenError {
    TokenError {
        part,
        message: message.into(),
    }
}

/// Splits and decodes a compact JWS (`header.claims.signature`).
pub fn decode_unverified(token: &str) -> Result<DecodedToken, TokenError> {
    let token = token.trim();
    if token.len() > MAX_TOKEN_BYTES {
        return Err(err(format!(
            "the token is {} bytes long; refusing to decode more than {MAX_TOKEN_BYTES}",
            token.len()
        )));
    }
    if token.is_empty() {
        return Err(err("the token is empty"));
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        let hint = if parts.len() == 5 {
            " (five parts: an encrypted JWE, not a signed ID token)"
        } else if parts.len() == 1 {
            " (no dots: not a JWT at all — an access token or the wrong variable?)"
        } else {
            ""
        };
        return Err(err(format!(
            "a JWT has three dot-separated parts, this has {}{hint}",
            parts.len()
        )));
    }
    let header = decode_part(parts[0], "header")?;
    let claims = decode_part(parts[1], "claims")?;
    let signature = parts[2];
    if signature.is_empty() {
        return Err(err_in(
            "signature",
            "the signature part is empty (an unsigned `alg: none` token?)",
        ));
    }
    if base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .is_err()
    {
        return Err(err_in("signature", "the signature part is not base64url"));
    }
    Ok(DecodedToken {
        header,
        claims,
        signature_len: signature.len(),
    })
}

fn decode_part(part: &str, name: &'static str) -> Result<Map<String, Value>, TokenError> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| err_in(name, format!("the {name} part is not base64url: {e}")))?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| err_in(name, format!("the {name} part is not JSON: {e}")))?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(err_in(
            name,
            format!(
                "the {name} part is JSON but not an object (found {})",
                json_kind(&other)
            ),
        )),
    }
}

pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn decodes_header_and_claims() {
        let t = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256","kid":"k"}"#),
            b64(r#"{"iss":"https://gitlab.com","sub":"s"}"#),
            b64("sig")
        );
        let d = decode_unverified(&format!("  {t}\n")).unwrap();
        assert_eq!(d.header["kid"], "k");
        assert_eq!(d.claims["sub"], "s");
    }

    #[test]
    fn names_the_broken_part() {
        let h = b64(r#"{"alg":"RS256"}"#);
        let cases = [
            ("abc".to_string(), "three dot-separated parts, this has 1"),
            ("a.b.c.d.e".to_string(), "JWE"),
            (
                format!("{h}.!!!.{}", b64("s")),
                "claims part is not base64url",
            ),
            (
                format!("{h}.{}.{}", b64("not json"), b64("s")),
                "claims part is not JSON",
            ),
            (
                format!("{h}.{}.{}", b64("[1]"), b64("s")),
                "not an object (found an array)",
            ),
            (format!("{h}.{}.", b64("{}")), "signature part is empty"),
            (String::new(), "empty"),
        ];
        for (token, needle) in cases {
            let e = decode_unverified(&token).unwrap_err();
            assert!(e.message.contains(needle), "{token:?}: {}", e.message);
        }
    }
}
