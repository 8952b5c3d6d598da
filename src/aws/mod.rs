//! IAM and STS access for `check` (and `--assume`), through the official AWS SDK for Rust.
//!
//! The SDK sits behind the cargo feature `aws` (on by default). Built without it, the same
//! types and methods exist and every call answers [`AwsError::NotBuilt`], so `check` can still
//! run its offline checks and say why the AWS ones were skipped.
//!
//! What the SDK gives us for free and we rely on: the standard credential chain (env,
//! profile/SSO, web identity, ECS, IMDS), `AWS_PROFILE`/`--profile`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL` and the profile's `endpoint_url`. What we add: a default region
//! (`us-east-1`, IAM being global), bounded timeouts and retries, a credential lookup that gives
//! up within seconds instead of waiting on an unreachable IMDS, one error type with one-line
//! messages, and the URL-decoding of trust policies that IAM's query API returns encoded.

use std::fmt;
use std::time::Duration;

#[cfg(feature = "aws")]
mod sdk;

/// Region used when none is configured: IAM is a global service, so a missing region must never
/// be an error, and `us-east-1` is where its (and STS's global) endpoint lives.
pub const DEFAULT_REGION: &str = "us-east-1";

/// How many attempts (first try included) an AWS call gets: one retry smooths a transient
/// failure without multiplying the wait a broken network costs.
pub const MAX_ATTEMPTS: u32 = 2;

/// Upper bound on the credential lookup, so a laptop without credentials is told so quickly
/// instead of waiting on the EC2 metadata service that is not there.
pub const CREDENTIALS_LOOKUP_LIMIT: Duration = Duration::from_secs(4);

/// The one-line hint given when no credentials were found.
pub const NO_CREDENTIALS_HINT: &str = "no AWS credentials found (env, profile, SSO, IMDS); pass --profile or run with --policy to skip the AWS checks";

/// Where and how to reach AWS. `None` means "as the standard AWS configuration says".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// A named profile (`--profile`); else `AWS_PROFILE`, else `default`.
    pub profile: Option<String>,
    /// A region (`--region`); else `AWS_REGION`/the profile; else [`DEFAULT_REGION`].
    pub region: Option<String>,
    /// An endpoint for every service (`--endpoint-url`); else `AWS_ENDPOINT_URL`/the profile.
    pub endpoint_url: Option<String>,
    /// Bound on each whole operation, retries and credential lookup included.
    pub timeout: Duration,
}

impl Default for AwsSettings {
    /// The standard configuration, with the CLI's default `--timeout` of 10 s.
    fn default() -> Self {
        AwsSettings {
            profile: None,
            region: None,
            endpoint_url: None,
            timeout: Duration::from_secs(10),
        }
    }
}

/// What `check` needs to know about a role (iam:GetRole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFacts {
    /// The role's ARN as IAM returns it.
    pub arn: String,
    /// The role's name (without its path).
    pub role_name: String,
    /// The 12-digit account the role lives in.
    pub account: String,
    /// The trust policy JSON text, URL-decoded if IAM returned it URL-encoded (empty if IAM
    /// returned none, which the policy parser then reports).
    pub trust_policy: String,
    /// MaxSessionDuration in seconds (IAM's default is 3,600 when it says nothing).
    pub max_session_duration: Option<u32>,
}

/// An IAM OIDC identity provider of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFacts {
    /// `arn:aws:iam::<account>:oidc-provider/<host[/path]>`.
    pub arn: String,
    /// As IAM returns it: without `https://`.
    pub url: String,
    /// The audiences (client IDs) the provider accepts.
    pub client_ids: Vec<String>,
    /// The configured certificate thumbprints (40 hex characters each).
    pub thumbprints: Vec<String>,
}

/// The outcome of a successful `AssumeRoleWithWebIdentity`.
///
/// By construction it never holds the temporary credentials STS returned: they are dropped
/// where the response is read, so nothing downstream can print them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedRole {
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub assumed_role_arn: String,
    /// `<role id>:<session>`.
    pub assumed_role_id: Option<String>,
    /// When the (discarded) credentials expire, RFC 3339.
    pub expiration: Option<String>,
    /// The token's `sub` as STS read it.
    pub subject_from_web_identity_token: Option<String>,
    /// The audience STS matched (the token's `azp`, else `aud`).
    pub audience: Option<String>,
    /// The issuer of the token, as STS names the provider.
    pub provider: Option<String>,
}

/// Why an AWS call did not give an answer to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsError {
    /// No credentials could be found (or their lookup failed or timed out).
    NoCredentials { detail: String },
    /// AWS answered with an error, e.g. `NoSuchEntity`, `AccessDenied`, `InvalidIdentityToken`.
    /// A role ARN that cannot name a role is refused before any call, with IAM's own code for
    /// it, `ValidationError`.
    Service { code: String, message: String },
    /// The request never left: no connection could be made (refused, DNS, TLS, no
    /// connection within the timeout), or it could not be built. `detail` says which,
    /// naming the endpoint.
    NotSent { detail: String },
    /// The request was sent on an open connection, and no answer came: none within
    /// the timeout, or the connection closed first. `detail` starts with "sent to".
    Unanswered { detail: String },
    /// An answer came that could not be used (unreadable, or not what the API
    /// promises), or a failure of another kind.
    Transport { detail: String },
    /// This binary was built without the `aws` feature.
    NotBuilt,
}

impl AwsError {
    /// The AWS error code, for service errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Service { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AwsError::NoCredentials { detail } => f.write_str(&one_line(detail)),
            AwsError::Service { code, message } if message.is_empty() => {
                write!(f, "AWS answered {code}")
            }
            AwsError::Service { code, message } => {
                write!(f, "AWS answered {code}: {}", one_line(message))
            }
            AwsError::NotSent { detail } => {
                write!(f, "not sent to AWS: {}", one_line(detail))
            }
            AwsError::Unanswered { detail } => {
                write!(f, "AWS did not answer: {}", one_line(detail))
            }
            AwsError::Transport { detail } => {
                write!(f, "could not reach AWS: {}", one_line(detail))
            }
            AwsError::NotBuilt => f.write_str(
                "built without AWS support (the `aws` cargo feature); run with --policy instead",
            ),
        }
    }
}

impl std::error::Error for AwsError {}

/// Collapses whitespace runs (newlines included) so every message stays one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The parts of a role ARN that matter for a call: `arn:<partition>:iam::<account>:role/<path/>name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    /// The 12-digit account.
    pub account: String,
    /// The role name, the last segment after any path (`role/ci/deploy` → `deploy`).
    pub name: String,
}

impl RoleArn {
    /// Parses a role ARN; IAM's `GetRole` takes the name only, and a path would make it fail.
    pub fn parse(arn: &str) -> Result<RoleArn, AwsError> {
        let invalid = |why: &str| AwsError::Service {
            code: "ValidationError".to_string(),
            message: format!(
                "`{}` is not a role ARN ({why}; expected arn:aws:iam::123456789012:role/NAME), checked before calling IAM",
                one_line(arn)
            ),
        };
        let Some(["arn", partition, "iam", "", account, resource]) =
            crate::iam::provider::arn_fields(arn)
        else {
            return Err(invalid(
                "not of the form arn:<partition>:iam::<account>:role/…",
            ));
        };
        if partition.is_empty() {
            return Err(invalid("no partition"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("the account is not 12 digits"));
        }
        let Some(path_and_name) = resource.strip_prefix("role/") else {
            return Err(invalid("the resource is not role/…"));
        };
        let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
        let valid_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
        if name.is_empty() || name.len() > 64 || !name.chars().all(valid_char) {
            return Err(invalid(
                "the role name is not 1–64 characters of [A-Za-z0-9+=,.@_-]",
            ));
        }
        Ok(RoleArn {
            account: account.to_string(),
            name: name.to_string(),
        })
    }
}

#[cfg(feature = "aws")]
pub use sdk::AwsClient;

/// Stand-in for the SDK client when built without the `aws` feature: same API, every call
/// answers [`AwsError::NotBuilt`].
#[cfg(not(feature = "aws"))]
#[derive(Debug, Clone)]
pub struct AwsClient {
    _private: (),
}

#[cfg(not(feature = "aws"))]
impl AwsClient {
    /// Builds nothing: there is no SDK in this binary.
    pub async fn new(_settings: &AwsSettings) -> AwsClient {
        AwsClient { _private: () }
    }

    /// Test hook of the SDK build (fixed credentials instead of the chain); here it builds nothing.
    #[doc(hidden)]
    pub async fn with_static_credentials(
        _settings: &AwsSettings,
        _access_key_id: &str,
        _secret_access_key: &str,
    ) -> AwsClient {
        AwsClient { _private: () }
    }

    /// Always [`AwsError::NotBuilt`].
    pub async fn get_role(&self, _role_arn: &str) -> Result<RoleFacts, AwsError> {
        Err(AwsError::NotBuilt)
    }

    /// Always [`AwsError::NotBuilt`].
    pub async fn list_providers(&self) -> Result<Vec<ProviderFacts>, AwsError> {
        Err(AwsError::NotBuilt)
    }

    /// Always [`AwsError::NotBuilt`].
    pub async fn assume_role_with_web_identity(
        &self,
        _role_arn: &str,
        _token: &str,
        _session_name: &str,
        _duration_seconds: Option<i32>,
    ) -> Result<AssumedRole, AwsError> {
        Err(AwsError::NotBuilt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arn_with_a_path_yields_the_last_segment() {
        let arn = RoleArn::parse("arn:aws:iam::123456789012:role/ci/deploy").unwrap();
        assert_eq!(arn.account, "123456789012");
        assert_eq!(arn.name, "deploy");
        let plain = RoleArn::parse("arn:aws-us-gov:iam::123456789012:role/Deploy").unwrap();
        assert_eq!(plain.name, "Deploy");
    }

    #[test]
    fn malformed_role_arns_are_validation_errors() {
        for bad in [
            "",
            "deploy",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::12345:role/x",
            "arn:aws:sts::123456789012:role/x",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/ci/",
            "arn:aws:iam::123456789012:role/has space",
            "arn::iam::123456789012:role/x",
        ] {
            let err = RoleArn::parse(bad).unwrap_err();
            assert_eq!(err.code(), Some("ValidationError"), "{bad}");
        }
    }

    #[test]
    fn display_is_one_line() {
        let err = AwsError::Service {
            code: "NoSuchEntity".into(),
            message: "The role with name x\ncannot be found.".into(),
        };
        assert_eq!(
            err.to_string(),
            "AWS answered NoSuchEntity: The role with name x cannot be found."
        );
        assert!(!AwsError::NotBuilt.to_string().contains('\n'));
        let err = AwsError::NoCredentials {
            detail: NO_CREDENTIALS_HINT.into(),
        };
        assert_eq!(err.to_string(), NO_CREDENTIALS_HINT);
    }

    #[cfg(not(feature = "aws"))]
    #[test]
    fn without_the_feature_every_call_is_not_built() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let client = AwsClient::new(&AwsSettings::default()).await;
            assert_eq!(
                client.get_role("arn:aws:iam::123456789012:role/x").await,
                Err(AwsError::NotBuilt)
            );
            assert_eq!(client.list_providers().await, Err(AwsError::NotBuilt));
            assert_eq!(
                client
                    .assume_role_with_web_identity("arn", "t", "s", None)
                    .await,
                Err(AwsError::NotBuilt)
            );
        });
    }
}
