//! `oidc-doctor explain TEXT|RULE`: pasted AWS error text (or a rule name) → the
//! catalogue entries with causes, detecting rules, fixes and confirming commands;
//! `--write-docs FILE` regenerates `docs/troubleshooting.md`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{Cli, CliError, Format, print};
use crate::explain::{self, MAX_INPUT};
use crate::report::explain as render;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The error text (quote it), a rule name, or `-` to read a pasted log from
    /// stdin. Several words are joined with spaces. Only the first 1 MiB is read.
    #[arg(
        value_name = "TEXT",
        num_args = 1..,
        required_unless_present = "write_docs"
    )]
    pub text: Vec<String>,

    /// Write the troubleshooting guide rendered from the catalogue to FILE
    /// (regenerates docs/troubleshooting.md).
    #[arg(long, value_name = "FILE", conflicts_with = "text")]
    pub write_docs: Option<PathBuf>,
}

pub fn run(args: &ExplainArgs, cli: &Cli) -> Result<ExitCode, CliError> {
    super::require_format(cli, "explain", &[Format::Human, Format::Json])?;
    if let Some(path) = &args.write_docs {
        std::fs::write(path, render::troubleshooting_markdown())
            .map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))?;
        eprintln!(
            "wrote {} entries to {}",
            explain::CATALOGUE.len(),
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let text = if args.text.len() == 1 && args.text[0] == "-" {
        read_stdin()?
    } else {
        args.text.join(" ")
    };
    let Some(x) = explain::explain(&text) else {
        return Err(CliError::new(
            "nothing to explain: give the AWS error text (quoted), a rule name, or `-` for stdin",
        ));
    };
    if x.truncated {
        eprintln!(
            "note: input longer than {} MiB; only the first {} MiB were read",
            MAX_INPUT >> 20,
            MAX_INPUT >> 20
        );
    }
    match cli.format {
        Format::Json => print(&render::json(&x)),
        _ => print(&render::human(&x)),
    }
    Ok(ExitCode::SUCCESS)
}

/// Stdin, at most [`MAX_INPUT`] bytes (plus one, to know it was cut), invalid
/// UTF-8 replaced.
fn read_stdin() -> Result<String, CliError> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT as u64 + 4)
        .read_to_end(&mut buf)
        .map_err(|e| CliError::new(format!("cannot read standard input: {e}")))?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
