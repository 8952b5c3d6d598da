//! The `check` use case: the whole diagnosis of one `AssumeRoleWithWebIdentity`
//! call — the call's parameters, the token, the IAM OIDC provider, the issuer's
//! keys, the signature, the expiry, the audience, the trust policy and the role's
//! MaxSessionDuration — ending with a verdict and the error STS will answer.
//!
//! Pure: the command line fetches what it can (the issuer probe, the role and the
//! providers from IAM, the real call with `--assume`) and hands the facts in;
//! everything that judges them is here, so it is tested without a network.

use serde_json::{Map, Value};

use crate::finding::{Finding, Severity};
use crate::iam::evaluate::Decision;
use crate::iam::provider::ProviderArn;
use crate::issuer::probe::ProbeReport;
use crate::issuer::tls::thumbprint_finding;
use crate::policy::Effect;
use crate::rules::{self, PolicyContext};
use crate::simulate::{
    Check, CheckStatus, ClaimsOrigin, PolicySource, RoleArn, SimulateInput, SimulateReport,
    simulate,
};
use crate::token::analyze::{TokenReport, analyze};
use crate::token::verify::{KeyOrigin, Verification, verify_from};

/// STS's bounds for `DurationSeconds`.
pub const MIN_DURATION: i64 = 900;
pub const MAX_DURATION: i64 = 43_200;
/// A role's MaxSessionDuration when it sets none.
pub const DEFAULT_MAX_SESSION: u32 = 3_600;

/// One IAM OIDC provider, as IAM describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInfo {
    pub arn: Option<String>,
    /// The URL as IAM stores it: without `https://`.
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
}

/// What is known about the IAM OIDC provider side.
#[derive(Debug, Clone)]
pub enum ProviderFacts {
    /// Every provider of the role's account, listed from IAM.
    Listed(Vec<ProviderInfo>),
    /// Client IDs and thumbprints given on the command line; the lookup of the
    /// provider by `iss` is not checked.
    Given {
        client_ids: Vec<String>,
        thumbprints: Vec<String>,
    },
    /// Unknown, and why (no `--role-arn`, no credentials, an IAM error).
    Unknown(String),
}

/// The parameters the job passes to the call.
#[derive(Debug, Clone, Default)]
pub struct CallParams {
    pub session_name: Option<String>,
    pub duration_seconds: Option<i64>,
}

/// What the real call answered (`--assume`). Never holds credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssumeOutcome {
    Succeeded {
        assumed_role_arn: String,
        expiration: Option<String>,
    },
    Failed {
        code: String,
        message: String,
    },
    /// The call was not sent, and why: no role ARN or token, or no connection to
    /// STS could be made.
    NotSent(String),
    /// The call was sent, and no usable answer came back (none within the timeout,
    /// the connection closed, or an unreadable answer): what STS decided is unknown.
    SentNoAnswer(String),
}

/// Everything `check` knows when it judges.
#[derive(Debug, Clone)]
pub struct CheckInput {
    /// The raw token, when there is one (else the claims were given).
    pub token: Option<String>,
    /// The claims the request carries (the token's, with `--claim` overrides);
    /// `Err` says why there are none.
    pub claims: Result<Map<String, Value>, String>,
    pub claims_origin: ClaimsOrigin,
    pub context: Vec<(String, Value)>,
    pub role_arn: Option<RoleArn>,
    pub now: chrono::DateTime<chrono::Utc>,
    /// The trust policy, or why it is not known.
    pub policy: Result<PolicySource, String>,
    /// The issuer probe, or why it was skipped (`--offline`, no `iss`).
    pub issuer: Result<ProbeReport, String>,
    /// `--jwks-file`: the keys, the file's name and its own findings.
    pub jwks_file: Option<(Value, String, Vec<Finding>)>,
    pub providers: ProviderFacts,
    /// The role's MaxSessionDuration and where it came from.
    pub max_session: Option<(u32, &'static str)>,
    pub call: CallParams,
    pub assume: Option<AssumeOutcome>,
}

/// Where in STS's order a problem stops the call (SPEC §4, "Predicted AWS
/// error"): an approximation of the order STS checks things in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// `RoleSessionName`, `DurationSeconds` range, token length.
    Request,
    /// The token is not a JWT.
    TokenFormat,
    /// The provider lookup by `iss`.
    ProviderLookup,
    /// Discovery, JWKS, TLS, thumbprint.
    Keys,
    /// Signature and `kid`.
    Signature,
    Expiry,
    /// The audience against the provider's client IDs.
    Audience,
    /// The trust policy (AccessDenied).
    TrustPolicy,
    /// `DurationSeconds` against the role's MaxSessionDuration.
    SessionDuration,
}

impl Stage {
    pub fn title(self) -> &'static str {
        match self {
            Stage::Request => "Call parameters",
            Stage::TokenFormat => "Token",
            Stage::ProviderLookup => "IAM OIDC provider",
            Stage::Keys => "Issuer (discovery, JWKS, TLS)",
            Stage::Signature => "Signature",
            Stage::Expiry => "Expiry",
            Stage::Audience => "Audience",
            Stage::TrustPolicy => "Trust policy",
            Stage::SessionDuration => "Session duration",
        }
    }

    /// The stage of a finding reported by another part (token, probe, policy).
    fn of_rule(rule: &str) -> Stage {
        match rule {
            "token-too-long" | "role-session-name-invalid" => Stage::Request,
            "token-malformed" | "legacy-ci-job-jwt" => Stage::TokenFormat,
            "provider-not-found" => Stage::ProviderLookup,
            "token-alg-unsupported" | "kid-not-in-jwks" | "signature-invalid" => Stage::Signature,
            "token-expired" | "token-not-yet-valid" => Stage::Expiry,
            "audience-not-in-client-ids" | "token-missing-claim" | "multiple-audiences" => {
                Stage::Audience
            }
            r if r.starts_with("discovery-")
                || r.starts_with("jwks-")
                || r.starts_with("tls-")
                || r.starts_with("issuer-") && r != "issuer-provider-mismatch"
                || matches!(r, "http-redirect" | "waf-challenge" | "thumbprint-mismatch") =>
            {
                Stage::Keys
            }
            _ => Stage::TrustPolicy,
        }
    }
}

/// A finding with the stage at which it stops (or would stop) the call.
#[derive(Debug, Clone)]
pub struct StagedFinding {
    pub stage: Stage,
    pub finding: Finding,
}

/// `allowed`, `denied` or `indeterminate` (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Allowed,
    Denied,
    Indeterminate,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Allowed => "allowed",
            Status::Denied => "denied",
            Status::Indeterminate => "indeterminate",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CheckVerdict {
    pub status: Status,
    /// The exact error STS will answer, by SPEC §4's precedence.
    pub predicted_error: Option<String>,
    /// The finding that decides the prediction (index into `findings`).
    pub blocking: Option<usize>,
    pub decisive_statements: Vec<usize>,
    pub unverified: Vec<String>,
    pub depends_on: Vec<String>,
    /// One line: "this token WILL / WILL NOT be able to assume …".
    pub summary: String,
}

/// The real call lined up with the diagnosis.
#[derive(Debug, Clone)]
pub struct AssumeComparison {
    pub outcome: AssumeOutcome,
    /// Whether the real outcome is the predicted one.
    pub as_predicted: bool,
    /// The finding that explains a real error (index into `findings`), if any.
    pub explained_by: Option<usize>,
    /// One line, in plain words.
    pub summary: String,
}

#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Ordered by stage, then severity: what blocks the federation first comes first.
    pub findings: Vec<StagedFinding>,
    pub checks: Vec<Check>,
    pub verdict: CheckVerdict,
    pub token: Option<TokenReport>,
    pub verification: Option<Verification>,
    pub probe: Option<ProbeReport>,
    /// The trust-policy evaluation (absent without a policy).
    pub simulation: Option<SimulateReport>,
    /// The provider STS would use, when the providers were listed and one matches.
    pub provider: Option<ProviderInfo>,
    pub assume: Option<AssumeComparison>,
    pub notes: Vec<String>,
}

impl CheckReport {
    /// The findings alone, in report order.
    pub fn plain_findings(&self) -> Vec<Finding> {
        self.findings.iter().map(|s| s.finding.clone()).collect()
    }
}

fn check(name: &'static str, status: CheckStatus, detail: impl Into<String>) -> Check {
    Check {
        name,
        status,
        detail: Some(detail.into()),
    }
}

/// The audience STS compares with the client IDs: `azp` when present, else `aud`
/// (a list is compared element by element).
fn token_audiences(claims: &Map<String, Value>) -> Option<(&'static str, Vec<String>)> {
    let pick = |name: &'static str| -> Option<(&'static str, Vec<String>)> {
        match claims.get(name)? {
            Value::String(s) => Some((name, vec![s.clone()])),
            Value::Array(items) => Some((
                name,
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
            )),
            _ => None,
        }
    };
    pick("azp").or_else(|| pick("aud"))
}

/// Providers whose URL is close to `wanted` (a trailing slash, case, a scheme
/// left in, another path on the same host): the near misses a user needs to see.
fn near_misses<'p>(wanted: &str, providers: &'p [ProviderInfo]) -> Vec<(&'p ProviderInfo, String)> {
    let host = |u: &str| u.split('/').next().unwrap_or(u).to_ascii_lowercase();
    let norm = |u: &str| {
        u.trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_ascii_lowercase()
    };
    providers
        .iter()
        .filter_map(|p| {
            let why = if p.url.trim_end_matches('/') == wanted.trim_end_matches('/') {
                if p.url.ends_with('/') {
                    "the provider's URL ends with `/`, the token's `iss` does not".to_string()
                } else {
                    "the token's `iss` ends with `/`, the provider's URL does not".to_string()
                }
            } else if norm(&p.url) == norm(wanted) {
                "the URLs differ only in case or scheme; IAM compares them exactly".to_string()
            } else if host(&p.url) == host(wanted) {
                "same host, another path: a GitLab under a relative URL issues tokens with the path"
                    .to_string()
            } else {
                return None;
            };
            Some((p, why))
        })
        .collect()
}

/// Judges the facts. Never fails: what cannot be judged is a skipped check.
pub fn diagnose(input: CheckInput) -> CheckReport {
    let mut staged: Vec<StagedFinding> = Vec::new();
    let mut checks: Vec<Check> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let push = |staged: &mut Vec<StagedFinding>, f: Finding| {
        staged.push(StagedFinding {
            stage: Stage::of_rule(f.rule),
            finding: f,
        })
    };

    // --- The call's parameters (validated before anything else).
    let mut request_problems = 0;
    if let Some(name) = &input.call.session_name {
        let len = name.chars().count();
        let bad_char = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c)));
        let message = match bad_char {
            Some(c) => Some(format!(
                "the role session name {name:?} contains `{c}`; STS accepts only 2–64 characters of [\\w+=,.@-]"
            )),
            None if !(2..=64).contains(&len) => Some(format!(
                "the role session name {name:?} has {len} character{}; STS accepts 2 to 64",
                if len == 1 { "" } else { "s" }
            )),
            None => None,
        };
        if let Some(m) = message {
            let mut f = Finding::new(&rules::ROLE_SESSION_NAME_INVALID, m);
            if let Some(e) = f.aws_error.as_mut() {
                *e = e.replace('…', name);
            }
            push(&mut staged, f);
            request_problems += 1;
        }
    }
    let mut duration_exceeds = None;
    if let Some(d) = input.call.duration_seconds {
        if !(MIN_DURATION..=MAX_DURATION).contains(&d) {
            let mut f = Finding::new(
                &rules::DURATION_EXCEEDS_MAX_SESSION,
                format!(
                    "--duration-seconds {d} is outside what STS accepts (900 to 43,200 seconds)"
                ),
            )
            .help(
                "request between 900 and 43,200 seconds, and at most the role's MaxSessionDuration",
            );
            f.aws_error = Some(format!(
                "ValidationError: 1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value {} to {}",
                if d < MIN_DURATION {
                    "greater than or equal"
                } else {
                    "less than or equal"
                },
                if d < MIN_DURATION {
                    MIN_DURATION
                } else {
                    MAX_DURATION
                }
            ));
            staged.push(StagedFinding {
                stage: Stage::Request,
                finding: f,
            });
            request_problems += 1;
        } else {
            match input.max_session {
                Some((max, from)) if d > i64::from(max) => duration_exceeds = Some((d, max, from)),
                Some(_) => {}
                None if d > i64::from(DEFAULT_MAX_SESSION) => notes.push(format!(
                    "--duration-seconds {d} exceeds the default MaxSessionDuration ({DEFAULT_MAX_SESSION}); the role's own setting is unknown (pass --role-arn with AWS access, or --max-session-duration)"
                )),
                None => {}
            }
        }
    }
    checks.push(
        if input.call.session_name.is_none() && input.call.duration_seconds.is_none() {
            check(
                "call-parameters",
                CheckStatus::Skipped,
                "pass --role-session-name and --duration-seconds as the job sends them",
            )
        } else if request_problems > 0 {
            check(
                "call-parameters",
                CheckStatus::Failed,
                "STS refuses the call's parameters",
            )
        } else {
            check(
                "call-parameters",
                CheckStatus::Passed,
                "the session name and duration are accepted",
            )
        },
    );

    // --- The token.
    let token_report = input.token.as_deref().map(|t| analyze(t, input.now));
    match &token_report {
        Some(r) => {
            for f in &r.findings {
                push(&mut staged, f.clone());
            }
            let failed = r.findings.iter().any(|f| {
                f.severity == Severity::Error
                    && !matches!(f.rule, "token-expired" | "token-not-yet-valid")
            });
            checks.push(check(
                "token",
                if failed {
                    CheckStatus::Failed
                } else {
                    CheckStatus::Passed
                },
                if r.decoded.is_some() {
                    "decoded; header and claims as STS reads them"
                } else {
                    "not a JWT"
                },
            ));
            let expiry_failed = r
                .findings
                .iter()
                .any(|f| matches!(f.rule, "token-expired" | "token-not-yet-valid"));
            checks.push(check(
                "token-expiry",
                if expiry_failed {
                    CheckStatus::Failed
                } else if r.times.iter().any(|t| t.name == "exp") {
                    CheckStatus::Passed
                } else {
                    CheckStatus::Skipped
                },
                match r.times.iter().find(|t| t.name == "exp") {
                    Some(t) => format!("exp {} ({})", t.rfc3339, t.relative),
                    None => "the token has no readable `exp`".into(),
                },
            ));
        }
        None => {
            checks.push(check(
                "token",
                CheckStatus::Skipped,
                "no token: the claims were given with --claim",
            ));
            checks.push(check(
                "token-expiry",
                CheckStatus::Skipped,
                "no token: the claims were given with --claim",
            ));
        }
    }
    let claims = input.claims.as_ref().ok();
    let issuer = claims
        .and_then(|c| c.get("iss"))
        .and_then(Value::as_str)
        .map(str::to_string);

    // --- The provider lookup.
    let mut provider: Option<ProviderInfo> = None;
    let (client_ids, configured_thumbprints): (Option<Vec<String>>, Option<Vec<String>>) =
        match &input.providers {
            ProviderFacts::Listed(list) => match &issuer {
                None => {
                    checks.push(check(
                        "oidc-provider",
                        CheckStatus::Skipped,
                        "the claims have no `iss` to look the provider up by",
                    ));
                    (None, None)
                }
                Some(iss) => {
                    let wanted = iss.strip_prefix("https://").unwrap_or(iss);
                    match list.iter().find(|p| p.url == wanted) {
                        Some(p) => {
                            checks.push(check(
                                "oidc-provider",
                                CheckStatus::Passed,
                                format!(
                                    "{} has the URL {iss}",
                                    p.arn.as_deref().unwrap_or("a provider")
                                ),
                            ));
                            provider = Some(p.clone());
                            (Some(p.client_ids.clone()), Some(p.thumbprints.clone()))
                        }
                        None => {
                            let misses = near_misses(wanted, list);
                            let mut message = format!(
                                "no IAM OIDC provider of the role's account has the URL {iss} (the token's `iss`)"
                            );
                            if misses.is_empty() {
                                let urls: Vec<&str> = list.iter().map(|p| p.url.as_str()).collect();
                                message.push_str(&if urls.is_empty() {
                                    "; the account has no OIDC provider at all".to_string()
                                } else {
                                    format!("; the account has: {}", urls.join(", "))
                                });
                            } else {
                                for (p, why) in &misses {
                                    message.push_str(&format!(
                                        "; near miss: {} ({why})",
                                        p.arn.as_deref().unwrap_or(&p.url)
                                    ));
                                }
                            }
                            let mut f = Finding::new(&rules::PROVIDER_NOT_FOUND_RULE, message)
                                .help(format!(
                                    "aws iam create-open-id-connect-provider --url {iss} --client-id-list <the token's aud>"
                                ));
                            f.aws_error = Some(format!(
                                "InvalidIdentityToken: No OpenIDConnect provider found in your account for {iss}"
                            ));
                            push(&mut staged, f);
                            checks.push(check(
                                "oidc-provider",
                                CheckStatus::Failed,
                                format!("no provider with the URL {iss}"),
                            ));
                            (None, None)
                        }
                    }
                }
            },
            ProviderFacts::Given {
                client_ids,
                thumbprints,
            } => {
                checks.push(check(
                    "oidc-provider",
                    CheckStatus::Skipped,
                    "the provider's client IDs/thumbprints were given on the command line; its lookup by `iss` needs --role-arn and AWS access",
                ));
                (
                    (!client_ids.is_empty()).then(|| client_ids.clone()),
                    (!thumbprints.is_empty()).then(|| thumbprints.clone()),
                )
            }
            ProviderFacts::Unknown(why) => {
                checks.push(check("oidc-provider", CheckStatus::Skipped, why.clone()));
                (None, None)
            }
        };

    // --- The issuer's keys.
    let probe = input.issuer.as_ref().ok().cloned();
    match &input.issuer {
        Ok(p) => {
            for f in &p.findings {
                push(&mut staged, f.clone());
            }
            let failed = p.findings.iter().any(|f| f.severity == Severity::Error);
            checks.push(check(
                "issuer",
                if failed {
                    CheckStatus::Failed
                } else {
                    CheckStatus::Passed
                },
                if failed {
                    "discovery, JWKS or TLS would stop STS (see the findings)".to_string()
                } else {
                    format!(
                        "{}: discovery and JWKS fetched as STS fetches them",
                        p.issuer
                    )
                },
            ));
        }
        Err(why) => checks.push(check("issuer", CheckStatus::Skipped, why.clone())),
    }
    // The thumbprint: only meaningful with both the computed one and a configured list.
    let publicly_trusted = probe
        .as_ref()
        .and_then(|p| p.jwks.as_ref())
        .and_then(|e| e.tls.as_ref())
        .map(|t| t.publicly_trusted);
    match (
        probe.as_ref().and_then(|p| p.thumbprint.clone()),
        &configured_thumbprints,
    ) {
        (Some(computed), Some(configured)) if !configured.is_empty() => {
            let host = probe
                .as_ref()
                .and_then(|p| p.jwks.as_ref())
                .and_then(|e| url::Url::parse(&e.fetched.url).ok())
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            match thumbprint_finding(&host, &computed, configured, publicly_trusted.unwrap_or(false))
            {
                Some(f) => {
                    let status = if f.severity == Severity::Error {
                        CheckStatus::Failed
                    } else {
                        CheckStatus::Passed
                    };
                    push(&mut staged, f);
                    checks.push(check(
                        "thumbprint",
                        status,
                        format!("computed {computed}; configured {}", configured.join(", ")),
                    ));
                }
                None => checks.push(check(
                    "thumbprint",
                    CheckStatus::Passed,
                    format!("{computed} is configured on the provider"),
                )),
            }
        }
        (Some(computed), Some(_)) => checks.push(check(
            "thumbprint",
            CheckStatus::Passed,
            format!("the provider lists no thumbprint (IAM keeps the one it fetched); computed {computed}"),
        )),
        (None, _) => checks.push(check(
            "thumbprint",
            CheckStatus::Skipped,
            "no certificate chain was read from the JWKS host",
        )),
        (Some(computed), None) => checks.push(check(
            "thumbprint",
            CheckStatus::Skipped,
            format!("computed {computed}; the provider's thumbprints are unknown (pass --thumbprint or --role-arn)"),
        )),
    }

    // --- The signature.
    // The keys, where they came from, and why they may not be the issuer's (a
    // `--jwks-file` is the user's own word; fetched keys count only over TLS that
    // validated for the hosts).
    let jwks = match (&input.jwks_file, &probe) {
        (Some((keys, name, findings)), _) => {
            for f in findings {
                push(&mut staged, f.clone());
            }
            Some((keys.clone(), name.clone(), None))
        }
        (None, Some(p)) => p.jwks_document.clone().map(|d| {
            (
                d,
                p.jwks
                    .as_ref()
                    .map(|j| j.fetched.url.clone())
                    .unwrap_or_default(),
                p.keys_unauthenticated.clone(),
            )
        }),
        (None, None) => None,
    };
    let decoded = token_report.as_ref().and_then(|r| r.decoded.as_ref());
    let verification = match (input.token.as_deref(), decoded, &jwks) {
        (Some(t), Some(d), Some((keys, _, unauthenticated))) => {
            let origin = match unauthenticated {
                Some(why) => KeyOrigin::Unauthenticated(why),
                None => KeyOrigin::Authenticated,
            };
            Some(verify_from(t, d, keys, origin))
        }
        _ => None,
    };
    match &verification {
        Some(Verification::Verified(by)) => checks.push(check(
            "token-signature",
            CheckStatus::Passed,
            format!(
                "{by} from {}",
                jwks.as_ref().map(|j| j.1.as_str()).unwrap_or("")
            ),
        )),
        // Not verified: the check is skipped and named in `unverified`.
        Some(Verification::Unauthenticated(why)) => checks.push(check(
            "token-signature",
            CheckStatus::Skipped,
            format!(
                "{why} (keys from {})",
                jwks.as_ref().map(|j| j.1.as_str()).unwrap_or("")
            ),
        )),
        Some(Verification::Failed(f)) => {
            push(&mut staged, (**f).clone());
            checks.push(check(
                "token-signature",
                CheckStatus::Failed,
                f.message.clone(),
            ));
        }
        Some(Verification::NotTried(why)) => {
            checks.push(check("token-signature", CheckStatus::Skipped, why.clone()))
        }
        None => checks.push(check(
            "token-signature",
            CheckStatus::Skipped,
            if input.token.is_none() {
                "no token: the claims were given with --claim"
            } else if decoded.is_none() {
                "the token could not be decoded"
            } else {
                "no keys: the issuer was not fetched and no --jwks-file was given"
            },
        )),
    }

    // --- The audience against the client IDs.
    match (claims.and_then(token_audiences), &client_ids) {
        (Some((claim, auds)), Some(ids)) => {
            if auds.iter().any(|a| ids.contains(a)) {
                checks.push(check(
                    "audience",
                    CheckStatus::Passed,
                    format!("the token's `{claim}` is a client ID of the provider"),
                ));
            } else {
                let shown = auds.join(", ");
                let close = ids.iter().find(|id| {
                    auds.iter()
                        .any(|a| a.eq_ignore_ascii_case(id) || a.trim_end_matches('/') == id.trim_end_matches('/'))
                });
                let mut message = format!(
                    "the token's `{claim}` ({shown}) is not one of the provider's client IDs ({})",
                    ids.join(", ")
                );
                if let Some(c) = close {
                    message.push_str(&format!("; {c:?} differs only in case or a trailing `/`, and IAM compares exactly"));
                }
                if claim == "azp" {
                    message.push_str("; STS uses `azp` when the token has one, not `aud`");
                }
                let f = Finding::new(&rules::AUDIENCE_NOT_IN_CLIENT_IDS, message).help(format!(
                    "aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {} --client-id {}, or set the job's id_tokens aud to {}",
                    provider
                        .as_ref()
                        .and_then(|p| p.arn.as_deref())
                        .unwrap_or("<provider ARN>"),
                    auds.first().map(String::as_str).unwrap_or("<aud>"),
                    ids.first().map(String::as_str).unwrap_or("<client ID>")
                ));
                push(&mut staged, f);
                checks.push(check(
                    "audience",
                    CheckStatus::Failed,
                    format!("{shown} is not a client ID"),
                ));
            }
        }
        (None, _) if claims.is_some() => checks.push(check(
            "audience",
            CheckStatus::Skipped,
            "the claims have no `aud` or `azp`",
        )),
        _ => checks.push(check(
            "audience",
            CheckStatus::Skipped,
            "the provider's client IDs are unknown (pass --role-arn with AWS access, or --provider-client-id)",
        )),
    }

    // --- The trust policy.
    let simulation = match &input.policy {
        Ok(source) => Some(simulate(SimulateInput {
            policy: source.clone(),
            claims: input.claims.clone(),
            claims_origin: input.claims_origin.clone(),
            context: input.context.clone(),
            role_arn: input.role_arn.clone(),
            now: Some(input.now),
        })),
        Err(why) => {
            checks.push(check("trust-policy", CheckStatus::Skipped, why.clone()));
            None
        }
    };
    if let Some(sim) = &simulation {
        let token_said_malformed = staged.iter().any(|s| s.finding.rule == "token-malformed");
        let mut policy_findings: Vec<Finding> = sim
            .findings
            .iter()
            .filter(|f| !(token_said_malformed && f.rule == "token-malformed"))
            .cloned()
            .collect();
        if let Some(policy) = &sim.policy {
            let cx = PolicyContext::new(&sim.path, &sim.source, policy);
            for f in rules::check_policy(&cx) {
                let duplicate = policy_findings.iter().any(|g| {
                    g.rule == f.rule
                        && g.location.as_ref().map(|l| (l.line, l.column))
                            == f.location.as_ref().map(|l| (l.line, l.column))
                });
                if !duplicate {
                    policy_findings.push(f);
                }
            }
            // A provider of another account: say that rather than "no statement
            // trusts the provider".
            if let (Some(role), Some(iss)) = (&input.role_arn, &issuer) {
                let host_path = iss.strip_prefix("https://").unwrap_or(iss);
                let mut foreign = false;
                for s in policy
                    .statements
                    .iter()
                    .filter(|s| s.effect() == Some(Effect::Allow))
                {
                    for v in s
                        .principal
                        .iter()
                        .flat_map(|p| p.value.values_of("Federated"))
                    {
                        if let Ok(arn) = ProviderArn::parse(&v.value)
                            && arn.host_path == host_path
                            && arn.account != role.account
                            && arn.account != crate::policy::DEPLOYING_ACCOUNT
                        {
                            foreign = true;
                            policy_findings.push(
                                    Finding::new(
                                        &rules::ROLE_ACCOUNT_MISMATCH,
                                        format!(
                                            "statement {} trusts {}, a provider of account {}; the role is in account {}, and STS only uses providers of the role's own account",
                                            s.index, v.value, arn.account, role.account
                                        ),
                                    )
                                    .help(format!(
                                        "name arn:{}:iam::{}:oidc-provider/{host_path} (create the provider in that account first)",
                                        role.partition, role.account
                                    ))
                                    .at(crate::finding::Location::from_span(
                                        &sim.path,
                                        &sim.source,
                                        v.span,
                                        Some(&v.pointer),
                                    )),
                                );
                        }
                    }
                }
                if foreign {
                    policy_findings.retain(|f| f.rule != "issuer-provider-mismatch");
                }
            }
        }
        for f in policy_findings {
            push(&mut staged, f);
        }
        for c in &sim.checks {
            if c.name == "trust-policy" || c.name == "policy-json" {
                checks.push(c.clone());
            }
        }
        notes.extend(sim.notes.iter().cloned());
    }

    // --- DurationSeconds against the role's MaxSessionDuration (checked last by STS).
    match (input.call.duration_seconds, input.max_session) {
        (Some(_), _) if duration_exceeds.is_some() => {
            if let Some((d, max, from)) = duration_exceeds {
                staged.push(StagedFinding {
                    stage: Stage::SessionDuration,
                    finding: Finding::new(
                        &rules::DURATION_EXCEEDS_MAX_SESSION,
                        format!("--duration-seconds {d} exceeds the role's MaxSessionDuration of {max} seconds ({from})"),
                    )
                    .help(format!("request at most {max} seconds, or raise the role's MaxSessionDuration (aws iam update-role --max-session-duration {d})")),
                });
                checks.push(check(
                    "max-session-duration",
                    CheckStatus::Failed,
                    format!("{d} > {max}"),
                ));
            }
        }
        (Some(d), Some((max, from))) => checks.push(check(
            "max-session-duration",
            CheckStatus::Passed,
            format!("{d} ≤ {max} ({from})"),
        )),
        (Some(_), None) => checks.push(check(
            "max-session-duration",
            CheckStatus::Skipped,
            "the role's MaxSessionDuration is unknown (pass --role-arn with AWS access, or --max-session-duration)",
        )),
        (None, _) => checks.push(check(
            "max-session-duration",
            CheckStatus::Skipped,
            "no --duration-seconds: STS uses 3,600, which every role allows",
        )),
    }

    // STS refuses a bad signature or an unknown `kid` with InvalidIdentityToken; the
    // exact message is not confirmed, so `…` stands for it (and matches any message
    // when the real answer of `--assume` is lined up).
    for s in staged.iter_mut().filter(|s| {
        s.stage == Stage::Signature
            && s.finding.severity == Severity::Error
            && s.finding.aws_error.is_none()
    }) {
        s.finding.aws_error = Some("InvalidIdentityToken: …".to_string());
    }

    // --- Order: what blocks the federation first comes first.
    staged.sort_by(|a, b| {
        a.stage
            .cmp(&b.stage)
            .then(b.finding.severity.cmp(&a.finding.severity))
    });

    // --- The verdict.
    let decision = simulation
        .as_ref()
        .map(|s| s.verdict.decision)
        .unwrap_or(Decision::Indeterminate);
    let blocking = staged.iter().position(|s| {
        s.stage != Stage::TrustPolicy
            && s.finding.severity == Severity::Error
            && s.finding.aws_error.is_some()
    });
    let policy_denies = matches!(decision, Decision::ImplicitDeny | Decision::ExplicitDeny);
    // The trust policy comes before the session duration in STS's order.
    let first_block = match blocking {
        Some(i) if staged[i].stage == Stage::SessionDuration && policy_denies => {
            staged.iter().position(|s| {
                s.stage == Stage::TrustPolicy
                    && s.finding.aws_error.as_deref() == Some(rules::ACCESS_DENIED)
            })
        }
        Some(i) => Some(i),
        None if policy_denies => staged.iter().position(|s| {
            s.stage == Stage::TrustPolicy
                && s.finding.severity == Severity::Error
                && s.finding.aws_error.as_deref() == Some(rules::ACCESS_DENIED)
        }),
        None => None,
    };
    let status = if blocking.is_some() || policy_denies {
        Status::Denied
    } else if decision == Decision::Allowed {
        Status::Allowed
    } else {
        Status::Indeterminate
    };
    let predicted_error = match (first_block, status) {
        (Some(i), _) => staged[i].finding.aws_error.clone(),
        (None, Status::Denied) => Some(rules::ACCESS_DENIED.to_string()),
        _ => None,
    };
    let unverified: Vec<String> = checks
        .iter()
        .filter(|c| c.status == CheckStatus::Skipped && c.name != "trust-policy")
        .map(|c| c.name.to_string())
        .collect();
    let role = input
        .role_arn
        .as_ref()
        .map(|r| format!("the role {}", r.name))
        .unwrap_or_else(|| "the role".to_string());
    let subject = if input.token.is_some() {
        "this token"
    } else {
        "these claims"
    };
    let summary = match status {
        Status::Allowed if unverified.is_empty() => {
            format!("{subject} WILL be able to assume {role}")
        }
        Status::Allowed => format!(
            "{subject} WILL be able to assume {role}, as far as was checked (not verified: {})",
            unverified.join(", ")
        ),
        Status::Denied => format!(
            "{subject} WILL NOT be able to assume {role}: {}",
            first_block
                .map(|i| staged[i].finding.message.clone())
                .or_else(|| simulation.as_ref().map(|s| s.verdict.summary.clone()))
                .unwrap_or_default()
        ),
        Status::Indeterminate => format!(
            "whether {subject} can assume {role} could not be decided: {}",
            match (&input.policy, &simulation) {
                (Err(why), _) => why.clone(),
                (_, Some(s)) => s.verdict.summary.clone(),
                _ => String::new(),
            }
        ),
    };
    let verdict = CheckVerdict {
        status,
        predicted_error,
        blocking: first_block,
        decisive_statements: simulation
            .as_ref()
            .map(|s| s.verdict.decisive_statements.clone())
            .unwrap_or_default(),
        unverified,
        depends_on: simulation
            .as_ref()
            .map(|s| s.verdict.depends_on.clone())
            .unwrap_or_default(),
        summary,
    };

    // --- The real call, lined up with the diagnosis.
    let assume = input
        .assume
        .clone()
        .map(|outcome| line_up(outcome, &verdict, &staged));
    if let Some(a) = &assume {
        checks.push(check(
            "assume",
            match &a.outcome {
                AssumeOutcome::Succeeded { .. } => CheckStatus::Passed,
                AssumeOutcome::Failed { .. } => CheckStatus::Failed,
                AssumeOutcome::NotSent(_) => CheckStatus::Skipped,
                AssumeOutcome::SentNoAnswer(_) => CheckStatus::Failed,
            },
            a.summary.clone(),
        ));
    }

    CheckReport {
        findings: staged,
        checks,
        verdict,
        token: token_report,
        verification,
        probe,
        simulation,
        provider,
        assume,
        notes,
    }
}

/// The error code and message of an `aws_error` text (`Code: message`).
fn split_error(text: &str) -> (&str, &str) {
    text.split_once(": ").unwrap_or((text, ""))
}

/// Whether a predicted text (where `…` stands for what AWS fills in) matches a
/// real message.
fn message_matches(predicted: &str, real: &str) -> bool {
    let mut rest = real;
    for (i, part) in predicted.split('…').enumerate() {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        match rest.find(part) {
            Some(at) if i > 0 || at == 0 => rest = &rest[at + part.len()..],
            _ => return false,
        }
    }
    true
}

fn line_up(
    outcome: AssumeOutcome,
    verdict: &CheckVerdict,
    staged: &[StagedFinding],
) -> AssumeComparison {
    let (as_predicted, explained_by, summary) = match &outcome {
        AssumeOutcome::Succeeded {
            assumed_role_arn,
            expiration,
        } => {
            let as_predicted = verdict.status == Status::Allowed;
            let summary = format!(
                "AssumeRoleWithWebIdentity succeeded: {assumed_role_arn}{}{}",
                expiration
                    .as_deref()
                    .map(|e| format!(", credentials valid until {e}"))
                    .unwrap_or_default(),
                if as_predicted {
                    String::new()
                } else {
                    format!(
                        " — but the diagnosis predicted {}; a check here is wrong or a fact it used differs from AWS's (please report it)",
                        verdict.predicted_error.as_deref().unwrap_or("no answer")
                    )
                }
            );
            (as_predicted, None, summary)
        }
        AssumeOutcome::Failed { code, message } => {
            let explained_by = staged.iter().position(|s| {
                s.finding.aws_error.as_deref().is_some_and(|e| {
                    let (c, m) = split_error(e);
                    c == code && (m.is_empty() || message_matches(m, message))
                })
            });
            let as_predicted = verdict.predicted_error.as_deref().is_some_and(|p| {
                let (c, m) = split_error(p);
                c == code && (m.is_empty() || message_matches(m, message))
            });
            let summary = match explained_by {
                Some(i) => format!(
                    "AWS answered {code}: {message} — explained by `{}`: {}",
                    staged[i].finding.rule, staged[i].finding.message
                ),
                None => format!(
                    "AWS answered {code}: {message} — none of the findings explains this error; the diagnosis does not see its cause (an organization RCP, a fact that differs from what was checked, or a gap in oidc-doctor)"
                ),
            };
            (as_predicted, explained_by, summary)
        }
        AssumeOutcome::NotSent(why) => (false, None, format!("the call was not sent: {why}")),
        AssumeOutcome::SentNoAnswer(why) => (
            false,
            None,
            format!("the call was sent, but gave no usable answer: {why}"),
        ),
    };
    AssumeComparison {
        outcome,
        as_predicted,
        explained_by,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(url: &str) -> ProviderInfo {
        ProviderInfo {
            arn: Some(format!("arn:aws:iam::123456789012:oidc-provider/{url}")),
            url: url.into(),
            client_ids: vec!["https://gitlab.com".into()],
            thumbprints: vec![],
        }
    }

    #[test]
    fn near_misses_name_the_difference() {
        let list = [
            provider("gitlab.example.com/"),
            provider("GitLab.Example.com"),
            provider("gitlab.example.com/gitlab"),
            provider("other.example.com"),
        ];
        let misses = near_misses("gitlab.example.com", &list);
        let whys: Vec<&str> = misses.iter().map(|(_, w)| w.as_str()).collect();
        assert_eq!(misses.len(), 3, "{whys:?}");
        assert!(whys[0].contains("ends with `/`"));
        assert!(whys[1].contains("case"));
        assert!(whys[2].contains("another path"));
    }

    #[test]
    fn predicted_messages_match_real_ones_with_their_placeholders() {
        assert!(message_matches(
            "No OpenIDConnect provider found in your account for …",
            "No OpenIDConnect provider found in your account for https://gitlab.example.com"
        ));
        assert!(message_matches(
            "Token expired: current date/time … must be before the expiration date/time …",
            "Token expired: current date/time 1767226200 must be before the expiration date/time 1767225660"
        ));
        assert!(message_matches("…", "anything at all"));
        assert!(!message_matches(
            "Incorrect token audience",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity"
        ));
        assert!(!message_matches(
            "token audience",
            "Incorrect token audience"
        ));
    }

    fn staged(rule: &'static crate::rules::RuleMeta, stage: Stage) -> StagedFinding {
        StagedFinding {
            stage,
            finding: Finding::new(rule, "m"),
        }
    }

    fn verdict(status: Status, predicted: Option<&str>) -> CheckVerdict {
        CheckVerdict {
            status,
            predicted_error: predicted.map(str::to_string),
            blocking: None,
            decisive_statements: vec![],
            unverified: vec![],
            depends_on: vec![],
            summary: String::new(),
        }
    }

    #[test]
    fn a_real_error_is_lined_up_with_the_finding_that_explains_it() {
        let findings = [
            staged(&rules::AUDIENCE_NOT_IN_CLIENT_IDS, Stage::Audience),
            staged(&rules::SUB_NOT_ADMITTED, Stage::TrustPolicy),
        ];
        let v = verdict(Status::Denied, Some(rules::INCORRECT_AUDIENCE));
        let a = line_up(
            AssumeOutcome::Failed {
                code: "AccessDenied".into(),
                message: "Not authorized to perform sts:AssumeRoleWithWebIdentity".into(),
            },
            &v,
            &findings,
        );
        assert_eq!(a.explained_by, Some(1));
        assert!(!a.as_predicted, "the prediction was the audience");
        let a = line_up(
            AssumeOutcome::Failed {
                code: "InvalidIdentityToken".into(),
                message: "Incorrect token audience".into(),
            },
            &v,
            &findings,
        );
        assert_eq!(a.explained_by, Some(0));
        assert!(a.as_predicted);
        let a = line_up(
            AssumeOutcome::Failed {
                code: "RegionDisabledException".into(),
                message: "STS is not activated in this region".into(),
            },
            &v,
            &findings,
        );
        assert_eq!(a.explained_by, None);
        assert!(
            a.summary
                .contains("none of the findings explains this error"),
            "{}",
            a.summary
        );
        let a = line_up(
            AssumeOutcome::Succeeded {
                assumed_role_arn: "arn:aws:sts::123456789012:assumed-role/deploy/s".into(),
                expiration: None,
            },
            &v,
            &findings,
        );
        assert!(!a.as_predicted);
        assert!(a.summary.contains("please report it"));
    }

    #[test]
    fn every_rule_check_reports_has_a_stage_before_or_at_the_trust_policy() {
        assert_eq!(Stage::of_rule("jwks-timeout"), Stage::Keys);
        assert_eq!(Stage::of_rule("issuer-has-port"), Stage::Keys);
        assert_eq!(
            Stage::of_rule("issuer-provider-mismatch"),
            Stage::TrustPolicy
        );
        assert_eq!(Stage::of_rule("token-expired"), Stage::Expiry);
        assert_eq!(Stage::of_rule("kid-not-in-jwks"), Stage::Signature);
        assert_eq!(
            Stage::of_rule("wildcard-in-exact-operator"),
            Stage::TrustPolicy
        );
        assert!(Stage::Request < Stage::TokenFormat && Stage::TrustPolicy < Stage::SessionDuration);
    }
}
