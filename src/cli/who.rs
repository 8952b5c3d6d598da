//! `oidc-doctor who`.

use std::process::ExitCode;

use clap::Args;

use super::input::read_policy;
use super::{Cli, CliError, Format, print, use_color};
use crate::report;
use crate::who::who;

#[derive(Debug, Args)]
pub struct WhoArgs {
    /// The trust policy: an IAM policy JSON file, or `-` for standard input.
    #[arg(value_name = "POLICY")]
    pub policy: String,
}

pub fn run(args: &WhoArgs, cli: &Cli) -> Result<ExitCode, CliError> {
    super::require_format(cli, "who", &[Format::Human, Format::Json])?;
    let policy = read_policy(&args.policy)?;
    let report = who(policy, None);
    match cli.format {
        Format::Human => print(&report::human::who(
            &report,
            report::human::Style { color: use_color() },
        )),
        Format::Json => print(&report::json::who(&report)),
        // Rejected by `require_format` above.
        Format::Sarif | Format::Gitlab => {}
    }
    // `who` reports; `lint` judges (SPEC §2).
    Ok(ExitCode::SUCCESS)
}
