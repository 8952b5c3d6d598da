//! `oidc-doctor probe`.

use std::process::ExitCode;

use clap::Args;

use super::decode::exit_code;
use super::input::parse_now;
use super::net::{NetArgs, runtime};
use super::{Cli, CliError, Format, print, use_color};
use crate::issuer::probe::{ProbeOptions, probe};
use crate::report;

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The issuer URL exactly as the token's `iss` and the IAM provider have it,
    /// e.g. https://gitlab.com.
    #[arg(value_name = "ISSUER_URL")]
    pub issuer: String,

    /// A thumbprint configured on the IAM provider (40 hex characters; repeatable),
    /// compared with the one computed from the JWKS host's chain.
    #[arg(long = "thumbprint", value_name = "HEX", value_parser = parse_thumbprint)]
    pub thumbprints: Vec<String>,

    /// "Now" for certificate validity: RFC 3339 or UNIX seconds (default: the clock).
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,

    #[command(flatten)]
    pub net: NetArgs,
}

/// 40 hex characters; colons (as `openssl` prints them) and case are ignored.
pub(super) fn parse_thumbprint(s: &str) -> Result<String, String> {
    let t: String = s
        .chars()
        .filter(|c| *c != ':')
        .collect::<String>()
        .to_ascii_lowercase();
    if t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(t)
    } else {
        Err(format!(
            "{s:?} is not a SHA-1 thumbprint (40 hex characters)"
        ))
    }
}

pub fn run(args: &ProbeArgs, cli: &Cli) -> Result<ExitCode, CliError> {
    super::require_format(cli, "probe", &[Format::Human, Format::Json])?;
    let (net, roots) = args.net.options()?;
    let opts = ProbeOptions {
        issuer: args.issuer.clone(),
        net,
        roots,
        now: args.now.unwrap_or_else(chrono::Utc::now),
        thumbprints: args.thumbprints.clone(),
    };
    let report = runtime()?.block_on(probe(&opts)).map_err(CliError::new)?;
    match cli.format {
        Format::Human => print(&report::probe::human(
            &report,
            report::human::Style { color: use_color() },
        )),
        // Rejected by `require_format` above.
        Format::Json | Format::Sarif | Format::Gitlab => print(&report::probe::json(&report)),
    }
    Ok(exit_code(&report.findings, cli))
}
