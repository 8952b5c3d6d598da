//! `oidc-doctor lint`.

use std::process::ExitCode;

use clap::Args;

use super::input::read_capped;
use super::{Cli, CliError, Format, print, use_color};
use crate::finding::{Severity, Summary};
use crate::lint::{LintReport, lint_bytes, lint_paths};
use crate::report;

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories to lint (directories recursively), or `-` for standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<String>,
}

pub fn run(args: &LintArgs, cli: &Cli) -> Result<ExitCode, CliError> {
    let (stdin, paths): (Vec<&String>, Vec<&String>) = args.paths.iter().partition(|p| *p == "-");
    let mut lint =
        lint_paths(&paths.into_iter().cloned().collect::<Vec<_>>()).map_err(CliError::new)?;
    if !stdin.is_empty() {
        let bytes = read_capped("-")?;
        lint_bytes("<stdin>", bytes, true, &mut lint);
    }
    for note in &lint.notes {
        eprintln!("note: {note}");
    }
    let findings: Vec<crate::finding::Finding> = lint.findings().into_iter().cloned().collect();
    match cli.format {
        Format::Human => print(&human(&lint, &findings, use_color())),
        Format::Json => print(&report::json::lint(&findings, lint.files.len())),
    }
    let level = cli.fail_on.unwrap_or(Severity::Error);
    Ok(if findings.iter().any(|f| f.severity >= level) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn human(lint: &LintReport, findings: &[crate::finding::Finding], color: bool) -> String {
    let style = report::human::Style { color };
    let mut out = String::new();
    for f in findings {
        let source = f
            .location
            .as_ref()
            .and_then(|l| lint.files.iter().find(|file| file.path == l.path))
            .map(|file| &file.source);
        out.push_str(&report::human::finding(f, source, style));
        out.push('\n');
    }
    let s = Summary::of(findings, lint.files.len());
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    out.push_str(&format!(
        "{}, {}, {} in {} checked\n",
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        plural(s.infos, "info"),
        plural(s.files, "policy file"),
    ));
    out
}
