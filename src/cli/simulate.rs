//! `oidc-doctor simulate`.

use std::process::ExitCode;

use super::input::{parse_now, request_inputs};
use super::{Cli, CliError, Format, print, use_color};
use crate::iam::evaluate::Decision;
use crate::report;
use crate::simulate::{SimulateInput, simulate};
use clap::Args;

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The trust policy: IAM policy JSON, a Terraform file or a CloudFormation
    /// template, or `-` for standard input.
    #[arg(long, value_name = "PATH")]
    pub policy: String,

    /// The policy's role when --policy holds several (Terraform name or address,
    /// CloudFormation logical ID).
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,

    /// A token claim, KEY=VALUE (repeatable). JSON arrays and numbers are typed; `iss`
    /// defaults to https://gitlab.com. With a token, overrides that claim.
    #[arg(long = "claim", value_name = "KEY=VALUE")]
    pub claims: Vec<String>,

    /// A GitLab ID token (decoded without verification), or `-` to read it from stdin.
    /// Without --token/--claim: $GITLAB_OIDC_TOKEN, then $AWS_WEB_IDENTITY_TOKEN_FILE.
    #[arg(long, value_name = "JWT", conflicts_with = "token_file")]
    pub token: Option<String>,

    /// Read the token from a file.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<String>,

    /// A request key that does not come from the token, KEY=VALUE (repeatable),
    /// e.g. aws:SourceIp=203.0.113.7. Keys not given are absent.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,

    /// The role's ARN: supplies the account (and partition) the Federated principal must
    /// name. Nothing is contacted.
    #[arg(long, env = "AWS_ROLE_ARN", value_name = "ARN")]
    pub role_arn: Option<String>,

    /// "Now" for time keys (aws:CurrentTime, aws:EpochTime): RFC 3339 or UNIX seconds.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn run(args: &SimulateArgs, cli: &Cli) -> Result<ExitCode, CliError> {
    super::require_format(cli, "simulate", &[Format::Human, Format::Json])?;
    let policy = super::check::read_policy_file(&args.policy, args.role.as_deref())?;
    let request = request_inputs(
        &args.claims,
        &args.context,
        args.role_arn.as_deref(),
        args.token.as_deref(),
        args.token_file.as_deref(),
        "no claims: pass --claim KEY=VALUE (e.g. --claim sub=project_path:g/p:ref_type:branch:ref:main), --token or --token-file",
    )?;

    let report = simulate(SimulateInput {
        policy,
        claims: request.claims,
        claims_origin: request.origin,
        context: request.context,
        role_arn: request.role_arn,
        now: Some(args.now.unwrap_or_else(chrono::Utc::now)),
    });

    match cli.format {
        Format::Human => print(&report::human::simulate(
            &report,
            report::human::Style { color: use_color() },
        )),
        // Rejected by `require_format` above.
        Format::Json | Format::Sarif | Format::Gitlab => print(&report::json::simulate(&report)),
    }
    let failed_findings = cli
        .fail_on
        .is_some_and(|level| report.findings.iter().any(|f| f.severity >= level));
    Ok(
        if report.verdict.decision == Decision::Allowed && !failed_findings {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}
