//! `oidc-doctor lint`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::input::read_capped;
use super::{Cli, CliError, Format, print, use_color};
use crate::baseline::Baseline;
use crate::config::Config;
use crate::finding::{Finding, Severity, Summary};
use crate::fingerprint::{ProjectRoot, fingerprint};
use crate::json::SourceText;
use crate::lint::{LintOptions, LintReport, lint_bytes_with, read_paths_with};
use crate::report;

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories to lint (directories recursively), or `-` for standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<String>,

    /// The configuration file. Default: the nearest .oidc-doctor.toml in the first
    /// PATH's directory or one of its parents.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Report only findings that are not recorded in this baseline file (see
    /// --write-baseline). Findings are matched by fingerprint, which ignores line
    /// numbers: edits elsewhere in a file do not bring a recorded finding back.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record every finding of this run in the --baseline FILE (overwriting it)
    /// instead of reporting them; exits 0.
    #[arg(long, requires = "baseline")]
    pub write_baseline: bool,
}

pub fn run(args: &LintArgs, cli: &Cli) -> Result<ExitCode, CliError> {
    let config = load_config(args)?;
    let opts = LintOptions {
        config: config.as_ref(),
    };
    let (stdin, paths): (Vec<&String>, Vec<&String>) = args.paths.iter().partition(|p| *p == "-");
    let mut lint = read_paths_with(&paths.into_iter().cloned().collect::<Vec<_>>(), opts)
        .map_err(CliError::new)?;
    if !stdin.is_empty() {
        let bytes = read_capped("-")?;
        lint_bytes_with("<stdin>", bytes, true, &mut lint, opts);
    }
    // Provider client IDs against `:aud` conditions and `id_tokens:`, across files.
    lint.cross_check();
    for note in &lint.notes {
        eprintln!("note: {}", report::terminal::layout(note));
    }

    // Fingerprints are taken over every finding, before configuration drops any,
    // so that turning a rule off does not renumber the others.
    let sources: HashMap<&str, &SourceText> = lint
        .files
        .iter()
        .map(|f| (f.path.as_str(), &f.source))
        .collect();
    let root = ProjectRoot::from_env();
    let raw: Vec<Finding> = lint.findings().into_iter().cloned().collect();
    let mut items = fingerprint(raw, &root, |p| sources.get(p).copied());
    if let Some(c) = &config {
        items = items
            .into_iter()
            .filter_map(|mut i| {
                i.finding = c.adjust(i.finding)?;
                Some(i)
            })
            .collect();
    }

    if let Some(path) = &args.baseline {
        if args.write_baseline {
            Baseline::of(&items).write(path).map_err(CliError::new)?;
            eprintln!(
                "wrote baseline {}: {} finding{} recorded",
                path.display(),
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            );
            return Ok(ExitCode::SUCCESS);
        }
        let known = Baseline::load(path)
            .map_err(CliError::new)?
            .filter(&mut items);
        if known > 0 && cli.format == Format::Human {
            eprintln!(
                "note: {known} finding{} recorded in baseline {} not shown",
                if known == 1 { "" } else { "s" },
                path.display()
            );
        }
    }

    let findings: Vec<Finding> = items.iter().map(|i| i.finding.clone()).collect();
    match cli.format {
        Format::Human => print(&human(&lint, &findings, use_color())),
        Format::Json => print(&report::json::lint(&findings, lint.checked_files)),
        Format::Sarif => print(&report::sarif::lint(&items, &root)),
        Format::Gitlab => print(&report::gitlab::lint(&items)),
    }
    let level = cli.fail_on.unwrap_or(Severity::Error);
    Ok(if findings.iter().any(|f| f.severity >= level) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--config FILE`, else the nearest `.oidc-doctor.toml` above the first path
/// (the working directory for standard input).
fn load_config(args: &LintArgs) -> Result<Option<Config>, CliError> {
    match &args.config {
        Some(file) => Config::load(file).map(Some),
        None => {
            let start = args
                .paths
                .iter()
                .find(|p| *p != "-")
                .map(String::as_str)
                .unwrap_or(".");
            Config::discover(Path::new(start))
        }
    }
    .map_err(CliError::new)
}

fn human(lint: &LintReport, findings: &[Finding], color: bool) -> String {
    let style = report::human::Style { color };
    let mut out = String::new();
    let sources: std::collections::HashMap<&str, &crate::json::SourceText> = lint
        .files
        .iter()
        .map(|f| (f.path.as_str(), &f.source))
        .collect();
    for f in findings {
        let source = f
            .location
            .as_ref()
            .and_then(|l| sources.get(l.path.as_str()).copied());
        out.push_str(&report::human::finding(f, source, style));
        out.push('\n');
    }
    let s = Summary::of(findings, lint.checked_files);
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
