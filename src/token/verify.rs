//! Signature verification against the issuer's JWKS, as STS does it: the key
//! whose `kid` the token names, the algorithm the header names (one of STS's six).
//!
//! RS256/384/512 and ES256/384 go through `jsonwebtoken`; it has no ES512, so
//! ES512 is verified with aws-lc-rs directly (P-521, fixed-size `r‖s`).

use base64::Engine as _;
use serde_json::Value;

use super::DecodedToken;
use super::analyze::ACCEPTED_ALGS;
use crate::finding::Finding;
use crate::rules;

/// What verification concluded.
#[derive(Debug, Clone, PartialEq)]
pub enum Verification {
    /// The signature verifies with keys whose origin is authenticated (`--jwks-file`,
    /// or fetched over TLS that validated for the host); the text names the key.
    Verified(String),
    /// The signature matches a key, but the keys came over a connection that did not
    /// authenticate the issuer (see [`KeyOrigin`]): anyone on the path could have
    /// served them, so nothing is verified. The text says which key and why.
    Unauthenticated(String),
    /// It does not (`kid-not-in-jwks` or `signature-invalid`).
    Failed(Box<Finding>),
    /// It could not be tried (the reason); other findings say why.
    NotTried(String),
}

/// Where the keys came from, as far as their authenticity goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin<'a> {
    /// `--jwks-file`, or fetched over TLS that validated for the host against the
    /// trusted roots.
    Authenticated,
    /// Fetched some other way; the text says how (it ends up in the outcome).
    Unauthenticated(&'a str),
}

/// Verifies `token` (already decoded as `decoded`) with the keys of `jwks`, keys
/// whose origin is authenticated (a `--jwks-file`).
pub fn verify(token: &str, decoded: &DecodedToken, jwks: &Value) -> Verification {
    verify_from(token, decoded, jwks, KeyOrigin::Authenticated)
}

/// Verifies `token` with the keys of `jwks`, which came from `origin`: a match with
/// unauthenticated keys is [`Verification::Unauthenticated`], never `Verified`.
pub fn verify_from(
    token: &str,
    decoded: &DecodedToken,
    jwks: &Value,
    origin: KeyOrigin<'_>,
) -> Verification {
    let Some(alg) = decoded.header.get("alg").and_then(Value::as_str) else {
        return Verification::NotTried("the header names no algorithm".into());
    };
    if !ACCEPTED_ALGS.contains(&alg) {
        return Verification::NotTried(format!("`{alg}` is not an algorithm STS accepts"));
    }
    let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
        return Verification::NotTried("the JWKS has no `keys` list".into());
    };
    let kid = decoded.header.get("kid").and_then(Value::as_str);
    let candidates: Vec<&Value> = match kid {
        Some(kid) => keys
            .iter()
            .filter(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
            .collect(),
        None => keys.iter().collect(),
    };
    if candidates.is_empty() {
        let present: Vec<String> = keys
            .iter()
            .map(|k| match k.get("kid").and_then(Value::as_str) {
                Some(k) => format!("{k:?}"),
                None => "(a key without kid)".to_string(),
            })
            .collect();
        let kid = kid.unwrap_or_default();
        return Verification::Failed(Box::new(Finding::new(
            &rules::KID_NOT_IN_JWKS,
            if present.is_empty() {
                format!("the token's kid {kid:?} is not in the JWKS, which holds no keys")
            } else {
                format!(
                    "the token's kid {kid:?} is not in the JWKS; it holds {}: a token from another issuer, or an old key after rotation",
                    present.join(", ")
                )
            },
        )));
    }
    let token = token.trim();
    let mut last_error = String::new();
    for key in &candidates {
        match verify_with(token, alg, key) {
            Ok(()) => {
                let name = key
                    .get("kid")
                    .and_then(Value::as_str)
                    .map(|k| format!("key {k:?}"))
                    .unwrap_or_else(|| "a key without kid".to_string());
                return match origin {
                    KeyOrigin::Authenticated => {
                        Verification::Verified(format!("{alg} signature verified with {name}"))
                    }
                    KeyOrigin::Unauthenticated(why) => Verification::Unauthenticated(format!(
                        "{alg} signature matches {name}, but the keys are unauthenticated: {why}"
                    )),
                };
            }
            Err(e) => last_error = e,
        }
    }
    Verification::Failed(Box::new(Finding::new(
        &rules::SIGNATURE_INVALID,
        match kid {
            Some(kid) => {
                format!("the {alg} signature does not verify with key {kid:?}: {last_error}")
            }
            None => format!(
                "the {alg} signature verifies with none of the {} keys (the token names no kid): {last_error}",
                candidates.len()
            ),
        },
    )))
}

fn verify_with(token: &str, alg: &str, jwk: &Value) -> Result<(), String> {
    if alg == "ES512" {
        return verify_es512(token, jwk);
    }
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind, jwk::Jwk};
    let algorithm: Algorithm = alg
        .parse()
        .map_err(|_| format!("`{alg}` is not supported"))?;
    let jwk: Jwk = serde_json::from_value(jwk.clone())
        .map_err(|e| format!("the key is not a usable JWK: {e}"))?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("the key is not usable: {e}"))?;
    let mut validation = Validation::new(algorithm);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    match jsonwebtoken::decode::<Value>(token, &key, &validation) {
        Ok(_) => Ok(()),
        Err(e) => Err(match e.kind() {
            ErrorKind::InvalidSignature => {
                "the signature does not match the header and claims".to_string()
            }
            ErrorKind::InvalidAlgorithm => {
                format!("the key does not fit `{alg}` (key type or `alg` differ)")
            }
            _ => e.to_string(),
        }),
    }
}

fn verify_es512(token: &str, jwk: &Value) -> Result<(), String> {
    use aws_lc_rs::signature::{ECDSA_P521_SHA512_FIXED, UnparsedPublicKey};
    let field = |name: &str| -> Result<Vec<u8>, String> {
        let text = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the key has no `{name}`"))?;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| format!("the key's `{name}` is not base64url"))
    };
    if jwk.get("kty").and_then(Value::as_str) != Some("EC")
        || jwk.get("crv").and_then(Value::as_str) != Some("P-521")
    {
        return Err("ES512 needs an EC key on P-521".into());
    }
    let (x, y) = (field("x")?, field("y")?);
    if x.len() != 66 || y.len() != 66 {
        return Err("the key's coordinates are not 66 bytes".into());
    }
    let mut point = Vec::with_capacity(133);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let (input, signature) = token
        .rsplit_once('.')
        .ok_or_else(|| "the token has no signature part".to_string())?;
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .map_err(|_| "the signature is not base64url".to_string())?;
    UnparsedPublicKey::new(&ECDSA_P521_SHA512_FIXED, &point)
        .verify(input.as_bytes(), &signature)
        .map_err(|_| "the signature does not match the header and claims".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// ES512 is not in jsonwebtoken; a P-521 key generated here verifies through
    /// aws-lc-rs, and an edited token does not.
    #[test]
    fn es512_verifies_with_aws_lc_rs() {
        let key = EcdsaKeyPair::generate(&ECDSA_P521_SHA512_FIXED_SIGNING).unwrap();
        let point = key.public_key().as_ref();
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-521", "kid": "p521", "alg": "ES512",
            "x": b64(&point[1..67]), "y": b64(&point[67..133]),
        }]});
        let input = format!(
            "{}.{}",
            b64(br#"{"alg":"ES512","kid":"p521"}"#),
            b64(br#"{"iss":"https://gitlab.example.test","sub":"s"}"#)
        );
        let sig = key.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        let token = format!("{input}.{}", b64(sig.as_ref()));
        let decoded = crate::token::decode_unverified(&token).unwrap();
        assert!(matches!(
            verify(&token, &decoded, &jwks),
            Verification::Verified(_)
        ));

        let edited = format!(
            "{}.{}.{}",
            b64(br#"{"alg":"ES512","kid":"p521"}"#),
            b64(br#"{"iss":"https://gitlab.example.test","sub":"t"}"#),
            b64(sig.as_ref())
        );
        let decoded = crate::token::decode_unverified(&edited).unwrap();
        match verify(&edited, &decoded, &jwks) {
            Verification::Failed(f) => assert_eq!(f.rule, "signature-invalid"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_match_with_unauthenticated_keys_is_not_verified() {
        let key = EcdsaKeyPair::generate(&ECDSA_P521_SHA512_FIXED_SIGNING).unwrap();
        let point = key.public_key().as_ref();
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-521", "kid": "p521",
            "x": b64(&point[1..67]), "y": b64(&point[67..133]),
        }]});
        let input = format!("{}.{}", b64(br#"{"alg":"ES512","kid":"p521"}"#), b64(b"{}"));
        let sig = key.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        let token = format!("{input}.{}", b64(sig.as_ref()));
        let decoded = crate::token::decode_unverified(&token).unwrap();
        assert_eq!(
            verify_from(&token, &decoded, &jwks, KeyOrigin::Unauthenticated("h: no TLS")),
            Verification::Unauthenticated(
                r#"ES512 signature matches key "p521", but the keys are unauthenticated: h: no TLS"#
                    .into()
            )
        );
        assert_eq!(
            verify_from(&token, &decoded, &jwks, KeyOrigin::Authenticated),
            Verification::Verified(r#"ES512 signature verified with key "p521""#.into())
        );
    }

    #[test]
    fn unsupported_algorithms_are_not_tried() {
        let token = format!(
            "{}.{}.{}",
            b64(br#"{"alg":"PS256","kid":"k"}"#),
            b64(b"{}"),
            b64(b"sig")
        );
        let decoded = crate::token::decode_unverified(&token).unwrap();
        let jwks = serde_json::json!({"keys": []});
        assert!(matches!(
            verify(&token, &decoded, &jwks),
            Verification::NotTried(_)
        ));
    }
}
