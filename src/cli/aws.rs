//! The AWS side of `check`: which IAM reads a run needs, doing them, and turning
//! what IAM answers (or why it could not be asked) into facts for the diagnosis.

use std::time::Duration;

use clap::Args;

use crate::aws::{AwsClient, AwsError, AwsSettings};
use crate::check::{AssumeOutcome, ProviderFacts, ProviderInfo};
use crate::simulate::{PolicySource, RoleArn};

#[derive(Debug, Args, Clone)]
pub struct AwsArgs {
    /// The AWS profile for IAM reads (default: the standard credential chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// The AWS region (IAM is global; STS's regional endpoint for --assume).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Send AWS requests to this endpoint (also $AWS_ENDPOINT_URL), e.g. an emulator.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Also make the real AssumeRoleWithWebIdentity call with the token (unsigned, as
    /// the job does) and line its answer up with the diagnosis. The credentials it
    /// returns are never printed.
    #[arg(long)]
    pub assume: bool,

    /// Never contact AWS: --role-arn then only supplies the account and the role's
    /// name, and the AWS-side checks are reported as skipped.
    #[arg(long, conflicts_with = "assume")]
    pub no_aws: bool,
}

/// What to read from IAM.
#[derive(Debug, Clone)]
pub struct AwsPlan {
    pub settings: AwsSettings,
    /// The role ARN, when IAM is to be read (else why not).
    pub role: Result<String, String>,
    pub want_policy: bool,
    pub want_providers: bool,
}

/// What IAM said, as facts (or why each is unknown).
#[derive(Debug, Clone)]
pub struct AwsFacts {
    pub policy: Result<PolicySource, String>,
    pub providers: ProviderFacts,
    pub max_session: Option<(u32, &'static str)>,
}

/// What to read from IAM. `offline` (`check --offline`) reads nothing: not even the
/// credential chain is built, since it would ask the instance metadata service.
pub fn plan(
    args: &AwsArgs,
    role: Option<&RoleArn>,
    want_policy: bool,
    want_providers: bool,
    offline: bool,
) -> AwsPlan {
    AwsPlan {
        settings: AwsSettings {
            profile: args.profile.clone(),
            region: args.region.clone(),
            endpoint_url: args.endpoint_url.clone(),
            timeout: Duration::from_secs(10),
        },
        role: match role {
            Some(_) if offline => Err(
                "--offline: the role and the account's OIDC providers were not read from IAM"
                    .into(),
            ),
            Some(_) if args.no_aws => Err(
                "--no-aws: the role and the account's OIDC providers were not read from IAM".into(),
            ),
            Some(r) => Ok(format!(
                "arn:{}:iam::{}:role/{}",
                r.partition, r.account, r.name
            )),
            None => Err(
                "no --role-arn: the role and the account's OIDC providers were not read from IAM; pass --role-arn (with AWS access) or --policy"
                    .into(),
            ),
        },
        want_policy,
        want_providers,
    }
}

fn settings_with_timeout(plan: &AwsPlan, timeout_secs: f64) -> AwsSettings {
    let mut s = plan.settings.clone();
    s.timeout = Duration::from_secs_f64(timeout_secs);
    s
}

/// Why a read failed, in the user's terms, with the way around it.
fn why(what: &str, e: &AwsError) -> String {
    match e {
        AwsError::NotBuilt => format!(
            "{what}: this oidc-doctor was built without AWS support (the `aws` feature); pass --policy, --provider-client-id and --thumbprint"
        ),
        AwsError::NoCredentials { detail } => format!(
            "{what}: {detail}; or pass --policy (and --provider-client-id, --thumbprint) to check without AWS"
        ),
        AwsError::Service { code, message } => format!("{what}: IAM answered {code}: {message}"),
        AwsError::NotSent { detail } => format!("{what}: not sent: {detail}"),
        AwsError::Unanswered { detail } => format!("{what}: {detail}"),
        AwsError::Transport { detail } => format!("{what}: {detail}"),
    }
}

/// Pretty-prints the policy IAM returned, so that locations point into the
/// document the report shows (SPEC §3: the path is then the role ARN).
fn pretty(document: &str) -> String {
    serde_json::from_str::<serde_json::Value>(document)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| document.to_string())
}

/// Reads the role and the providers, concurrently, as far as the plan asks.
pub async fn fetch(plan: &AwsPlan, timeout_secs: f64) -> AwsFacts {
    let not_asked = |why: &str| AwsFacts {
        policy: Err(why.to_string()),
        providers: ProviderFacts::Unknown(why.to_string()),
        max_session: None,
    };
    let role_arn = match &plan.role {
        Ok(arn) => arn.clone(),
        Err(why) => return not_asked(why),
    };
    let client = AwsClient::new(&settings_with_timeout(plan, timeout_secs)).await;
    // The role is read even with --policy: its MaxSessionDuration still counts.
    let role = client.get_role(&role_arn);
    let providers = async {
        if plan.want_providers {
            Some(client.list_providers().await)
        } else {
            None
        }
    };
    let (role, providers) = tokio::join!(role, providers);
    let (policy, max_session) = match role {
        Ok(r) => (
            Ok(PolicySource {
                path: r.arn.clone(),
                text: pretty(&r.trust_policy),
                utf8_error: None,
                parsed: None,
                resource: None,
                front_end_error: None,
            }),
            Some((
                r.max_session_duration
                    .unwrap_or(crate::check::DEFAULT_MAX_SESSION),
                "the role's MaxSessionDuration in IAM",
            )),
        ),
        Err(e) => (Err(why(&format!("iam:GetRole {role_arn}"), &e)), None),
    };
    let policy = if plan.want_policy {
        policy
    } else {
        Err("the policy was given with --policy".into())
    };
    let providers = match providers {
        None => ProviderFacts::Unknown("given on the command line".into()),
        Some(Ok(list)) => ProviderFacts::Listed(
            list.into_iter()
                .map(|p| ProviderInfo {
                    arn: Some(p.arn),
                    url: p.url,
                    client_ids: p.client_ids,
                    thumbprints: p.thumbprints,
                })
                .collect(),
        ),
        Some(Err(e)) => ProviderFacts::Unknown(why("iam:ListOpenIDConnectProviders", &e)),
    };
    AwsFacts {
        policy,
        providers,
        max_session,
    }
}

/// The real call. The credentials never leave [`crate::aws`].
pub async fn assume(
    plan: &AwsPlan,
    timeout_secs: f64,
    role_arn: &str,
    token: &str,
    session_name: &str,
    duration_seconds: Option<i64>,
) -> AssumeOutcome {
    let client = AwsClient::new(&settings_with_timeout(plan, timeout_secs)).await;
    let duration = duration_seconds.and_then(|d| i32::try_from(d).ok());
    match client
        .assume_role_with_web_identity(role_arn, token, session_name, duration)
        .await
    {
        Ok(a) => AssumeOutcome::Succeeded {
            assumed_role_arn: a.assumed_role_arn,
            expiration: a.expiration,
        },
        Err(AwsError::Service { code, message }) => AssumeOutcome::Failed { code, message },
        // Exactly what happened to the request: it left and got no usable answer...
        Err(AwsError::Unanswered { detail } | AwsError::Transport { detail }) => {
            AssumeOutcome::SentNoAnswer(format!("sts:AssumeRoleWithWebIdentity: {detail}"))
        }
        // ...or it never left.
        Err(AwsError::NotSent { detail } | AwsError::NoCredentials { detail }) => {
            AssumeOutcome::NotSent(format!("sts:AssumeRoleWithWebIdentity: {detail}"))
        }
        Err(e @ AwsError::NotBuilt) => {
            AssumeOutcome::NotSent(why("sts:AssumeRoleWithWebIdentity", &e))
        }
    }
}
