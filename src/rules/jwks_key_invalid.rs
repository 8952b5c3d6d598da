//! `jwks-key-invalid`: a JWKS key is malformed: a bad RSA modulus or exponent, an
//! EC point off its curve, missing members, an `alg` that does not fit the key, or
//! published private key material.
//!
//! Reported by `probe`, `decode --verify` and `check` (for fetched keys and `--jwks-file`),
//! from `issuer::validate::jwks_findings`.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "jwks-key-invalid",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"a JWKS key is malformed (RSA modulus or exponent, EC point, missing members, `alg`, private parts)"#,
    aws_error: None,
    fix: r#"publish the signing key's public part exactly as the issuer generated it: RSA with a 2,048–16,384-bit odd modulus and exponent 65537, or EC with both coordinates of a point on P-256, P-384 or P-521"#,
    explanation: r#"Each key in the JWKS is checked the way a verifier parses it. RSA: `n` and `e` present and base64url, without leading zero octets (RFC 7518 §6.3.1.1); the modulus not zero, odd, at least 2,048 bits (RFC 7518 §3.3 for RS256/384/512) and at most 16,384 bits (the RSA limit of AWS-LC, BoringSSL and OpenSSL, `OPENSSL_RSA_MAX_MODULUS_BITS`); the exponent odd, greater than 1 and at most 33 bits long (AWS-LC's and BoringSSL's limit; 65537 is what issuers use). EC: `crv`, `x` and `y` present, each coordinate exactly the curve's size, and the point on the curve (parsed with AWS-LC, which refuses a point off it). Also: an `alg` that names another key type or curve, and private members (`d`, `p`, `q`, …), which expose the signing key. A token signed by a malformed key cannot be verified; what STS does with a malformed key beside good ones is not documented, so the finding has no predicted AWS error of its own (when no usable key is left, `jwks-invalid` reports that). The key is named by its `kid` and its index in `keys`."#,
    bad: r#"{"keys": [{"kty": "RSA", "kid": "k1", "n": "AAAAAAAA…", "e": "AQAB"}]}"#,
    good: r#"{"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": "xjlC…(342 characters: 2,048 bits)", "e": "AQAB"}]}"#,
};
