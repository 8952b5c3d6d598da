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
                out.push(bad(format!(
                    "the discovery document's jwks_uri {u} is {}://, not https://",
                    parsed.scheme()
                )));
                // Still fetched, to report what is there.
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

/// Validates the JWKS: at least one usable key, at most 100 RSA and 100 EC
/// keys, key types and `alg`s STS accepts, unique `kid`s.
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
    let mut kids: Vec<&str> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let kid = k.get("kid").and_then(Value::as_str);
        let name = kid
            .map(|k| format!("key {k:?}"))
            .unwrap_or_else(|| format!("key {i}"));
        let kty = k.get("kty").and_then(Value::as_str).unwrap_or("");
        match kty {
            "RSA" => rsa += 1,
            "EC" => ec += 1,
            other => {
                out.push(bad(format!(
                    "{name} has key type {other:?}; STS verifies only RSA and EC keys"
                )));
                continue;
            }
        }
        if let Some(alg) = k.get("alg").and_then(Value::as_str)
            && !ACCEPTED_ALGS.contains(&alg)
        {
            out.push(bad(format!(
                "{name} is for `{alg}`; STS accepts only {}",
                ACCEPTED_ALGS.join(", ")
            )));
            continue;
        }
        if kty == "EC" {
            let crv = k.get("crv").and_then(Value::as_str).unwrap_or("");
            if !["P-256", "P-384", "P-521"].contains(&crv) {
                out.push(bad(format!(
                    "{name} is on curve {crv:?}; STS's ES256/384/512 need P-256, P-384 or P-521"
                )));
                continue;
            }
        }
        usable += 1;
        if let Some(kid) = kid {
            if kids.contains(&kid) {
                out.push(bad(format!("the kid {kid:?} appears more than once")));
            }
            kids.push(kid);
        }
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

    #[test]
    fn jwks_limits_and_shapes() {
        let key = |kid: &str| serde_json::json!({"kty": "RSA", "kid": kid, "n": "x", "e": "AQAB"});
        let doc = |keys: Vec<Value>| serde_json::json!({ "keys": keys }).to_string();
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
