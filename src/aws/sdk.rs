//! The SDK-backed [`AwsClient`] (feature `aws`).

use std::error::Error as StdError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::Region;
use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::environment::EnvironmentVariableRegionProvider;
use aws_config::identity::IdentityCache;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::region::ProfileFileRegionProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sts::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sts::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sts::primitives::DateTimeFormat;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connection::CaptureSmithyConnection;
use futures_util::StreamExt;

use super::{
    AssumedRole, AwsError, AwsSettings, CREDENTIALS_LOOKUP_LIMIT, DEFAULT_REGION, MAX_ATTEMPTS,
    NO_CREDENTIALS_HINT, ProviderFacts, RoleArn, RoleFacts, one_line,
};

/// How many GetOpenIDConnectProvider calls run at once: accounts rarely have more than a few
/// providers, and a small bound keeps IAM's request throttling out of the picture.
const PROVIDER_CONCURRENCY: usize = 4;

/// IAM and STS clients configured once from [`AwsSettings`].
#[derive(Debug, Clone)]
pub struct AwsClient {
    iam: aws_sdk_iam::Client,
    /// Carries no credentials at all: AssumeRoleWithWebIdentity is an unsigned call.
    sts: aws_sdk_sts::Client,
    timeout: Duration,
}

impl AwsClient {
    /// Builds the clients from the standard AWS configuration and the credential chain
    /// (env, profile/SSO, web identity, ECS, IMDS). Nothing is contacted yet, and nothing here
    /// can fail: problems surface, as [`AwsError`], on the first call.
    pub async fn new(settings: &AwsSettings) -> AwsClient {
        let region = resolve_region(settings).await;
        let limit = credentials_limit(settings.timeout);
        // The default IMDS client retries 4 times with 1 s timeouts; off EC2 that is seconds of
        // waiting for an answer that never comes. One short attempt is enough to find it on EC2.
        let imds = aws_config::imds::Client::builder()
            .connect_timeout(limit.min(Duration::from_secs(1)))
            .read_timeout(limit.min(Duration::from_secs(1)))
            .operation_timeout(limit)
            .max_attempts(1)
            .build();
        let mut chain = DefaultCredentialsChain::builder()
            .region(region.clone())
            .imds_client(imds);
        if let Some(profile) = &settings.profile {
            chain = chain.profile_name(profile);
        }
        let credentials = BoundedCredentials {
            inner: SharedCredentialsProvider::new(chain.build().await),
            limit,
        };
        Self::build(
            settings,
            region,
            SharedCredentialsProvider::new(credentials),
        )
        .await
    }

    /// Test hook: fixed credentials instead of the chain, so tests need not touch the
    /// process-global environment.
    #[doc(hidden)]
    pub async fn with_static_credentials(
        settings: &AwsSettings,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> AwsClient {
        let region = resolve_region(settings).await;
        let credentials = Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "oidc-doctor-static",
        );
        Self::build(
            settings,
            region,
            SharedCredentialsProvider::new(credentials),
        )
        .await
    }

    async fn build(
        settings: &AwsSettings,
        region: Region,
        credentials: SharedCredentialsProvider,
    ) -> AwsClient {
        let timeouts = TimeoutConfig::builder()
            .operation_timeout(settings.timeout)
            .operation_attempt_timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .build();
        // Our provider gives up first, with a clear CredentialsError; this is the backstop.
        let identity_cache = IdentityCache::lazy()
            .load_timeout(credentials_limit(settings.timeout) + Duration::from_secs(1))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .credentials_provider(credentials)
            .identity_cache(identity_cache)
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = &settings.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let sdk = loader.load().await;
        let iam = aws_sdk_iam::Client::new(&sdk);
        let mut sts = aws_sdk_sts::config::Builder::from(&sdk);
        sts.set_credentials_provider(None);
        AwsClient {
            iam,
            sts: aws_sdk_sts::Client::from_conf(sts.build()),
            timeout: settings.timeout,
        }
    }

    /// iam:GetRole by the role name in `role_arn` (a path is allowed and ignored, as GetRole
    /// takes the bare name).
    ///
    /// IAM looks the name up in the account of the *credentials*: when that is not the ARN's
    /// account, the facts describe a different role, and `RoleFacts::arn`/`account` say so
    /// (compare them with `role_arn`).
    pub async fn get_role(&self, role_arn: &str) -> Result<RoleFacts, AwsError> {
        let asked = RoleArn::parse(role_arn)?;
        let dispatch = Dispatch::default();
        let out = self
            .iam
            .get_role()
            .role_name(&asked.name)
            .customize()
            .interceptor(dispatch.clone())
            .send()
            .await
            .map_err(|e| map_sdk_error(e, self.timeout, &dispatch))?;
        let role = out.role().ok_or_else(|| AwsError::Transport {
            detail: "IAM answered GetRole without a Role".to_string(),
        })?;
        let account = RoleArn::parse(role.arn())
            .map(|r| r.account)
            .unwrap_or(asked.account);
        Ok(RoleFacts {
            arn: role.arn().to_string(),
            role_name: role.role_name().to_string(),
            account,
            trust_policy: role
                .assume_role_policy_document()
                .map(decode_policy_document)
                .unwrap_or_default(),
            max_session_duration: role
                .max_session_duration()
                .and_then(|s| u32::try_from(s).ok()),
        })
    }

    /// The account's IAM OIDC providers: ListOpenIDConnectProviders, then
    /// GetOpenIDConnectProvider for each, a few at a time, in the listed order. A provider
    /// deleted between the two calls is left out.
    pub async fn list_providers(&self) -> Result<Vec<ProviderFacts>, AwsError> {
        let dispatch = Dispatch::default();
        let listed = self
            .iam
            .list_open_id_connect_providers()
            .customize()
            .interceptor(dispatch.clone())
            .send()
            .await
            .map_err(|e| map_sdk_error(e, self.timeout, &dispatch))?;
        let arns: Vec<String> = listed
            .open_id_connect_provider_list()
            .iter()
            .filter_map(|entry| entry.arn().map(str::to_string))
            .collect();
        let fetched: Vec<Result<Option<ProviderFacts>, AwsError>> =
            futures_util::stream::iter(arns.into_iter().map(|arn| self.get_provider(arn)))
                .buffered(PROVIDER_CONCURRENCY)
                .collect()
                .await;
        let mut providers = Vec::with_capacity(fetched.len());
        for provider in fetched {
            if let Some(provider) = provider? {
                providers.push(provider);
            }
        }
        Ok(providers)
    }

    async fn get_provider(&self, arn: String) -> Result<Option<ProviderFacts>, AwsError> {
        let dispatch = Dispatch::default();
        let out = match self
            .iam
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .customize()
            .interceptor(dispatch.clone())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                return match map_sdk_error(e, self.timeout, &dispatch) {
                    AwsError::Service { code, .. } if code == "NoSuchEntity" => Ok(None),
                    other => Err(other),
                };
            }
        };
        let url = match out.url() {
            Some(url) => url.to_string(),
            // IAM always sends it; the ARN carries the same host/path as a fallback.
            None => arn
                .split_once(":oidc-provider/")
                .map(|(_, url)| url.to_string())
                .unwrap_or_default(),
        };
        Ok(Some(ProviderFacts {
            arn,
            url,
            client_ids: out.client_id_list().to_vec(),
            thumbprints: out.thumbprint_list().to_vec(),
        }))
    }

    /// sts:AssumeRoleWithWebIdentity, exactly as the CI job would call it: unsigned (the SDK
    /// models it as no-auth, and this client has no credentials to sign with anyway), so it
    /// works on a machine without any AWS credentials. The temporary credentials in the answer
    /// are dropped here; only the outcome is returned.
    pub async fn assume_role_with_web_identity(
        &self,
        role_arn: &str,
        token: &str,
        session_name: &str,
        duration_seconds: Option<i32>,
    ) -> Result<AssumedRole, AwsError> {
        let dispatch = Dispatch::default();
        let out = self
            .sts
            .assume_role_with_web_identity()
            .role_arn(role_arn)
            .web_identity_token(token)
            .role_session_name(session_name)
            .set_duration_seconds(duration_seconds)
            .customize()
            .interceptor(dispatch.clone())
            .send()
            .await
            .map_err(|e| map_sdk_error(e, self.timeout, &dispatch))?;
        let user = out.assumed_role_user().ok_or_else(|| AwsError::Transport {
            detail: "STS answered AssumeRoleWithWebIdentity without AssumedRoleUser".to_string(),
        })?;
        Ok(AssumedRole {
            assumed_role_arn: user.arn().to_string(),
            assumed_role_id: Some(user.assumed_role_id().to_string()),
            expiration: out
                .credentials()
                .and_then(|c| c.expiration().fmt(DateTimeFormat::DateTime).ok()),
            subject_from_web_identity_token: out
                .subject_from_web_identity_token()
                .map(str::to_string),
            audience: out.audience().map(str::to_string),
            provider: out.provider().map(str::to_string),
        })
    }
}

/// `--region`, else `AWS_REGION`/`AWS_DEFAULT_REGION`, else the profile's, else us-east-1.
/// IMDS is deliberately not asked: IAM is global, and an unreachable IMDS would cost seconds.
async fn resolve_region(settings: &AwsSettings) -> Region {
    if let Some(region) = &settings.region {
        return Region::new(region.clone());
    }
    let mut profile = ProfileFileRegionProvider::builder();
    if let Some(name) = &settings.profile {
        profile = profile.profile_name(name);
    }
    RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(profile.build())
        .region()
        .await
        .unwrap_or_else(|| Region::new(DEFAULT_REGION))
}

/// The credential lookup gets at most half the operation's time, so it fails as
/// "no credentials" (what the user must fix) before the operation fails as a timeout.
fn credentials_limit(timeout: Duration) -> Duration {
    CREDENTIALS_LOOKUP_LIMIT.min(timeout / 2)
}

/// Wraps the credential chain in a deadline, so its failure is always a [`CredentialsError`]
/// (recognisable as "no credentials") rather than a generic identity-cache timeout.
#[derive(Debug)]
struct BoundedCredentials {
    inner: SharedCredentialsProvider,
    limit: Duration,
}

impl ProvideCredentials for BoundedCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            match tokio::time::timeout(self.limit, self.inner.provide_credentials()).await {
                Ok(result) => result,
                Err(_) => Err(CredentialsError::provider_timed_out(self.limit)),
            }
        })
    }
}

/// One attempt of an operation as it was handed to the HTTP client: where it went,
/// and the handle that says whether its connection was established.
#[derive(Debug, Clone)]
struct Attempt {
    uri: String,
    connection: Option<CaptureSmithyConnection>,
}

impl Attempt {
    /// Whether the attempt had an open connection (TCP, and TLS for https), on
    /// which the request was then written: the line between "not sent" and "sent".
    fn connected(&self) -> bool {
        self.connection.as_ref().is_some_and(|c| c.get().is_some())
    }
}

/// Records each attempt of one operation (an interceptor on that operation only),
/// so that a failure can be told apart: not sent (no connection) from sent and
/// unanswered. The SDK's own connection-poisoning interceptor puts the
/// [`CaptureSmithyConnection`] of the attempt in the config bag before transmit;
/// the HTTP client fills it in once the connection is up.
#[derive(Debug, Clone, Default)]
struct Dispatch {
    /// At most [`MAX_ATTEMPTS`] entries, one per attempt.
    attempts: Arc<Mutex<Vec<Attempt>>>,
}

impl Dispatch {
    /// The last attempt, and whether an earlier one was sent.
    fn last(&self) -> (Option<Attempt>, bool) {
        match self.attempts.lock() {
            Ok(a) => {
                let earlier = a.len().saturating_sub(1);
                (
                    a.last().cloned(),
                    a.iter().take(earlier).any(Attempt::connected),
                )
            }
            Err(_) => (None, false),
        }
    }
}

impl Intercept for Dispatch {
    fn name(&self) -> &'static str {
        "oidc-doctor::aws::Dispatch"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = Attempt {
            uri: context.request().uri().to_string(),
            connection: cfg.load::<CaptureSmithyConnection>().cloned(),
        };
        if let Ok(mut attempts) = self.attempts.lock() {
            attempts.push(attempt);
        }
        Ok(())
    }
}

/// Why a connection failed, in a few words (the I/O error's kind, or hyper's own
/// description), else the whole error on one line.
fn failure_words(err: &(dyn StdError + 'static)) -> String {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            return match io.kind() {
                ErrorKind::ConnectionRefused => "connection refused".to_string(),
                ErrorKind::ConnectionReset => "connection reset".to_string(),
                ErrorKind::ConnectionAborted => "connection aborted".to_string(),
                ErrorKind::TimedOut => "timed out".to_string(),
                ErrorKind::UnexpectedEof => "the connection closed".to_string(),
                _ => one_line(&io.to_string()),
            };
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            return one_line(&h.to_string());
        }
        current = e.source();
    }
    one_line(&DisplayErrorContext(err).to_string())
}

/// One [`AwsError`] for every SDK failure: AWS's own errors keep their code and message,
/// credential problems become `NoCredentials`; a failure without an answer is `NotSent`
/// when the last attempt never had a connection and `Unanswered` when it had one (the
/// request was written on it); an answer that cannot be used is `Transport`.
fn map_sdk_error<E>(err: SdkError<E>, timeout: Duration, dispatch: &Dispatch) -> AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    if let Some(cred) = credentials_error_in(&err) {
        return AwsError::NoCredentials {
            detail: describe_credentials_error(cred),
        };
    }
    let within = human_duration(timeout);
    let (last, earlier_sent) = dispatch.last();
    let note = if earlier_sent {
        " (after an earlier attempt that was sent and failed)"
    } else {
        ""
    };
    match &err {
        SdkError::ServiceError(ctx) => {
            let e = ctx.err();
            let code = match e.code() {
                Some(code) => code.to_string(),
                None => format!("HTTP {}", ctx.raw().status().as_u16()),
            };
            AwsError::Service {
                code,
                message: e.message().map(one_line).unwrap_or_default(),
            }
        }
        SdkError::TimeoutError(_) => match last {
            Some(a) if a.connected() => AwsError::Unanswered {
                detail: format!("sent to {}; no answer within {within}{note}", a.uri),
            },
            Some(a) => AwsError::NotSent {
                detail: format!("no connection to {} within {within}{note}", a.uri),
            },
            None => AwsError::NotSent {
                detail: format!("the {within} (--timeout) ran out before the request was sent"),
            },
        },
        SdkError::DispatchFailure(failure) => {
            let why = if failure.is_timeout() {
                None
            } else {
                Some(failure_words(&err))
            };
            match last {
                Some(a) if a.connected() => AwsError::Unanswered {
                    detail: match why {
                        None => format!("sent to {}; no answer within {within}{note}", a.uri),
                        Some(w) => format!(
                            "sent to {}; the connection failed before an answer ({w}){note}",
                            a.uri
                        ),
                    },
                },
                Some(a) => AwsError::NotSent {
                    detail: format!(
                        "could not connect to {} ({}){note}",
                        a.uri,
                        why.unwrap_or_else(|| format!("no connection within {within}"))
                    ),
                },
                None => AwsError::NotSent {
                    detail: failure_words(&err),
                },
            }
        }
        SdkError::ConstructionFailure(_) => AwsError::NotSent {
            detail: format!(
                "the request could not be built: {}",
                one_line(&DisplayErrorContext(&err).to_string())
            ),
        },
        _ => AwsError::Transport {
            detail: match last {
                Some(a) => format!(
                    "the answer from {} could not be used: {}",
                    a.uri,
                    one_line(&DisplayErrorContext(&err).to_string())
                ),
                None => one_line(&DisplayErrorContext(&err).to_string()),
            },
        },
    }
}

fn credentials_error_in<'e>(err: &'e (dyn StdError + 'static)) -> Option<&'e CredentialsError> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(cred) = e.downcast_ref::<CredentialsError>() {
            return Some(cred);
        }
        current = e.source();
    }
    None
}

fn describe_credentials_error(err: &CredentialsError) -> String {
    match err {
        CredentialsError::CredentialsNotLoaded(_) => NO_CREDENTIALS_HINT.to_string(),
        CredentialsError::ProviderTimedOut(t) => format!(
            "AWS credential lookup gave no answer within {} (env, profile, SSO, IMDS); pass --profile or run with --policy to skip the AWS checks",
            human_duration(t.timeout_duration()),
        ),
        _ => format!(
            "AWS credentials could not be loaded: {}",
            one_line(&DisplayErrorContext(err).to_string())
        ),
    }
}

fn human_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// IAM's query API returns `AssumeRolePolicyDocument` URL-encoded (`%7B%22Version%22…`); the
/// Rust SDK, unlike boto3, does not decode it. A document that already starts with `{` (as
/// emulators send it) is left alone, and so is one that does not decode to UTF-8.
pub(crate) fn decode_policy_document(raw: &str) -> String {
    if raw.trim_start().starts_with('{') || !raw.contains('%') {
        return raw.to_string();
    }
    match percent_encoding::percent_decode_str(raw).decode_utf8() {
        Ok(decoded) => decoded.into_owned(),
        Err(_) => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_policy_documents_are_decoded() {
        // As IAM sends it in GetRole (percent-encoded; spaces as %20, never `+`).
        let raw = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Federated%22%3A%22arn%3Aaws%3Aiam%3A%3A123456789012%3Aoidc-provider%2Fgitlab.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRoleWithWebIdentity%22%2C%22Condition%22%3A%7B%22StringLike%22%3A%7B%22gitlab.com%3Asub%22%3A%22project_path%3Ag%2Fp%3Aref_type%3Abranch%3Aref%3Amain%20x%2By%22%7D%7D%7D%5D%7D";
        let decoded = decode_policy_document(raw);
        let json: serde_json::Value = serde_json::from_str(&decoded).unwrap();
        assert_eq!(
            json["Statement"][0]["Condition"]["StringLike"]["gitlab.com:sub"],
            "project_path:g/p:ref_type:branch:ref:main x+y"
        );
    }

    #[test]
    fn plain_and_undecodable_documents_are_kept() {
        let plain = r#"{"Version":"2012-10-17","Statement":[{"Sid":"100%"}]}"#;
        assert_eq!(decode_policy_document(plain), plain);
        assert_eq!(decode_policy_document("  {\"a\":1}"), "  {\"a\":1}");
        assert_eq!(decode_policy_document("%FF%FE"), "%FF%FE");
        assert_eq!(decode_policy_document(""), "");
    }

    #[test]
    fn credential_lookup_gets_half_the_timeout_at_most_four_seconds() {
        assert_eq!(
            credentials_limit(Duration::from_secs(10)),
            Duration::from_secs(4)
        );
        assert_eq!(
            credentials_limit(Duration::from_secs(2)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn credential_errors_are_found_in_the_source_chain() {
        let not_loaded = CredentialsError::not_loaded("no providers in chain provided credentials");
        let wrapped = aws_sdk_iam::error::ConnectorError::other(Box::new(not_loaded), None);
        let found = credentials_error_in(&wrapped).map(describe_credentials_error);
        assert_eq!(found.as_deref(), Some(NO_CREDENTIALS_HINT));
        let timed_out = CredentialsError::provider_timed_out(Duration::from_secs(2));
        assert_eq!(
            describe_credentials_error(&timed_out),
            "AWS credential lookup gave no answer within 2 s (env, profile, SSO, IMDS); pass --profile or run with --policy to skip the AWS checks"
        );
    }
}
