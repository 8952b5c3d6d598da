//! TLS: a certificate verifier that records the chain exactly as the server sent
//! it (and lets the handshake finish, so a broken chain can still be examined),
//! and the chain analysis, which is pure: chain in, verdict and findings out.
//!
//! The verdict is the real one — rustls' WebPKI verification against Mozilla's
//! roots (webpki-roots, an approximation of AWS's trusted CA library) plus
//! `--ca-file` — computed at `--now` rather than at the wall clock.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::rules;

/// Certificates expiring within this many days are reported (`tls-expiring`).
pub const EXPIRING_DAYS: i64 = 30;

/// The trust store: Mozilla's roots plus the `--ca-file` ones.
#[derive(Debug, Clone)]
pub struct Roots {
    pub store: Arc<RootCertStore>,
    /// Subjects (DER contents of the Name) of every root, for "whose issuer is this?".
    pub subjects: Vec<Vec<u8>>,
}

impl Roots {
    /// Mozilla's roots plus `extra` (already parsed from `--ca-file`).
    pub fn new(extra: &[CertificateDer<'static>]) -> Result<Roots, String> {
        let mut store = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for (i, cert) in extra.iter().enumerate() {
            store.add(cert.clone()).map_err(|e| {
                format!(
                    "certificate {} of --ca-file is not a usable root: {e}",
                    i + 1
                )
            })?;
        }
        let subjects = store
            .roots
            .iter()
            .map(|a| a.subject.as_ref().to_vec())
            .collect();
        Ok(Roots {
            store: Arc::new(store),
            subjects,
        })
    }
}

/// Parses a PEM file's certificates (`--ca-file`).
pub fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("not a PEM certificate file: {e:?}"))?;
    if certs.is_empty() {
        return Err("no CERTIFICATE block in the file".into());
    }
    Ok(certs)
}

/// A verifier that accepts any chain but records it; handshake signatures are
/// still verified for real (a server without its key fails the handshake).
#[derive(Debug)]
pub struct RecordingVerifier {
    pub chain: Mutex<Vec<CertificateDer<'static>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl RecordingVerifier {
    pub fn new(provider: Arc<rustls::crypto::CryptoProvider>) -> Arc<Self> {
        Arc::new(RecordingVerifier {
            chain: Mutex::new(Vec::new()),
            provider,
        })
    }

    pub fn recorded(&self) -> Vec<CertificateDer<'static>> {
        self.chain.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The verdict is computed after the handshake by `analyze_chain`, at
        // `--now` and with the configured roots; here the chain is only kept.
        if let Ok(mut chain) = self.chain.lock() {
            chain.clear();
            chain.push(end_entity.clone().into_owned());
            chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// One served certificate, as reported (SPEC §3 `tls.chain[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub sha1: String,
    pub sha256: String,
    #[serde(skip)]
    pub subject_der: Vec<u8>,
    #[serde(skip)]
    pub issuer_der: Vec<u8>,
    #[serde(skip)]
    pub not_before_unix: i64,
    #[serde(skip)]
    pub not_after_unix: i64,
    #[serde(skip)]
    pub is_ca: bool,
}

impl CertInfo {
    fn self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }
}

/// The TLS facts of one endpoint (SPEC §3 `tls`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsInfo {
    pub version: Option<String>,
    pub chain: Vec<CertInfo>,
    pub publicly_trusted: bool,
    /// SHA-1 of the last served certificate, 40 lowercase hex characters.
    pub thumbprint: Option<String>,
    /// The verification verdict in words ("verified against …", or why not).
    pub verdict: String,
    /// Why this connection does not authenticate its host, when it does not: the
    /// chain does not verify against the trusted roots (Mozilla's and `--ca-file`),
    /// is expired at `--now`, or the leaf is not valid for the host. `None` only for
    /// a chain that validated for the host at `--now`; keys fetched over anything
    /// else are unauthenticated, and a signature checked with them is not "verified".
    #[serde(skip)]
    pub unauthenticated: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-1 of a certificate, as `openssl x509 -fingerprint -sha1` gives it (lowercase, no colons).
pub fn sha1_hex(der: &[u8]) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref())
}

pub fn sha256_hex(der: &[u8]) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref())
}

/// The contents of a DER SEQUENCE (a Name without its tag and length), as webpki
/// stores trust anchor subjects.
fn sequence_contents(der: &[u8]) -> &[u8] {
    if der.len() < 2 || der[0] != 0x30 {
        return der;
    }
    let first = der[1] as usize;
    let (len, start) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 || der.len() < 2 + n {
            return der;
        }
        let len = der[2..2 + n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, 2 + n)
    };
    der.get(start..start + len).unwrap_or(der)
}

/// Parses one certificate; `Err` says why it cannot be read.
pub fn cert_info(der: &[u8]) -> Result<CertInfo, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let validity = cert.validity();
    let nb = validity.not_before.timestamp();
    let na = validity.not_after.timestamp();
    let is_ca = cert
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|b| b.value.ca);
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: crate::token::analyze::rfc3339(nb),
        not_after: crate::token::analyze::rfc3339(na),
        sha1: sha1_hex(der),
        sha256: sha256_hex(der),
        subject_der: sequence_contents(cert.subject().as_raw()).to_vec(),
        issuer_der: sequence_contents(cert.issuer().as_raw()).to_vec(),
        not_before_unix: nb,
        not_after_unix: na,
        is_ca,
    })
}

fn unix_time(t: i64) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(t.max(0) as u64))
}

/// Judges a served chain for `host` at `now`: the facts for the report and the
/// findings (`tls-*`). `label` names the endpoint in messages.
pub fn analyze_chain(
    host: &str,
    der_chain: &[CertificateDer<'static>],
    version: Option<String>,
    now: DateTime<Utc>,
    roots: &Roots,
) -> (TlsInfo, Vec<Finding>) {
    let mut findings = Vec::new();
    let mut chain = Vec::new();
    for (i, der) in der_chain.iter().enumerate() {
        match cert_info(der) {
            Ok(c) => chain.push(c),
            Err(e) => {
                let info = TlsInfo {
                    version,
                    chain,
                    publicly_trusted: false,
                    thumbprint: der_chain.last().map(|d| sha1_hex(d)),
                    verdict: format!("certificate {i} cannot be read: {e}"),
                    unauthenticated: Some(format!(
                        "certificate {i} of the served chain cannot be read"
                    )),
                };
                findings.push(Finding::new(
                    &rules::TLS_NOT_PUBLICLY_TRUSTED,
                    format!("{host}: certificate {i} of the served chain cannot be read ({e})"),
                ));
                return (info, findings);
            }
        }
    }
    let thumbprint = chain.last().map(|c| c.sha1.clone());
    let Some(leaf) = chain.first() else {
        let info = TlsInfo {
            version,
            chain,
            publicly_trusted: false,
            thumbprint,
            verdict: "the server sent no certificate".into(),
            unauthenticated: Some("the server sent no certificate".into()),
        };
        return (info, findings);
    };
    let now_unix = now.timestamp();

    // Validity, each certificate.
    for (i, c) in chain.iter().enumerate() {
        if now_unix > c.not_after_unix {
            findings.push(Finding::new(
                &rules::TLS_EXPIRED,
                format!(
                    "{host}: certificate {i} ({}) expired on {} ({} ago)",
                    c.subject,
                    c.not_after,
                    crate::token::analyze::duration_words(now_unix - c.not_after_unix)
                ),
            ));
        } else if now_unix < c.not_before_unix {
            findings.push(Finding::new(
                &rules::TLS_EXPIRED,
                format!(
                    "{host}: certificate {i} ({}) is not valid before {}",
                    c.subject, c.not_before
                ),
            ));
        } else if c.not_after_unix - now_unix < EXPIRING_DAYS * 86_400 {
            findings.push(Finding::new(
                &rules::TLS_EXPIRING,
                format!(
                    "{host}: certificate {i} ({}) expires on {}, in {}",
                    c.subject,
                    c.not_after,
                    crate::token::analyze::duration_words(c.not_after_unix - now_unix)
                ),
            ));
        }
    }

    // Order: each certificate must be issued by the next; a root may end the chain.
    let order_problems = order_problems(&chain);
    if !order_problems.is_empty() {
        let served: Vec<String> = chain
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{i} {}", c.subject))
            .collect();
        findings.push(Finding::new(
            &rules::TLS_CHAIN_ORDER,
            format!(
                "{host}: {}; served: {}",
                order_problems.join("; "),
                served.join(", ")
            ),
        ));
    }

    // Trust, at `now` (or, for an expired chain, inside the leaf's validity, so
    // that expiry and trust are reported separately).
    let parsed = rustls::server::ParsedCertificate::try_from(&der_chain[0]);
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let algs = provider.signature_verification_algorithms.all;
    let trust = |at: i64| match &parsed {
        Ok(p) => rustls::client::verify_server_cert_signed_by_trust_anchor(
            p,
            &roots.store,
            &der_chain[1..],
            unix_time(at),
            algs,
        ),
        Err(e) => Err(e.clone()),
    };
    let mut result = trust(now_unix);
    let expired_at_now = matches!(
        &result,
        Err(rustls::Error::InvalidCertificate(
            CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. }
        ))
    );
    if matches!(
        &result,
        Err(rustls::Error::InvalidCertificate(
            CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. }
        ))
    ) {
        result = trust(leaf.not_before_unix + (leaf.not_after_unix - leaf.not_before_unix) / 2);
    }
    let publicly_trusted = result.is_ok();
    let verdict = match &result {
        Ok(()) => "the chain verifies against Mozilla's roots and --ca-file".to_string(),
        Err(e) => format!("the chain does not verify against the trusted roots: {e}"),
    };

    // Completeness: follow the issuers from the leaf through what was served.
    let top = top_of_path(&chain);
    let top_issuer_is_root = roots.subjects.contains(&top.issuer_der);
    if !publicly_trusted && !top.self_issued() && !top_issuer_is_root && !top.is_ca {
        findings.push(Finding::new(
            &rules::TLS_CHAIN_INCOMPLETE,
            format!(
                "{host}: the server sends no certificate for {}, the issuer of {}; the chain stops at a leaf certificate",
                top.issuer, top.subject
            ),
        ));
    }

    // Host name.
    let mut name_problem = None;
    match (&parsed, ServerName::try_from(host.to_string())) {
        (Ok(p), Ok(name)) => {
            if let Err(e) = rustls::client::verify_server_name(p, &name) {
                name_problem = Some(format!("the certificate is not valid for {host} ({e})"));
                findings.push(Finding::new(
                    &rules::TLS_HOSTNAME_MISMATCH,
                    format!(
                        "{host}: the certificate {} is not valid for {host} ({e})",
                        leaf.subject
                    ),
                ));
            }
        }
        (Err(e), _) => {
            name_problem = Some(format!("the leaf certificate cannot be checked for {host}"));
            findings.push(Finding::new(
                &rules::TLS_HOSTNAME_MISMATCH,
                format!("{host}: the leaf certificate cannot be checked for the host name: {e}"),
            ))
        }
        (_, Err(_)) => {
            name_problem = Some(format!(
                "{host} is not a name a certificate can be checked for"
            ));
        }
    }

    if !publicly_trusted {
        let thumb = thumbprint.clone().unwrap_or_default();
        let last = chain.last().map(|c| c.subject.clone()).unwrap_or_default();
        findings.push(
            Finding::new(
                &rules::TLS_NOT_PUBLICLY_TRUSTED,
                format!(
                    "{host}: {verdict}; AWS then relies on the provider's thumbprint, which must be {thumb} (SHA-1 of the last served certificate, {last})"
                ),
            )
            .help(format!(
                "use a certificate from a public CA, or add the thumbprint: aws iam update-open-id-connect-provider-thumbprint --open-id-connect-provider-arn <arn> --thumbprint-list {thumb}"
            )),
        );
    }

    let unauthenticated = if !publicly_trusted {
        Some(verdict.clone())
    } else if expired_at_now {
        Some(
            "the chain is not valid at --now (a certificate has expired or is not valid yet)"
                .into(),
        )
    } else {
        name_problem
    };
    let info = TlsInfo {
        version,
        chain,
        publicly_trusted,
        thumbprint,
        verdict,
        unauthenticated,
    };
    (info, findings)
}

/// The certificate the issuer path from the leaf ends at, following only what
/// was served.
fn top_of_path(chain: &[CertInfo]) -> &CertInfo {
    let mut current = &chain[0];
    let mut seen = 1;
    while !current.self_issued() && seen < chain.len() {
        match chain
            .iter()
            .find(|c| c.subject_der == current.issuer_der && c.sha256 != current.sha256)
        {
            Some(next) => current = next,
            None => break,
        }
        seen += 1;
    }
    current
}

/// Why the served order is not leaf → intermediate(s) → (root), in words.
fn order_problems(chain: &[CertInfo]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in chain.iter().enumerate() {
        if let Some(j) = chain[..i].iter().position(|p| p.sha256 == c.sha256) {
            out.push(format!("certificate {i} duplicates certificate {j}"));
        }
    }
    if !out.is_empty() {
        return out;
    }
    for i in 1..chain.len() {
        let prev = &chain[i - 1];
        let c = &chain[i];
        if prev.issuer_der != c.subject_der {
            let issued_elsewhere = chain.iter().position(|x| x.subject_der == prev.issuer_der);
            out.push(match issued_elsewhere {
                Some(j) if !prev.self_issued() => format!(
                    "certificate {} ({}) is issued by certificate {j}, but certificate {i} ({}) follows it",
                    i - 1,
                    prev.subject,
                    c.subject
                ),
                _ => format!(
                    "certificate {i} ({}) did not issue certificate {} ({}): unrelated or out of order",
                    c.subject,
                    i - 1,
                    prev.subject
                ),
            });
        }
    }
    out
}

/// Compares the computed thumbprint with the provider's list (`--thumbprint`):
/// an error when AWS relies on it (not publicly trusted), else info.
pub fn thumbprint_finding(
    host: &str,
    computed: &str,
    configured: &[String],
    publicly_trusted: bool,
) -> Option<Finding> {
    if configured.iter().any(|t| t.eq_ignore_ascii_case(computed)) {
        return None;
    }
    let list = configured.join(", ");
    let mut f = Finding::new(
        &rules::THUMBPRINT_MISMATCH,
        if publicly_trusted {
            format!(
                "{host}: the configured thumbprints ({list}) do not include {computed}, but the certificate is publicly trusted, so AWS does not use them"
            )
        } else {
            format!(
                "{host}: the configured thumbprints ({list}) do not include {computed}, the SHA-1 of the last certificate the JWKS host serves; AWS relies on the thumbprint for this certificate"
            )
        },
    );
    if publicly_trusted {
        f.severity = Severity::Info;
        f.aws_error = None;
        f.help = format!(
            "optionally replace the stale thumbprint with {computed}; it is not used while the certificate chains to a trusted CA"
        );
    } else {
        f.help = format!(
            "aws iam update-open-id-connect-provider-thumbprint --open-id-connect-provider-arn <arn> --thumbprint-list {computed}"
        );
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

    const NOW: i64 = 1_767_225_600;

    fn at(days: i64) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(NOW + days * 86_400).unwrap()
    }

    fn ca(cn: &str) -> CertificateParams {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.not_before = at(-100);
        p.not_after = at(1000);
        p
    }

    /// root, intermediate, leaf for `h.example.test`.
    fn chain() -> [CertificateDer<'static>; 3] {
        let root = CertifiedIssuer::self_signed(ca("Root"), KeyPair::generate().unwrap()).unwrap();
        let inter =
            CertifiedIssuer::signed_by(ca("Inter"), KeyPair::generate().unwrap(), &root).unwrap();
        let mut p = CertificateParams::new(vec!["h.example.test".to_string()]).unwrap();
        p.distinguished_name
            .push(DnType::CommonName, "h.example.test");
        p.not_before = at(-10);
        p.not_after = at(100);
        let leaf = p.signed_by(&KeyPair::generate().unwrap(), &inter).unwrap();
        [root.der().clone(), inter.der().clone(), leaf.der().clone()]
    }

    fn judge(
        served: &[CertificateDer<'static>],
        extra: &[CertificateDer<'static>],
    ) -> (TlsInfo, Vec<&'static str>) {
        let roots = Roots::new(extra).unwrap();
        let now = DateTime::from_timestamp(NOW, 0).unwrap();
        let (info, f) = analyze_chain("h.example.test", served, None, now, &roots);
        (info, f.iter().map(|f| f.rule).collect())
    }

    #[test]
    fn chains_are_judged_without_a_network() {
        let [root, inter, leaf] = chain();
        let (info, rules) = judge(&[leaf.clone(), inter.clone()], std::slice::from_ref(&root));
        assert!(rules.is_empty(), "{rules:?}");
        assert!(info.publicly_trusted);
        assert_eq!(info.thumbprint.as_deref(), Some(sha1_hex(&inter).as_str()));
        assert_eq!(info.chain[0].subject, "CN=h.example.test");

        let (_, rules) = judge(
            &[leaf.clone(), root.clone(), inter.clone()],
            std::slice::from_ref(&root),
        );
        assert_eq!(rules, ["tls-chain-order"]);
        let (_, rules) = judge(
            &[leaf.clone(), inter.clone(), inter.clone()],
            std::slice::from_ref(&root),
        );
        assert_eq!(rules, ["tls-chain-order"]);
        let (info, rules) = judge(std::slice::from_ref(&leaf), std::slice::from_ref(&root));
        assert_eq!(rules, ["tls-chain-incomplete", "tls-not-publicly-trusted"]);
        assert_eq!(info.thumbprint.as_deref(), Some(sha1_hex(&leaf).as_str()));
        let (info, rules) = judge(&[leaf, inter], &[]);
        assert_eq!(
            rules,
            ["tls-not-publicly-trusted"],
            "a private CA is not incomplete"
        );
        assert!(!info.publicly_trusted);
    }

    /// Only a chain that verifies against the roots, at `now`, for the host,
    /// authenticates it (and so the keys fetched over it).
    #[test]
    fn only_a_chain_valid_for_the_host_at_now_authenticates_it() {
        let [root, inter, leaf] = chain();
        let served = [leaf, inter];
        let (info, _) = judge(&served, std::slice::from_ref(&root));
        assert_eq!(info.unauthenticated, None);
        let (info, _) = judge(&served, &[]);
        assert!(
            info.unauthenticated
                .as_deref()
                .is_some_and(|w| w.contains("does not verify against the trusted roots")),
            "{info:?}"
        );
        let roots = Roots::new(std::slice::from_ref(&root)).unwrap();
        let now = DateTime::from_timestamp(NOW, 0).unwrap();
        let (info, rules) = analyze_chain("other.example.test", &served, None, now, &roots);
        assert_eq!(
            rules.iter().map(|f| f.rule).collect::<Vec<_>>(),
            ["tls-hostname-mismatch"]
        );
        assert!(
            info.unauthenticated.as_deref().is_some_and(
                |w| w.starts_with("the certificate is not valid for other.example.test")
            ),
            "{info:?}"
        );
        let later = DateTime::from_timestamp(NOW + 200 * 86_400, 0).unwrap();
        let (info, _) = analyze_chain("h.example.test", &served, None, later, &roots);
        assert!(info.publicly_trusted, "trust is judged inside the validity");
        assert!(
            info.unauthenticated
                .as_deref()
                .is_some_and(|w| w.contains("not valid at --now")),
            "{info:?}"
        );
    }

    #[test]
    fn garbage_certificates_are_findings_not_panics() {
        let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01]);
        let (info, rules) = judge(&[junk], &[]);
        assert_eq!(rules, ["tls-not-publicly-trusted"]);
        assert!(info.verdict.contains("cannot be read"));
        let (_, rules) = judge(&[], &[]);
        assert!(rules.is_empty());
    }

    #[test]
    fn thumbprint_severity_follows_trust() {
        let list = vec!["00".repeat(20)];
        let f = thumbprint_finding("h", &"ab".repeat(20), &list, false).unwrap();
        assert_eq!(f.severity, Severity::Error);
        let f = thumbprint_finding("h", &"ab".repeat(20), &list, true).unwrap();
        assert_eq!(f.severity, Severity::Info);
        assert!(thumbprint_finding("h", &"ab".repeat(20), &["AB".repeat(20)], false).is_none());
    }
}
