//! Pure checks of what `probe` fetched: the issuer URL, the addresses its host
//! resolves to, the discovery document, the JWKS, response shapes (WAF pages,
//! redirects, caching) and timings against AWS's limits.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::Value;

use crate::finding::Finding;
use crate::rules::{self, RuleMeta};
use crate::token::analyze::ACCEPTED_ALGS;

/// AWS gives up on discovery and JWKS after this long.
pub const AWS_LIMIT: Duration = Duration::from_secs(5);
/// Slower than this is reported as a warning.
pub const SLOW: Duration = Duration::from_secs(3);
/// At most this many keys of each type (RSA, EC).
pub const MAX_KEYS_PER_TYPE: usize = 100;

/// The issuer URL as AWS requires it: https, no port. `raw` is the URL as
/// written (messages quote it so), `issuer` the same parsed.
pub fn issuer_url_findings(raw: &str, issuer: &url::Url) -> Vec<Finding> {
    let mut out = Vec::new();
    if issuer.scheme() != "https" {
        out.push(Finding::new(
            &rules::ISSUER_NOT_HTTPS,
            format!(
                "the issuer {raw} uses {}://; IAM providers and STS require https://",
                issuer.scheme()
            ),
        ));
    }
    if let Some(port) = issuer.port() {
        out.push(Finding::new(
            &rules::ISSUER_HAS_PORT,
            format!("the issuer {raw} has the port {port}; IAM provider URLs cannot carry a port"),
        ));
    }
    out
}

/// Loopback, RFC 1918, link-local, CGNAT, unique-local, unspecified: addresses
/// AWS cannot reach from the internet.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// `issuer-private-address` when every address of `host` is private.
pub fn private_address_finding(host: &str, addresses: &[IpAddr]) -> Option<Finding> {
    if addresses.is_empty() || !addresses.iter().all(|a| is_private(*a)) {
        return None;
    }
    let list: Vec<String> = addresses.iter().map(|a| a.to_string()).collect();
    Some(Finding::new(
        &rules::ISSUER_PRIVATE_ADDRESS,
        format!(
            "{host} resolves only to private addresses ({}): AWS cannot reach it from the internet",
            list.join(", ")
        ),
    ))
}

/// Which endpoint a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Discovery,
    Jwks,
}

impl Which {
    pub fn label(self) -> &'static str {
        match self {
            Which::Discovery => "discovery",
            Which::Jwks => "JWKS",
        }
    }
    fn unreachable(self) -> &'static RuleMeta {
        match self {
            Which::Discovery => &rules::DISCOVERY_UNREACHABLE,
            Which::Jwks => &rules::JWKS_UNREACHABLE,
        }
    }
    fn timeout(self) -> &'static RuleMeta {
        match self {
            Which::Discovery => &rules::DISCOVERY_TIMEOUT,
            Which::Jwks => &rules::JWKS_TIMEOUT,
        }
    }
    fn slow(self) -> &'static RuleMeta {
        match self {
            Which::Discovery => &rules::DISCOVERY_SLOW,
            Which::Jwks => &rules::JWKS_SLOW,
        }
    }
}

/// The outcome of one fetch, as the checks need it.
#[derive(Debug, Clone, Default)]
pub struct Response<'a> {
    pub url: &'a str,
    pub status: Option<u16>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    pub redirects: &'a [String],
    /// A redirect that was not followed (then `error` says so too).
    pub refused_redirect: Option<&'a super::fetch::RefusedRedirect>,
    /// Set when the fetch failed (after whatever was measured).
    pub error: Option<&'a str>,
    /// The fetch was cut off by `--timeout`.
    pub timed_out: bool,
    pub elapsed: Option<Duration>,
    /// `--timeout`.
    pub timeout: Duration,
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// Time, reachability, redirects and WAF pages. Returns the findings and whether
/// the body is worth validating as JSON.
pub fn response_findings(which: Which, r: &Response<'_>) -> (Vec<Finding>, bool) {
    let mut out = Vec::new();
    let label = which.label();
    if r.timed_out {
        let elapsed = r.elapsed.unwrap_or(r.timeout);
        if elapsed >= AWS_LIMIT || r.timeout >= AWS_LIMIT {
            out.push(Finding::new(
                which.timeout(),
                format!(
                    "{label} {} did not answer within {} (--timeout); AWS gives up at 5 s",
                    r.url,
                    secs(elapsed)
                ),
            ));
        } else {
            out.push(Finding::new(
                which.unreachable(),
                format!(
                    "{label} {} did not answer within --timeout {}; AWS waits up to 5 s, so whether it would answer in time is unknown",
                    r.url,
                    secs(r.timeout)
                ),
            ));
        }
        return (out, false);
    }
    if let Some(elapsed) = r.elapsed {
        if elapsed > AWS_LIMIT {
            out.push(Finding::new(
                which.timeout(),
                format!(
                    "{label} {} took {}; AWS gives up at 5 s",
                    r.url,
                    secs(elapsed)
                ),
            ));
        } else if elapsed > SLOW {
            out.push(Finding::new(
                which.slow(),
                format!(
                    "{label} {} took {}; AWS gives up at 5 s",
                    r.url,
                    secs(elapsed)
                ),
            ));
        }
    }
    if let Some(refused) = r.refused_redirect {
        let hops: Vec<&str> = r
            .redirects
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(r.url))
            .collect();
        let why = match &refused.refusal {
            super::fetch::Refusal::NotHttps => {
                ": not followed, since STS fetches only https:// (the request was not made)"
                    .to_string()
            }
            super::fetch::Refusal::OffHost { from, to } => format!(
                ", on another host ({to}, not {from}): not followed (the request was not made)"
            ),
        };
        out.push(Finding::new(
            &rules::HTTP_REDIRECT,
            format!(
                "{label} {} redirects to {}{why}",
                hops.join(" → "),
                refused.to
            ),
        ));
    }
    if let Some(e) = r.error {
        out.push(Finding::new(
            which.unreachable(),
            format!("{label} {} could not be fetched: {e}", r.url),
        ));
        return (out, false);
    }
    if !r.redirects.is_empty() {
        out.push(Finding::new(
            &rules::HTTP_REDIRECT,
            format!(
                "{label} {} redirects: {}",
                r.redirects[0],
                r.redirects[1..]
                    .iter()
                    .chain(std::iter::once(&r.url.to_string()))
                    .map(|u| format!("→ {u}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        ));
    }
    let status = r.status.unwrap_or(0);
    let html = r
        .content_type
        .is_some_and(|c| c.to_ascii_lowercase().contains("html"))
        || looks_like_html(r.body);
    if status == 403 || status == 429 || html {
        let what = match status {
            429 => "429 Too Many Requests (a rate limit)".to_string(),
            403 => "403 Forbidden".to_string(),
            s => format!("HTTP {s}"),
        };
        let page = if html { " with an HTML page" } else { "" };
        out.push(Finding::new(
            &rules::WAF_CHALLENGE,
            format!(
                "{label} {} answered {what}{page} instead of JSON: a WAF, bot challenge or rate limit; STS cannot pass it and fails to retrieve the keys",
                r.url
            ),
        ));
        return (out, false);
    }
    if !(200..300).contains(&status) {
        out.push(Finding::new(
            which.unreachable(),
            format!("{label} {} answered HTTP {status}", r.url),
        ));
        return (out, false);
    }
    (out, true)
}

fn looks_like_html(body: &[u8]) -> bool {
    let start: Vec<u8> = body
        .iter()
        .copied()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(15)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    start.starts_with(b"<!doctype html")
        || start.starts_with(b"<html")
        || start.starts_with(b"<head")
}

/// Parses a body as a JSON object; `Err` says why not.
fn json_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(format!(
            "the body is JSON but not an object (found {})",
            crate::token::json_kind(&other)
        )),
        Err(e) => Err(format!("the body is not JSON: {e}")),
    }
}

/// Validates the discovery document for `issuer` (exactly as written). Returns
/// the findings and the `jwks_uri`, when there is a usable one.
pub fn discovery_findings(issuer: &str, body: &[u8]) -> (Vec<Finding>, Option<String>) {
    let mut out = Vec::new();
    let bad = |m: String| Finding::new(&rules::DISCOVERY_INVALID, m);
    let doc = match json_object(body) {
        Ok(d) => d,
        Err(e) => {
            out.push(bad(format!("the discovery document is unusable: {e}")));
            return (out, None);
        }
    };
    match doc.get("issuer") {
        Some(Value::String(s)) if s == issuer => {}
        Some(Value::String(s)) => out.push(bad(format!(
            "the discovery document's issuer is {s:?}, not {issuer:?} exactly ({}); STS requires them to be equal",
            difference(s, issuer)
        ))),
        Some(_) => out.push(bad("the discovery document's `issuer` is not a string".into())),
        None => out.push(bad("the discovery document has no `issuer`".into())),
    }
    let jwks_uri = match doc.get("jwks_uri") {
        Some(Value::String(u)) => match url::Url::parse(u) {
            Ok(parsed) if parsed.scheme() == "https" => Some(u.clone()),
            Ok(parsed) => {
                // Not fetched (see `issuer::probe`): STS would not fetch it either,
                // and a plain-http fetch of keys proves nothing about them.
                out.push(bad(format!(
                    "the discovery document's jwks_uri {u} is {}://, not https://; it was not fetched (STS fetches keys only over https://)",
                    parsed.scheme()
                )));
                Some(u.clone())
            }
            Err(e) => {
                out.push(bad(format!(
                    "the discovery document's jwks_uri {u:?} is not a URL: {e}"
                )));
                None
            }
        },
        Some(_) => {
            out.push(bad(
                "the discovery document's `jwks_uri` is not a string".into()
            ));
            None
        }
        None => {
            out.push(bad("the discovery document has no `jwks_uri`".into()));
            None
        }
    };
    if let Some(algs) = doc.get("id_token_signing_alg_values_supported") {
        let list: Vec<&str> = algs
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !list.iter().any(|a| ACCEPTED_ALGS.contains(a)) {
            out.push(bad(format!(
                "id_token_signing_alg_values_supported is {algs}; none of it is an algorithm STS accepts ({})",
                ACCEPTED_ALGS.join(", ")
            )));
        }
    }
    (out, jwks_uri)
}

/// `jwks-uri-off-host` when the `jwks_uri` is not on the issuer's host.
pub fn off_host_finding(issuer_host: &str, jwks_uri: &url::Url) -> Option<Finding> {
    let host = jwks_uri
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    (!host.eq_ignore_ascii_case(issuer_host)).then(|| {
        Finding::new(
            &rules::JWKS_URI_OFF_HOST,
            format!(
                "the jwks_uri {jwks_uri} is on {host}, not on the issuer's host {issuer_host}: STS fetches the keys there, so that host's TLS certificate (and thumbprint) is the one that counts"
            ),
        )
    })
}

/// How two URLs differ, in words.
fn difference(found: &str, expected: &str) -> String {
    if found.trim_end_matches('/') == expected.trim_end_matches('/') {
        "a trailing slash differs".into()
    } else if found.eq_ignore_ascii_case(expected) {
        "the case differs".into()
    } else if expected.starts_with(found) || found.starts_with(expected) {
        "the path differs".into()
    } else {
        "a different URL".into()
    }
}

/// RSA moduli shorter than this are refused: RFC 7518 §3.3 requires "a key of
/// size 2048 bits or larger" for RS256/384/512, and it is also the floor of the
/// verifier here (aws-lc-rs `RSA_PKCS1_2048_8192_*`).
pub const MIN_RSA_MODULUS_BITS: usize = 2_048;
/// RSA moduli longer than this are refused: AWS-LC, BoringSSL and OpenSSL cap RSA
/// public keys at 16,384 bits (`OPENSSL_RSA_MAX_MODULUS_BITS`), so no common
/// verifier accepts a larger one, and the cost of a verification grows with the
/// square of the modulus (a hostile JWKS could otherwise make each one expensive).
pub const MAX_RSA_MODULUS_BITS: usize = 16_384;
/// RSA public exponents longer than this are refused: AWS-LC's and BoringSSL's
/// `kMaxExponentBits` (a larger exponent only makes verification slower and marks
/// a key nobody generates that way); issuers use 65537, 17 bits.
pub const MAX_RSA_EXPONENT_BITS: usize = 33;
/// At most this many keys get a finding of their own (the number of keys STS
/// accepts of one type, so every key of a JWKS STS would take can be named); past
/// it, one finding says how many more keys are invalid.
pub const MAX_KEY_FINDINGS: usize = MAX_KEYS_PER_TYPE;

/// Members of a JWK that only a private key has.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// How a key is named in messages: its `kid` and its place in `keys`.
fn key_name(kid: Option<&str>, index: usize) -> String {
    match kid {
        Some(k) => format!("key {k:?} (index {index})"),
        None => format!("key {index} (no kid)"),
    }
}

/// A base64url member of a JWK, decoded (`Err` says what is wrong, naming it).
fn b64_member(jwk: &Value, name: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    match jwk.get(name) {
        None => Err(format!("has no `{name}`")),
        Some(Value::String(text)) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| format!("`{name}` is not base64url")),
        Some(other) => Err(format!(
            "`{name}` is {}, not a base64url string",
            crate::token::json_kind(other)
        )),
    }
}

/// The number of significant bits of a big-endian unsigned integer.
fn bit_length(be: &[u8]) -> usize {
    let mut significant = be.iter().skip_while(|b| **b == 0);
    match significant.next() {
        None => 0,
        Some(first) => (1 + significant.count()) * 8 - first.leading_zeros() as usize,
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What is wrong with an RSA public key's `n` and `e` (empty: nothing).
fn rsa_problems(jwk: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match b64_member(jwk, "n") {
        Err(e) => out.push(format!("{e} (the RSA modulus)")),
        Ok(n) => {
            let zeros = n.iter().take_while(|b| **b == 0).count();
            let bits = bit_length(&n);
            if bits == 0 {
                out.push(format!(
                    "the modulus `n` is zero ({} zero octet{})",
                    thousands(n.len()),
                    if n.len() == 1 { "" } else { "s" }
                ));
            } else {
                if zeros > 0 {
                    out.push(format!(
                        "the modulus `n` starts with {} zero octet{} (RFC 7518 §6.3.1.1 forbids leading zeros)",
                        thousands(zeros),
                        if zeros == 1 { "" } else { "s" }
                    ));
                }
                if bits < MIN_RSA_MODULUS_BITS {
                    out.push(format!(
                        "the modulus has {} bits; at least {} are required (RFC 7518 §3.3)",
                        thousands(bits),
                        thousands(MIN_RSA_MODULUS_BITS)
                    ));
                } else if bits > MAX_RSA_MODULUS_BITS {
                    out.push(format!(
                        "the modulus has {} bits; at most {} are accepted (the RSA limit of AWS-LC and OpenSSL)",
                        thousands(bits),
                        thousands(MAX_RSA_MODULUS_BITS)
                    ));
                }
                if n.last().is_some_and(|b| b % 2 == 0) {
                    out.push("the modulus is even, so it is not an RSA modulus".into());
                }
            }
        }
    }
    match b64_member(jwk, "e") {
        Err(e) => out.push(format!("{e} (the RSA exponent)")),
        Ok(e) => {
            let bits = bit_length(&e);
            if e.first() == Some(&0) && bits > 0 {
                out.push("the exponent `e` has leading zero octets".into());
            }
            if bits <= 1 {
                out.push(format!(
                    "the exponent `e` is {bits}; it must be odd and greater than 1 (65537 is usual)"
                ));
            } else if bits > MAX_RSA_EXPONENT_BITS {
                out.push(format!(
                    "the exponent `e` has {} bits; at most {MAX_RSA_EXPONENT_BITS} are accepted (65537 is usual)",
                    thousands(bits)
                ));
            } else if e.last().is_some_and(|b| b % 2 == 0) {
                out.push("the exponent `e` is even; it must be odd (65537 is usual)".into());
            }
        }
    }
    out
}

/// What is wrong with an EC public key on `crv` (one of P-256/384/521; empty: nothing).
fn ec_problems(jwk: &Value, crv: &str) -> Vec<String> {
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ECDSA_P521_SHA512_FIXED, ParsedPublicKey,
        VerificationAlgorithm,
    };
    let (size, algorithm): (usize, &'static dyn VerificationAlgorithm) = match crv {
        "P-256" => (32, &ECDSA_P256_SHA256_FIXED),
        "P-384" => (48, &ECDSA_P384_SHA384_FIXED),
        _ => (66, &ECDSA_P521_SHA512_FIXED),
    };
    let mut out = Vec::new();
    let mut coordinate = |name: &str| match b64_member(jwk, name) {
        Err(e) => {
            out.push(e);
            None
        }
        Ok(c) if c.len() != size => {
            out.push(format!(
                "`{name}` is {} octets; a {crv} coordinate is {size}",
                thousands(c.len())
            ));
            None
        }
        Ok(c) => Some(c),
    };
    let (x, y) = (coordinate("x"), coordinate("y"));
    if let (Some(x), Some(y)) = (x, y) {
        let mut point = Vec::with_capacity(1 + 2 * size);
        point.push(0x04);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        if ParsedPublicKey::new(algorithm, &point).is_err() {
            out.push(format!("the point (`x`, `y`) is not on {crv}"));
        }
    }
    out
}

/// Findings about single keys, at most `cap` of them; the rest are counted.
struct Capped {
    cap: usize,
    found: Vec<Finding>,
    unreported: usize,
}

impl Capped {
    fn new(cap: usize) -> Capped {
        Capped {
            cap,
            found: Vec::new(),
            unreported: 0,
        }
    }

    fn push(&mut self, f: Finding) {
        if self.found.len() < self.cap {
            self.found.push(f);
        } else {
            self.unreported += 1;
        }
    }
}

/// Validates the JWKS: at least one usable key, at most 100 RSA and 100 EC
/// keys, key types and `alg`s STS accepts, unique `kid`s, and every key's own
/// members (`jwks-key-invalid`: RSA modulus and exponent, EC curve and point,
/// missing members, private parts).
pub fn jwks_findings(body: &[u8]) -> Vec<Finding> {
    let mut out = Vec::new();
    let bad = |m: String| Finding::new(&rules::JWKS_INVALID, m);
    let doc = match json_object(body) {
        Ok(d) => d,
        Err(e) => return vec![bad(format!("the JWKS is unusable: {e}"))],
    };
    let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
        return vec![bad("the JWKS has no `keys` list".into())];
    };
    if keys.is_empty() {
        return vec![bad("the JWKS holds no keys".into())];
    }
    let (mut rsa, mut ec, mut usable) = (0usize, 0usize, 0usize);
    let mut per_key = Capped::new(MAX_KEY_FINDINGS);
    // A set: a JWKS of tens of thousands of keys (inside the body cap) stays linear.
    let mut kids: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (i, k) in keys.iter().enumerate() {
        let kid = k.get("kid").and_then(Value::as_str);
        let name = key_name(kid, i);
        if !k.is_object() {
            per_key.push(bad(format!(
                "{name} is {}, not a JSON object",
                crate::token::json_kind(k)
            )));
            continue;
        }
        let kty = match k.get("kty") {
            Some(Value::String(t)) => t.as_str(),
            None => {
                per_key.push(bad(format!(
                    "{name} has no `kty`; STS verifies only RSA and EC keys"
                )));
                continue;
            }
            Some(other) => {
                per_key.push(bad(format!(
                    "{name} has a `kty` that is {}, not a string",
                    crate::token::json_kind(other)
                )));
                continue;
            }
        };
        match kty {
            "RSA" => rsa += 1,
            "EC" => ec += 1,
            other => {
                per_key.push(bad(format!(
                    "{name} has key type {other:?}; STS verifies only RSA and EC keys"
                )));
                continue;
            }
        }
        let alg = k.get("alg").and_then(Value::as_str);
        if let Some(alg) = alg
            && !ACCEPTED_ALGS.contains(&alg)
        {
            per_key.push(bad(format!(
                "{name} is for `{alg}`; STS accepts only {}",
                ACCEPTED_ALGS.join(", ")
            )));
            continue;
        }
        let mut problems = Vec::new();
        if kty == "EC" {
            match k.get("crv") {
                None => problems.push("has no `crv` (the curve)".to_string()),
                Some(Value::String(crv)) if ["P-256", "P-384", "P-521"].contains(&crv.as_str()) => {
                    let wanted = match crv.as_str() {
                        "P-256" => "ES256",
                        "P-384" => "ES384",
                        _ => "ES512",
                    };
                    if let Some(alg) = alg
                        && alg != wanted
                    {
                        problems.push(format!(
                            "its `alg` is {alg}, but a {crv} key signs {wanted}"
                        ));
                    }
                    problems.extend(ec_problems(k, crv));
                }
                Some(other) => {
                    let crv = other
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| other.to_string());
                    per_key.push(bad(format!(
                        "{name} is on curve {crv:?}; STS's ES256/384/512 need P-256, P-384 or P-521"
                    )));
                    continue;
                }
            }
        } else {
            if let Some(alg) = alg
                && !alg.starts_with("RS")
            {
                problems.push(format!("its `alg` is {alg}, which is not an RSA algorithm"));
            }
            problems.extend(rsa_problems(k));
        }
        let private: Vec<&str> = PRIVATE_MEMBERS
            .iter()
            .copied()
            .filter(|m| k.get(*m).is_some())
            .collect();
        if !private.is_empty() {
            problems.push(format!(
                "it publishes private key material ({}): the signing key is exposed and must be replaced",
                private
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !problems.is_empty() {
            per_key.push(Finding::new(
                &rules::JWKS_KEY_INVALID,
                format!("{name}, {kty}: {}", problems.join("; ")),
            ));
            continue;
        }
        usable += 1;
        if let Some(kid) = kid
            && !kids.insert(kid)
        {
            per_key.push(bad(format!("the kid {kid:?} appears more than once")));
        }
    }
    out.append(&mut per_key.found);
    if per_key.unreported > 0 {
        out.push(bad(format!(
            "{} more problems with single keys are not listed: findings about single keys stop at {MAX_KEY_FINDINGS} (MAX_KEY_FINDINGS); every key was still checked, and the counts below include them all",
            thousands(per_key.unreported)
        )));
    }
    if rsa > MAX_KEYS_PER_TYPE {
        out.push(bad(format!(
            "the JWKS holds {rsa} RSA keys; STS accepts at most {MAX_KEYS_PER_TYPE}"
        )));
    }
    if ec > MAX_KEYS_PER_TYPE {
        out.push(bad(format!(
            "the JWKS holds {ec} EC keys; STS accepts at most {MAX_KEYS_PER_TYPE}"
        )));
    }
    if usable == 0 {
        out.push(bad("the JWKS holds no key STS can use".into()));
    }
    out
}

/// `jwks-not-cacheable` for `no-cache`, `no-store` or `max-age=0`.
pub fn cache_finding(url: &str, cache_control: Option<&str>) -> Option<Finding> {
    let cc = cache_control?;
    let lower = cc.to_ascii_lowercase();
    let uncacheable = lower
        .split(',')
        .map(str::trim)
        .any(|d| d == "no-cache" || d == "no-store" || d.replace(' ', "") == "max-age=0");
    uncacheable.then(|| {
        Finding::new(
            &rules::JWKS_NOT_CACHEABLE,
            format!(
                "the JWKS {url} is served with `Cache-Control: {cc}`: every STS call fetches it again, and bursts of parallel jobs get throttled"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_of(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn private_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(a.parse().unwrap()), "{a}");
        }
        for a in ["203.0.113.7", "100.128.0.1", "8.8.8.8", "2001:db8::1"] {
            assert!(!is_private(a.parse().unwrap()), "{a}");
        }
        let mixed = ["10.0.0.1".parse().unwrap(), "8.8.8.8".parse().unwrap()];
        assert!(private_address_finding("h", &mixed).is_none());
        assert!(private_address_finding("h", &mixed[..1]).is_some());
    }

    #[test]
    fn issuer_url_rules() {
        let raw = "http://gitlab.example.com:8443";
        let f = issuer_url_findings(raw, &url::Url::parse(raw).unwrap());
        assert!(
            f[1].message
                .contains("the issuer http://gitlab.example.com:8443 has")
        );
        assert_eq!(rules_of(&f), ["issuer-not-https", "issuer-has-port"]);
        let raw = "https://gitlab.example.com/gl";
        assert!(issuer_url_findings(raw, &url::Url::parse(raw).unwrap()).is_empty());
    }

    #[test]
    fn discovery_issuer_must_match_exactly() {
        let doc = |iss: &str| {
            format!(
                r#"{{"issuer":"{iss}","jwks_uri":"https://h/keys","id_token_signing_alg_values_supported":["RS256"]}}"#
            )
        };
        assert!(
            discovery_findings("https://h", doc("https://h").as_bytes())
                .0
                .is_empty()
        );
        let (f, uri) = discovery_findings("https://h", doc("https://h/").as_bytes());
        assert!(f[0].message.contains("trailing slash"), "{f:?}");
        assert_eq!(uri.as_deref(), Some("https://h/keys"));
        let (f, _) = discovery_findings("https://h", doc("https://H").as_bytes());
        assert!(f[0].message.contains("case"), "{f:?}");
        let (f, uri) = discovery_findings("https://h", b"{\"issuer\":\"https://h\"}");
        assert_eq!(rules_of(&f), ["discovery-invalid"]);
        assert!(uri.is_none());
        let (f, _) = discovery_findings("https://h", b"<html>");
        assert!(f[0].message.contains("not JSON"));
    }

    fn b64(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A real 2,048-bit modulus, generated here.
    fn modulus() -> Vec<u8> {
        use aws_lc_rs::rsa::{KeyPair, KeySize};
        use aws_lc_rs::signature::KeyPair as _;
        let k = KeyPair::generate(KeySize::Rsa2048).unwrap();
        k.public_key()
            .modulus()
            .big_endian_without_leading_zero()
            .to_vec()
    }

    fn rsa_key(kid: &str, n: &[u8], e: &[u8]) -> Value {
        serde_json::json!({"kty": "RSA", "kid": kid, "alg": "RS256", "n": b64(n), "e": b64(e)})
    }

    /// A real P-256 point, generated here: (x, y).
    fn p256_point() -> (Vec<u8>, Vec<u8>) {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
        let k = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let p = k.public_key().as_ref();
        (p[1..33].to_vec(), p[33..65].to_vec())
    }

    fn ec_key(kid: &str, x: &[u8], y: &[u8]) -> Value {
        serde_json::json!({"kty": "EC", "kid": kid, "crv": "P-256", "alg": "ES256", "x": b64(x), "y": b64(y)})
    }

    fn doc(keys: Vec<Value>) -> String {
        serde_json::json!({ "keys": keys }).to_string()
    }

    /// The one `jwks-key-invalid` message for a JWKS of `key` alone.
    fn key_problem(key: Value) -> String {
        let f = jwks_findings(doc(vec![key]).as_bytes());
        assert_eq!(
            rules_of(&f),
            ["jwks-key-invalid", "jwks-invalid"],
            "a bad only key also leaves no usable key: {f:?}"
        );
        f[0].message.clone()
    }

    #[test]
    fn jwks_limits_and_shapes() {
        let n = modulus();
        let key = |kid: &str| rsa_key(kid, &n, &[1, 0, 1]);
        assert!(jwks_findings(doc(vec![key("a")]).as_bytes()).is_empty());
        assert_eq!(
            rules_of(&jwks_findings(doc(vec![]).as_bytes())),
            ["jwks-invalid"]
        );
        let many: Vec<Value> = (0..101).map(|i| key(&i.to_string())).collect();
        let f = jwks_findings(doc(many).as_bytes());
        assert!(
            f.iter().any(|f| f.message.contains("101 RSA keys")),
            "{f:?}"
        );
        let f = jwks_findings(doc(vec![key("a"), key("a")]).as_bytes());
        assert!(f[0].message.contains("more than once"));
        let okp = serde_json::json!({"kty": "OKP", "crv": "Ed25519", "kid": "e", "x": "x"});
        let f = jwks_findings(doc(vec![okp]).as_bytes());
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].message.contains(r#"key "e" (index 0)"#), "{f:?}");
        let f = jwks_findings(doc(vec![serde_json::json!({"n": "x"})]).as_bytes());
        assert!(
            f[0].message.contains("key 0 (no kid) has no `kty`"),
            "{f:?}"
        );
    }

    #[test]
    fn rsa_moduli_are_checked_for_size_and_value() {
        let n = modulus();
        let e = [1u8, 0, 1];
        // The reported case: an all-zero 900,000-character modulus.
        let zero =
            serde_json::json!({"kty": "RSA", "kid": "k1", "n": "A".repeat(900_000), "e": "AQAB"});
        let m = key_problem(zero);
        assert!(
            m.starts_with(
                r#"key "k1" (index 0), RSA: the modulus `n` is zero (675,000 zero octets)"#
            ),
            "{m}"
        );
        let mut padded = vec![0u8];
        padded.extend_from_slice(&n);
        let m = key_problem(rsa_key("p", &padded, &e));
        assert!(m.contains("starts with 1 zero octet (RFC 7518"), "{m}");
        let m = key_problem(rsa_key("s", &n[..128], &e));
        assert!(
            m.contains("the modulus has 1,024 bits; at least 2,048 are required"),
            "{m}"
        );
        let mut huge = vec![0xffu8; 16_384 / 8 + 1];
        huge[0] = 0x01;
        let m = key_problem(rsa_key("h", &huge, &e));
        assert!(
            m.contains("the modulus has 16,385 bits; at most 16,384 are accepted"),
            "{m}"
        );
        let mut even = n.clone();
        if let Some(last) = even.last_mut() {
            *last &= 0xfe;
        }
        assert!(key_problem(rsa_key("v", &even, &e)).contains("the modulus is even"));
        // Near misses: exactly 2,048 and 16,384 bits, odd, pass.
        let mut max = vec![0xffu8; 16_384 / 8];
        max[0] = 0x80;
        assert!(jwks_findings(doc(vec![rsa_key("m", &max, &e)]).as_bytes()).is_empty());
        assert_eq!(bit_length(&n), 2_048);
    }

    #[test]
    fn rsa_exponents_and_members_are_checked() {
        let n = modulus();
        assert!(key_problem(rsa_key("one", &n, &[1])).contains("the exponent `e` is 1"));
        assert!(key_problem(rsa_key("two", &n, &[2])).contains("the exponent `e` is even"));
        let m = key_problem(rsa_key("big", &n, &[1, 0, 0, 0, 0, 1]));
        assert!(
            m.contains("the exponent `e` has 41 bits; at most 33"),
            "{m}"
        );
        assert!(key_problem(rsa_key("lz", &n, &[0, 1, 0, 1])).contains("leading zero octets"));
        let m = key_problem(serde_json::json!({"kty": "RSA", "kid": "no-n", "e": "AQAB"}));
        assert!(m.contains("has no `n` (the RSA modulus)"), "{m}");
        let m = key_problem(serde_json::json!({"kty": "RSA", "kid": "bad", "n": "!!", "e": 3}));
        assert!(
            m.contains("`n` is not base64url")
                && m.contains("`e` is a number, not a base64url string"),
            "{m}"
        );
        let mut private = rsa_key("priv", &n, &[1, 0, 1]);
        private["d"] = Value::String(b64(&n));
        assert!(key_problem(private).contains("publishes private key material (`d`)"));
        let mut wrong_alg = rsa_key("alg", &n, &[1, 0, 1]);
        wrong_alg["alg"] = "ES256".into();
        assert!(key_problem(wrong_alg).contains("`alg` is ES256, which is not an RSA algorithm"));
    }

    #[test]
    fn ec_points_must_lie_on_their_curve() {
        let (x, y) = p256_point();
        assert!(jwks_findings(doc(vec![ec_key("ok", &x, &y)]).as_bytes()).is_empty());
        let mut off = y.clone();
        if let Some(last) = off.last_mut() {
            *last ^= 1;
        }
        let m = key_problem(ec_key("off", &x, &off));
        assert_eq!(
            m,
            r#"key "off" (index 0), EC: the point (`x`, `y`) is not on P-256"#
        );
        let m = key_problem(ec_key("short", &x[..31], &y));
        assert!(
            m.contains("`x` is 31 octets; a P-256 coordinate is 32"),
            "{m}"
        );
        let mut no_y = ec_key("no-y", &x, &y);
        no_y.as_object_mut().map(|o| o.remove("y"));
        assert!(key_problem(no_y).contains("has no `y`"));
        let mut no_crv = ec_key("no-crv", &x, &y);
        no_crv.as_object_mut().map(|o| o.remove("crv"));
        assert!(key_problem(no_crv).contains("has no `crv`"));
        let mut wrong_alg = ec_key("alg", &x, &y);
        wrong_alg["alg"] = "ES384".into();
        assert!(key_problem(wrong_alg).contains("`alg` is ES384, but a P-256 key signs ES256"));
    }

    #[test]
    fn findings_about_single_keys_are_capped_and_the_rest_counted() {
        let zero = |i: usize| serde_json::json!({"kty": "RSA", "kid": i.to_string(), "n": "AAAA", "e": "AQAB"});
        let f = jwks_findings(doc((0..MAX_KEY_FINDINGS + 7).map(zero).collect()).as_bytes());
        let per_key = f.iter().filter(|f| f.rule == "jwks-key-invalid").count();
        assert_eq!(per_key, MAX_KEY_FINDINGS);
        assert!(
            f.iter().any(|f| f
                .message
                .starts_with("7 more problems with single keys are not listed")),
            "{:?}",
            f.last()
        );
        assert!(f.iter().any(|f| f.message.contains("107 RSA keys")));
    }

    #[test]
    fn a_jwks_uri_on_another_host_is_reported_and_the_same_host_is_not() {
        let off = url::Url::parse("https://keys.example.net/jwks.json").unwrap();
        let f = off_host_finding("gitlab.example.com", &off).unwrap();
        assert_eq!(rules_of(std::slice::from_ref(&f)), ["jwks-uri-off-host"]);
        assert_eq!(f.severity, crate::finding::Severity::Info);
        assert!(
            f.message
                .starts_with("the jwks_uri https://keys.example.net/jwks.json is on keys.example.net, not on the issuer's host gitlab.example.com"),
            "{}",
            f.message
        );
        let same = url::Url::parse("https://GitLab.example.com/oauth/discovery/keys").unwrap();
        assert!(off_host_finding("gitlab.example.com", &same).is_none());
    }

    #[test]
    fn a_refused_redirect_is_reported_with_where_it_led() {
        use super::super::fetch::{Refusal, RefusedRedirect};
        let refused = RefusedRedirect {
            to: "https://b.example/x".into(),
            refusal: Refusal::OffHost {
                from: "a.example".into(),
                to: "b.example".into(),
            },
        };
        let redirects = vec!["https://a.example/".to_string()];
        let r = Response {
            url: "https://a.example/moved",
            status: Some(302),
            redirects: &redirects,
            refused_redirect: Some(&refused),
            error: Some("the redirect to https://b.example/x was not followed"),
            timeout: Duration::from_secs(10),
            ..Default::default()
        };
        let (f, usable) = response_findings(Which::Jwks, &r);
        assert!(!usable);
        assert_eq!(rules_of(&f), ["http-redirect", "jwks-unreachable"]);
        assert_eq!(
            f[0].message,
            "JWKS https://a.example/ → https://a.example/moved redirects to https://b.example/x, on another host (b.example, not a.example): not followed (the request was not made)"
        );
    }

    #[test]
    fn caching() {
        assert!(cache_finding("u", Some("max-age=86400, public, must-revalidate")).is_none());
        assert!(cache_finding("u", None).is_none());
        for cc in ["no-cache", "private, no-store", "max-age=0"] {
            assert!(cache_finding("u", Some(cc)).is_some(), "{cc}");
        }
    }

    #[test]
    fn waf_pages_and_times() {
        let r = Response {
            url: "https://h/x",
            status: Some(403),
            content_type: Some("text/html; charset=utf-8"),
            body: b"<html>challenge</html>",
            timeout: Duration::from_secs(10),
            elapsed: Some(Duration::from_millis(3_200)),
            ..Default::default()
        };
        let (f, ok) = response_findings(Which::Discovery, &r);
        assert_eq!(rules_of(&f), ["discovery-slow", "waf-challenge"]);
        assert!(!ok);
        let r = Response {
            status: Some(200),
            content_type: Some("application/json"),
            body: b"{}",
            elapsed: Some(Duration::from_millis(5_100)),
            ..r
        };
        let (f, ok) = response_findings(Which::Jwks, &r);
        assert_eq!(rules_of(&f), ["jwks-timeout"]);
        assert!(ok);
        let slow = Response {
            elapsed: Some(Duration::from_millis(3_001)),
            ..r.clone()
        };
        assert_eq!(
            rules_of(&response_findings(Which::Jwks, &slow).0),
            ["jwks-slow"]
        );
        let quick = Response {
            elapsed: Some(Duration::from_millis(2_999)),
            ..r.clone()
        };
        assert!(response_findings(Which::Jwks, &quick).0.is_empty());
        let cut = Response {
            timed_out: true,
            status: None,
            error: Some("no answer"),
            elapsed: Some(Duration::from_millis(10_000)),
            ..r.clone()
        };
        assert_eq!(
            rules_of(&response_findings(Which::Discovery, &cut).0),
            ["discovery-timeout"]
        );
        // A --timeout below AWS's 5 s cannot tell whether AWS would wait long enough.
        let short = Response {
            timeout: Duration::from_secs(2),
            elapsed: Some(Duration::from_secs(2)),
            ..cut
        };
        assert_eq!(
            rules_of(&response_findings(Which::Discovery, &short).0),
            ["discovery-unreachable"]
        );
    }
}
