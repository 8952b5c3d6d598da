//! The `probe` use case: discovery, then its `jwks_uri`, as STS fetches them,
//! with timings, TLS chain analysis, and the thumbprint AWS uses.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::fetch::{Fetched, NetOptions, fetch};
use super::tls::{Roots, TlsInfo, analyze_chain, thumbprint_finding};
use super::validate::{self, Response, Which};
use crate::finding::Finding;
use crate::simulate::{Check, CheckStatus};

/// What to probe and how.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// The issuer URL exactly as given (compared character for character).
    pub issuer: String,
    pub net: NetOptions,
    pub roots: Roots,
    pub now: DateTime<Utc>,
    /// `--thumbprint`: the provider's configured list (lowercase hex).
    pub thumbprints: Vec<String>,
}

/// One endpoint in the report (SPEC §3 `endpoints.*`).
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    #[serde(flatten)]
    pub fetched: Fetched,
    pub tls: Option<TlsInfo>,
}

#[derive(Debug, Clone)]
pub struct ProbeReport {
    pub issuer: String,
    pub discovery: Option<Endpoint>,
    pub jwks: Option<Endpoint>,
    pub findings: Vec<Finding>,
    pub checks: Vec<Check>,
    /// The JWKS document, when one was fetched and is JSON.
    pub jwks_document: Option<Value>,
    /// Why the keys of `jwks_document` cannot be taken for the issuer's, if so:
    /// discovery (which names `jwks_uri`) or the JWKS came over a connection that
    /// did not authenticate its host (no TLS, a chain to no trusted root, expired at
    /// `--now`, or a certificate for another host). `None` with a document: both
    /// came over TLS that validated for their hosts against the trusted roots, and
    /// a signature checked with these keys may be called verified.
    pub keys_unauthenticated: Option<String>,
    /// The thumbprint AWS uses: SHA-1 of the last certificate the JWKS host serves.
    pub thumbprint: Option<String>,
    /// Remarks (proxy in use, …).
    pub notes: Vec<String>,
}

fn check(name: &'static str, status: CheckStatus, detail: impl Into<String>) -> Check {
    Check {
        name,
        status,
        detail: Some(detail.into()),
    }
}

/// Resolves `host` for the private-address check (not for connecting).
async fn resolve(host: &str, port: u16, net: &NetOptions) -> Result<Vec<IpAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    match tokio::time::timeout(net.timeout, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err("DNS did not answer within --timeout".into()),
        Ok(Err(e)) => Err(format!("cannot resolve {host}: {e}")),
        Ok(Ok(addrs)) => {
            let mut ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
            ips.dedup();
            Ok(ips)
        }
    }
}

/// Runs the probe. `Err` only for an issuer that is not a URL at all.
pub async fn probe(opts: &ProbeOptions) -> Result<ProbeReport, String> {
    let issuer = opts.issuer.clone();
    let parsed = url::Url::parse(&issuer)
        .map_err(|e| format!("{issuer:?} is not a URL: {e} (expected e.g. https://gitlab.com)"))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("{issuer:?} has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let mut findings = validate::issuer_url_findings(&issuer, &parsed);
    let mut checks = Vec::new();
    let mut notes = Vec::new();
    checks.push(if findings.is_empty() {
        check("issuer-url", CheckStatus::Passed, "https, no port")
    } else {
        check("issuer-url", CheckStatus::Failed, "see the findings")
    });
    if let Some(p) = &opts.net.proxy
        && !opts.net.overridden(&host, port)
    {
        notes.push(format!(
                "connections go through the proxy {} (HTTPS_PROXY); an intercepting proxy changes the certificate chain, and so the computed thumbprint",
                p.url
            ));
    }

    let discovery_url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let discovery_url = url::Url::parse(&discovery_url)
        .map_err(|e| format!("cannot build the discovery URL {discovery_url:?}: {e}"))?;

    // The DNS check for the private-address rule runs beside the discovery fetch.
    let overridden = opts.net.overridden(&host, port);
    let (discovery, addresses) = tokio::join!(fetch(&discovery_url, &opts.net), async {
        if overridden {
            None
        } else {
            Some(resolve(&host, port, &opts.net).await)
        }
    });
    match addresses {
        None => checks.push(check(
            "issuer-private-address",
            CheckStatus::Skipped,
            format!("--connect-to chooses the address of {host}"),
        )),
        Some(Err(e)) => checks.push(check("issuer-private-address", CheckStatus::Skipped, e)),
        Some(Ok(ips)) => match validate::private_address_finding(&host, &ips) {
            Some(f) => {
                findings.push(f);
                checks.push(check(
                    "issuer-private-address",
                    CheckStatus::Failed,
                    format!("{host} resolves only to private addresses"),
                ));
            }
            None => checks.push(check(
                "issuer-private-address",
                CheckStatus::Passed,
                format!("{host} has a public address"),
            )),
        },
    }

    // Discovery.
    let (mut f, usable) =
        validate::response_findings(Which::Discovery, &response(&discovery, opts));
    let discovery_failed = !f.is_empty();
    findings.append(&mut f);
    let mut jwks_uri = None;
    let mut document_failed = false;
    if usable {
        let (mut f, uri) = validate::discovery_findings(&issuer, &discovery.body);
        document_failed = f
            .iter()
            .any(|f| f.severity == crate::finding::Severity::Error);
        findings.append(&mut f);
        jwks_uri = uri;
    }
    checks.push(check(
        "discovery",
        if usable && jwks_uri.is_some() && !discovery_failed && !document_failed {
            CheckStatus::Passed
        } else {
            CheckStatus::Failed
        },
        discovery.url.clone(),
    ));

    // JWKS.
    let mut jwks = None;
    let mut jwks_document = None;
    match jwks_uri.as_deref().map(url::Url::parse) {
        // Never fetched (`discovery-invalid` says why): STS fetches keys only over
        // https, and keys fetched over plain http would prove nothing.
        Some(Ok(u)) if u.scheme() != "https" => checks.push(check(
            "jwks",
            CheckStatus::Failed,
            format!(
                "{u}: not fetched, a {}:// jwks_uri (STS fetches keys only over https://)",
                u.scheme()
            ),
        )),
        Some(Ok(u)) => {
            // Another host is fetched, as STS does (AWS documents a JWKS host other
            // than the issuer's), and reported.
            findings.extend(validate::off_host_finding(&host, &u));
            let fetched = fetch(&u, &opts.net).await;
            let (mut f, usable) =
                validate::response_findings(Which::Jwks, &response(&fetched, opts));
            let failed = !f.is_empty();
            findings.append(&mut f);
            if usable {
                let mut f = validate::jwks_findings(&fetched.body);
                let invalid = !f.is_empty();
                findings.append(&mut f);
                findings.extend(validate::cache_finding(
                    &fetched.url,
                    fetched.cache_control.as_deref(),
                ));
                jwks_document = serde_json::from_slice::<Value>(&fetched.body).ok();
                checks.push(check(
                    "jwks",
                    if failed || invalid {
                        CheckStatus::Failed
                    } else {
                        CheckStatus::Passed
                    },
                    fetched.url.clone(),
                ));
            } else {
                checks.push(check("jwks", CheckStatus::Failed, fetched.url.clone()));
            }
            jwks = Some(fetched);
        }
        _ => checks.push(check(
            "jwks",
            CheckStatus::Skipped,
            "no usable jwks_uri in the discovery document",
        )),
    }

    // TLS: each distinct served chain once.
    let mut analysed: Vec<(String, String, TlsInfo)> = Vec::new();
    let mut tls_of = |fetched: &Fetched, findings: &mut Vec<Finding>| -> Option<TlsInfo> {
        let chain = fetched.chain.as_ref()?;
        let key = chain
            .iter()
            .map(|c| super::tls::sha256_hex(c))
            .collect::<Vec<_>>()
            .join(",");
        if let Some((_, _, info)) = analysed
            .iter()
            .find(|(h, k, _)| *h == fetched.host && *k == key)
        {
            return Some(info.clone());
        }
        let (info, mut f) = analyze_chain(
            &fetched.host,
            chain,
            fetched.tls_version.clone(),
            opts.now,
            &opts.roots,
        );
        findings.append(&mut f);
        analysed.push((fetched.host.clone(), key, info.clone()));
        Some(info)
    };
    let discovery_tls = tls_of(&discovery, &mut findings);
    let jwks_tls = jwks.as_ref().and_then(|j| tls_of(j, &mut findings));
    let tls_count = analysed.len();

    // The thumbprint AWS uses comes from the JWKS host.
    let (thumb_tls, thumb_host) = match (&jwks_tls, &jwks) {
        (Some(t), Some(j)) => (Some(t), j.host.clone()),
        _ => (discovery_tls.as_ref(), discovery.host.clone()),
    };
    let thumbprint = thumb_tls.and_then(|t| t.thumbprint.clone());
    match (&thumbprint, opts.thumbprints.is_empty()) {
        (_, true) => checks.push(check(
            "thumbprint",
            CheckStatus::Skipped,
            "no --thumbprint given to compare with",
        )),
        (None, false) => checks.push(check(
            "thumbprint",
            CheckStatus::Skipped,
            "no TLS chain was received",
        )),
        (Some(t), false) => {
            let trusted = thumb_tls.is_some_and(|i| i.publicly_trusted);
            match thumbprint_finding(&thumb_host, t, &opts.thumbprints, trusted) {
                Some(f) => {
                    findings.push(f);
                    checks.push(check("thumbprint", CheckStatus::Failed, t.clone()));
                }
                None => checks.push(check("thumbprint", CheckStatus::Passed, t.clone())),
            }
        }
    }
    let keys_unauthenticated = if jwks_document.is_some() {
        key_trust(
            (&discovery, discovery_tls.as_ref()),
            jwks.as_ref().map(|j| (j, jwks_tls.as_ref())),
            &mut findings,
        )
    } else {
        None
    };

    let tls_ok = !findings.iter().any(|f| f.rule.starts_with("tls-"));
    checks.push(if tls_count == 0 {
        check("tls", CheckStatus::Skipped, "no TLS chain was received")
    } else if tls_ok {
        check(
            "tls",
            CheckStatus::Passed,
            "chain complete, in order, valid, publicly trusted",
        )
    } else {
        check("tls", CheckStatus::Failed, "see the findings")
    });

    Ok(ProbeReport {
        issuer,
        discovery: Some(Endpoint {
            fetched: discovery,
            tls: discovery_tls,
        }),
        jwks: jwks.map(|fetched| Endpoint {
            fetched,
            tls: jwks_tls,
        }),
        findings,
        checks,
        jwks_document,
        keys_unauthenticated,
        thumbprint,
        notes,
    })
}

/// Are the keys the issuer's? Only if discovery (which names the `jwks_uri`) and
/// the JWKS both came over TLS that authenticated their hosts. Returns why not
/// (`None`: they are), and says in the TLS finding of each failing host what that
/// means for the keys.
fn key_trust(
    discovery: (&Fetched, Option<&TlsInfo>),
    jwks: Option<(&Fetched, Option<&TlsInfo>)>,
    findings: &mut [Finding],
) -> Option<String> {
    let endpoints: Vec<(&Fetched, Option<&TlsInfo>)> =
        std::iter::once(discovery).chain(jwks).collect();
    let mut reasons: Vec<String> = Vec::new();
    for (fetched, tls) in &endpoints {
        let why = match tls {
            Some(t) => t
                .unauthenticated
                .as_ref()
                .map(|why| format!("{}: {why}", fetched.host)),
            None => Some(format!("{} was not fetched over TLS", fetched.url)),
        };
        if let Some(why) = why
            && !reasons.contains(&why)
        {
            reasons.push(why);
        }
    }
    let jwks_host = jwks.map(|(j, _)| j.host.as_str()).unwrap_or_default();
    let mut hosts: Vec<&str> = Vec::new();
    for (fetched, tls) in &endpoints {
        if tls.is_some_and(|t| t.unauthenticated.is_some())
            && !hosts.contains(&fetched.host.as_str())
        {
            hosts.push(&fetched.host);
        }
    }
    for h in hosts {
        let prefix = format!("{h}:");
        if let Some(f) = findings.iter_mut().find(|f| {
            matches!(
                f.rule,
                "tls-not-publicly-trusted" | "tls-hostname-mismatch" | "tls-expired"
            ) && f.message.starts_with(&prefix)
        }) {
            f.message.push_str(&if h == jwks_host {
                format!("; the keys fetched from {h} are unauthenticated, so a signature checked with them is not verified")
            } else {
                format!("; the jwks_uri read from {h} is unauthenticated, so the keys it names, and a signature checked with them, are not verified")
            });
        }
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

fn response<'a>(f: &'a Fetched, opts: &ProbeOptions) -> Response<'a> {
    Response {
        url: &f.url,
        status: f.status,
        content_type: f.content_type.as_deref(),
        body: &f.body,
        redirects: &f.redirects,
        refused_redirect: f.refused_redirect.as_ref(),
        error: f.error.as_deref(),
        timed_out: f.timed_out,
        elapsed: f.elapsed,
        timeout: opts.net.timeout,
    }
}
