//! `oidc-doctor check`: gathers the facts (the token, the issuer probe, the role
//! and the providers from IAM, the real call with `--assume`) concurrently where
//! they are independent, and hands them to [`crate::check::diagnose`].

use std::process::ExitCode;

use clap::Args;
use serde_json::Value;

use super::input::{parse_now, read_capped, read_policy, request_inputs};
use super::net::{NetArgs, runtime};
use super::probe::parse_thumbprint;
use super::{Cli, CliError, Format, print, use_color};
use crate::check::{AssumeOutcome, CallParams, CheckInput, ProviderFacts, Status, diagnose};
use crate::issuer::probe::{ProbeOptions, probe};
use crate::issuer::validate::jwks_findings;
use crate::json::SourceText;
use crate::report;
use crate::simulate::PolicySource;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The job's ID token, or `-` to read it from stdin. Default: --token-file, then
    /// $GITLAB_OIDC_TOKEN, then the file $AWS_WEB_IDENTITY_TOKEN_FILE names.
    #[arg(long, value_name = "JWT", conflicts_with = "token_file")]
    pub token: Option<String>,

    /// Read the token from a file.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<String>,

    /// A claim, KEY=VALUE (repeatable): without a token, the claims to check; with
    /// one, overrides that claim ("what if this ran on branch X").
    #[arg(long = "claim", value_name = "KEY=VALUE")]
    pub claims: Vec<String>,

    /// A request key that does not come from the token, KEY=VALUE (repeatable).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,

    /// The trust policy: IAM policy JSON, a Terraform file or a CloudFormation
    /// template (`-` for stdin). Without it, --role-arn reads the role from IAM.
    #[arg(long, value_name = "PATH")]
    pub policy: Option<String>,

    /// The policy's role when --policy holds several (Terraform name or address,
    /// CloudFormation logical ID).
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,

    /// The role to assume. Without --policy, its trust policy, MaxSessionDuration and
    /// the account's OIDC providers are read from IAM.
    #[arg(long, env = "AWS_ROLE_ARN", value_name = "ARN")]
    pub role_arn: Option<String>,

    /// A client ID (audience) of the IAM OIDC provider (repeatable), when IAM is not read.
    #[arg(long = "provider-client-id", value_name = "AUD")]
    pub provider_client_ids: Vec<String>,

    /// A thumbprint configured on the provider (repeatable), when IAM is not read.
    #[arg(long = "thumbprint", value_name = "HEX", value_parser = parse_thumbprint)]
    pub thumbprints: Vec<String>,

    /// The role's MaxSessionDuration in seconds, when IAM is not read.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(3600..=43200))]
    pub max_session_duration: Option<u32>,

    /// The RoleSessionName the job sends.
    #[arg(long, env = "AWS_ROLE_SESSION_NAME", value_name = "NAME")]
    pub role_session_name: Option<String>,

    /// The DurationSeconds the job requests.
    #[arg(long, value_name = "SECONDS")]
    pub duration_seconds: Option<i64>,

    /// Open no network connection at all: neither the issuer nor AWS (IAM, STS, the
    /// credential chain) is contacted, and the checks that need them are reported as
    /// skipped (issuer, signature without --jwks-file, thumbprint, the IAM role and
    /// providers). Conflicts with --assume.
    #[arg(long, conflicts_with = "assume")]
    pub offline: bool,

    /// A JWKS file to verify the signature with instead of the issuer's keys.
    #[arg(long, value_name = "PATH")]
    pub jwks_file: Option<String>,

    /// "Now" for every time check: RFC 3339 or UNIX seconds (default: the clock).
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,

    #[command(flatten)]
    pub net: NetArgs,

    #[command(flatten)]
    pub aws: super::aws::AwsArgs,
}

pub fn run(args: &CheckArgs, cli: &Cli) -> Result<ExitCode, CliError> {
    super::require_format(cli, "check", &[Format::Human, Format::Json])?;
    let now = args.now.unwrap_or_else(chrono::Utc::now);
    let request = request_inputs(
        &args.claims,
        &args.context,
        args.role_arn.as_deref(),
        args.token.as_deref(),
        args.token_file.as_deref(),
        "no token: pass --token, --token-file, set GITLAB_OIDC_TOKEN or AWS_WEB_IDENTITY_TOKEN_FILE, or give the claims with --claim KEY=VALUE",
    )?;
    let (token, claims, claims_origin, context, role_arn) = (
        request.token,
        request.claims,
        request.origin,
        request.context,
        request.role_arn,
    );

    let policy_file = args
        .policy
        .as_deref()
        .map(|p| read_policy_file(p, args.role.as_deref()))
        .transpose()?;
    let jwks_file = match &args.jwks_file {
        Some(path) => {
            let bytes = read_capped(path)?;
            let value: Value = serde_json::from_slice(&bytes)
                .map_err(|e| CliError::new(format!("--jwks-file {path}: not JSON: {e}")))?;
            Some((value, path.clone(), jwks_findings(&bytes)))
        }
        None => None,
    };

    // The issuer to probe: the token's `iss`, as STS would fetch it.
    let iss = claims
        .as_ref()
        .ok()
        .and_then(|c| c.get("iss"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let probe_opts = if args.offline {
        Err("--offline: the issuer was not contacted".to_string())
    } else {
        match &iss {
            Some(i) if i.contains("://") => {
                let (net, roots) = args.net.options()?;
                Ok(ProbeOptions {
                    issuer: i.clone(),
                    net,
                    roots,
                    now,
                    thumbprints: Vec::new(),
                })
            }
            Some(i) => Err(format!(
                "the token's `iss` {i:?} is not a URL; nothing to fetch"
            )),
            None => Err("the claims have no `iss`; nothing to fetch".to_string()),
        }
    };
    // AWS is read only for what was not given: the policy without --policy, the
    // providers without --provider-client-id/--thumbprint.
    let want_policy = policy_file.is_none();
    let want_providers = args.provider_client_ids.is_empty() && args.thumbprints.is_empty();
    let aws_plan = super::aws::plan(
        &args.aws,
        role_arn.as_ref(),
        want_policy,
        want_providers,
        args.offline,
    );

    let rt = runtime()?;
    let (issuer, aws_facts) = rt.block_on(async {
        let issuer = async {
            match &probe_opts {
                Ok(opts) => probe(opts).await,
                Err(why) => Err(why.clone()),
            }
        };
        let aws = super::aws::fetch(&aws_plan, args.net.timeout);
        tokio::join!(issuer, aws)
    });

    let policy = match policy_file {
        Some(p) => Ok(p),
        None => aws_facts.policy.clone(),
    };
    let providers = if !want_providers {
        ProviderFacts::Given {
            client_ids: args.provider_client_ids.clone(),
            thumbprints: args.thumbprints.clone(),
        }
    } else {
        aws_facts.providers.clone()
    };
    let max_session = args
        .max_session_duration
        .map(|m| (m, "--max-session-duration"))
        .or(aws_facts.max_session);

    let assume = if args.aws.assume {
        Some(match (&args.role_arn, &token) {
            (Some(arn), Some(t)) => rt.block_on(super::aws::assume(
                &aws_plan,
                args.net.timeout,
                arn,
                t,
                args.role_session_name
                    .as_deref()
                    .unwrap_or("oidc-doctor-check"),
                args.duration_seconds,
            )),
            (None, _) => AssumeOutcome::NotSent("--assume needs --role-arn".into()),
            (_, None) => AssumeOutcome::NotSent("--assume needs a token, not --claim".into()),
        })
    } else {
        None
    };

    let report = diagnose(CheckInput {
        token,
        claims,
        claims_origin,
        context,
        role_arn,
        now,
        policy,
        issuer,
        jwks_file,
        providers,
        max_session,
        call: CallParams {
            session_name: args.role_session_name.clone(),
            duration_seconds: args.duration_seconds,
        },
        assume,
    });

    match cli.format {
        Format::Human => print(&report::check::human(
            &report,
            report::human::Style { color: use_color() },
        )),
        // Rejected by `require_format` above.
        Format::Json | Format::Sarif | Format::Gitlab => print(&report::check::json(&report)),
    }
    let failed_findings = cli
        .fail_on
        .is_some_and(|level| report.findings.iter().any(|f| f.finding.severity >= level));
    Ok(
        if report.verdict.status == Status::Allowed && !failed_findings {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

/// Reads `--policy`: policy JSON as it is, Terraform and CloudFormation through
/// their front ends (one role, chosen with `--role` when the file holds several).
pub fn read_policy_file(path: &str, role: Option<&str>) -> Result<PolicySource, CliError> {
    let mut source = read_policy(path)?;
    if source.utf8_error.is_some() {
        return Ok(source);
    }
    let text = SourceText::new(source.text.clone());
    let policies = match crate::lint::trust_policies(path, &text).map_err(CliError::new)? {
        Ok(p) => p,
        Err(parse_error) => {
            source.front_end_error = Some(parse_error);
            return Ok(source);
        }
    };
    if policies.is_empty() {
        if let Some(r) = role {
            return Err(CliError::new(format!(
                "--role {r}: {path} is a single policy document, not a template"
            )));
        }
        return Ok(source);
    }
    let name_of = |p: &crate::lint::SourcePolicy| p.resource.clone().unwrap_or_default();
    let chosen = match role {
        Some(r) => {
            let matching: Vec<_> = policies
                .iter()
                .filter(|p| {
                    let n = name_of(p);
                    n == r || n.rsplit('.').next() == Some(r)
                })
                .collect();
            match matching.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    return Err(CliError::new(format!(
                        "--role {r}: no trust policy of that name in {path}; it holds {}",
                        policies.iter().map(name_of).collect::<Vec<_>>().join(", ")
                    )));
                }
                _ => {
                    return Err(CliError::new(format!(
                        "--role {r} matches several trust policies in {path}: {}; give the full address",
                        matching
                            .iter()
                            .map(|p| name_of(p))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
        None if policies.len() == 1 => policies[0].clone(),
        None => {
            return Err(CliError::new(format!(
                "{path} holds {} trust policies ({}); choose one with --role NAME",
                policies.len(),
                policies.iter().map(name_of).collect::<Vec<_>>().join(", ")
            )));
        }
    };
    source.resource = chosen.resource.clone();
    source.parsed = Some(chosen.policy);
    Ok(source)
}
