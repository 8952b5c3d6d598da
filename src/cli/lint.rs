//! `oidc-doctor lint`.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::input::read_capped;
use super::{Cli, CliError, Format, use_color};
use crate::baseline::Baseline;
use crate::config::Config;
use crate::finding::{Finding, Severity, Summary};
use crate::fingerprint::{Fingerprinted, Fingerprinter, ProjectRoot};
use crate::json::SourceText;
use crate::lint::{self, LintOptions, LintReport, LintedFile, Run, lint_bytes_with};
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

    /// Threads that lint files. Default: the CPUs this process may use. The
    /// report is the same whatever the number.
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
}

/// The default of `--jobs`: every CPU the process may use.
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

pub fn run(args: &LintArgs, cli: &Cli) -> Result<ExitCode, CliError> {
    let config = load_config(args)?;
    let opts = LintOptions {
        config: config.as_ref(),
        ..LintOptions::default()
    };
    // Everything that can refuse the run (exit 2) is read before the report
    // starts: the paths are planned, standard input and the baseline read.
    let (stdin, paths): (Vec<&String>, Vec<&String>) = args.paths.iter().partition(|p| *p == "-");
    let paths: Vec<String> = paths.into_iter().cloned().collect();
    let stdin = if stdin.is_empty() {
        None
    } else {
        Some(read_capped("-")?)
    };
    let known = match &args.baseline {
        Some(path) if !args.write_baseline => {
            Some(Baseline::load(path).map_err(CliError::new)?.fingerprints())
        }
        _ => None,
    };
    let jobs = args.jobs.map_or_else(default_jobs, usize::from);
    let style = report::human::Style { color: use_color() };
    let mut run = Run::new(&paths, opts, LintReport::streaming()).map_err(CliError::new)?;
    if cli.format == Format::Human && !args.write_baseline {
        // Rendering is most of a human report's work: the lint threads do it.
        run = run.render_ahead(human_renderer(config.clone(), style));
    }
    let run = run.parallel(jobs);
    let tally = Tally::default();
    let mut stream = Stream {
        run,
        stdin,
        done: false,
        fingerprinter: Fingerprinter::default(),
        // The human report shows no fingerprint: without a baseline to apply
        // or write, none is computed.
        fingerprints: cli.format != Format::Human || args.baseline.is_some(),
        root: ProjectRoot::from_env(),
        config: config.as_ref(),
        known,
        tally: &tally,
        error: None,
    };

    if let (Some(path), true) = (&args.baseline, args.write_baseline) {
        let mut items = Vec::new();
        while let Some(batch) = stream.next_batch() {
            items.extend(batch.items);
        }
        stream.finish()?;
        Baseline::of(&items).write(path).map_err(CliError::new)?;
        eprintln!(
            "wrote baseline {}: {} finding{} recorded",
            path.display(),
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::SUCCESS);
    }

    // The report is written as the files are linted, through one buffer: never
    // held whole. A closed stdout (`| head`) is not an error of the lint: the
    // exit code still says what was found.
    let root = stream.root.clone();
    let mut out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
    let written = match cli.format {
        Format::Human => write_human(&mut stream, style, &mut out),
        Format::Json => {
            let summary = || tally.summary();
            let items = std::iter::from_fn(|| stream.next_batch()).flat_map(|b| b.items);
            report::json::write_lint(items, summary, &mut out).map_err(std::io::Error::from)
        }
        Format::Sarif => {
            let items = std::iter::from_fn(|| stream.next_batch()).flat_map(|b| b.items);
            report::sarif::write_lint(items, &root, &mut out).map_err(Into::into)
        }
        Format::Gitlab => {
            let items = std::iter::from_fn(|| stream.next_batch()).flat_map(|b| b.items);
            report::gitlab::write_lint(items, &mut out).map_err(Into::into)
        }
    };
    let _ = written
        .and_then(|()| {
            if cli.format != Format::Human {
                out.write_all(b"\n")?;
            }
            Ok(())
        })
        .and_then(|()| out.flush());
    drop(out);
    // Drained to the end even when stdout closed early: the exit code counts all.
    while stream.next_batch().is_some() {}
    stream.finish()?;
    let suppressed = tally.suppressed.get();
    if let Some(path) = &args.baseline
        && suppressed > 0
        && cli.format == Format::Human
    {
        eprintln!(
            "note: {suppressed} finding{} recorded in baseline {} not shown",
            if suppressed == 1 { "" } else { "s" },
            path.display()
        );
    }
    let level = cli.fail_on.unwrap_or(Severity::Error);
    Ok(if tally.worst.get().is_some_and(|w| w >= level) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What the report counted, shared between the stream that fills it and the
/// summary written after the findings.
#[derive(Default)]
struct Tally {
    errors: Cell<usize>,
    warnings: Cell<usize>,
    infos: Cell<usize>,
    files: Cell<usize>,
    /// Findings recorded in the baseline, not reported.
    suppressed: Cell<usize>,
    worst: Cell<Option<Severity>>,
}

impl Tally {
    fn count(&self, severity: Severity) {
        let c = match severity {
            Severity::Error => &self.errors,
            Severity::Warning => &self.warnings,
            Severity::Info => &self.infos,
        };
        c.set(c.get() + 1);
        self.worst.set(self.worst.get().max(Some(severity)));
    }

    fn summary(&self) -> Summary {
        Summary {
            errors: self.errors.get(),
            warnings: self.warnings.get(),
            infos: self.infos.get(),
            files: self.files.get(),
        }
    }
}

/// The findings of a lint run on their way to the report, file by file as the
/// files are linted (in the order they are read, each file's in position order),
/// then the cross-file checks' findings. Each is fingerprinted — over every
/// finding, before the configuration drops any, so that turning a rule off does
/// not renumber the others — adjusted by the configuration, and left out when
/// the baseline records it.
struct Stream<'r> {
    run: Run<'r>,
    /// Standard input, read before the report started; linted after the paths.
    stdin: Option<Vec<u8>>,
    /// The cross-file checks have run: nothing more comes.
    done: bool,
    fingerprinter: Fingerprinter,
    /// Whether the report needs fingerprints (a machine format, a baseline).
    fingerprints: bool,
    root: ProjectRoot,
    config: Option<&'r Config>,
    known: Option<HashSet<String>>,
    tally: &'r Tally,
    /// A file named on the command line that could not be read after all.
    error: Option<String>,
}

/// Findings ready to report, with the files they are in (for the snippets).
struct Batch {
    files: Vec<LintedFile>,
    items: Vec<Fingerprinted>,
    /// Each item as a lint thread rendered it for the human report, if one did.
    rendered: Vec<Option<String>>,
}

impl Batch {
    /// The sources by path: the last batch holds every file the cross-file
    /// checks kept, so it is looked up through an index, not a scan per finding.
    fn sources(&self) -> HashMap<&str, &SourceText> {
        self.files
            .iter()
            .map(|f| (f.path.as_str(), &f.source))
            .collect()
    }
}

impl Stream<'_> {
    /// The next file's findings (or, last, the cross-file checks'); `None` at the end.
    fn next_batch(&mut self) -> Option<Batch> {
        loop {
            let ready = self.run.report.take_ready();
            if !ready.is_empty() {
                // One step lints one file: one is ready at a time.
                return Some(self.batch(ready));
            }
            if self.done {
                return None;
            }
            match self.run.step() {
                Ok(true) => {}
                Ok(false) => {
                    if let Some(bytes) = self.stdin.take() {
                        let opts = self.run.opts();
                        lint_bytes_with("<stdin>", bytes, true, &mut self.run.report, opts);
                        continue;
                    }
                    self.done = true;
                    // Provider client IDs against `:aud` conditions and `id_tokens:`, across files.
                    self.run.report.cross_check();
                    for note in &self.run.report.notes {
                        eprintln!("note: {}", report::terminal::layout(note));
                    }
                    self.tally.files.set(self.run.report.checked_files);
                    let files = std::mem::take(&mut self.run.report.files);
                    let batch = self.batch(files);
                    return (!batch.items.is_empty()).then_some(batch);
                }
                Err(e) => {
                    self.error = Some(e);
                    self.done = true;
                }
            }
        }
    }

    /// Takes the files' findings (sorted together) through the pipeline.
    fn batch(&mut self, mut files: Vec<LintedFile>) -> Batch {
        // Each finding with its rendering, when a lint thread made one (the
        // first findings of a file; the cross-file checks' come after them).
        let mut findings: Vec<(Finding, Option<String>)> = files
            .iter_mut()
            .flat_map(|f| {
                let rendered = std::mem::take(&mut f.rendered);
                std::mem::take(&mut f.findings).into_iter().zip(
                    rendered
                        .into_iter()
                        .map(Some)
                        .chain(std::iter::repeat(None)),
                )
            })
            .collect();
        if files.len() > 1 {
            findings.sort_by(|a, b| lint::sort_key(&a.0).cmp(&lint::sort_key(&b.0)));
        }
        let by_path: HashMap<&str, &SourceText> =
            files.iter().map(|f| (f.path.as_str(), &f.source)).collect();
        let mut items = Vec::with_capacity(findings.len());
        let mut rendered = Vec::with_capacity(findings.len());
        for (finding, shown) in findings {
            let source = finding
                .location
                .as_ref()
                .and_then(|l| by_path.get(l.path.as_str()).copied());
            let mut item = if self.fingerprints {
                self.fingerprinter.take(finding, &self.root, source)
            } else {
                Fingerprinted::without_fingerprint(finding)
            };
            if let Some(c) = self.config {
                match c.adjust(item.finding) {
                    Some(f) => item.finding = f,
                    None => continue,
                }
            }
            if self
                .known
                .as_ref()
                .is_some_and(|k| k.contains(&item.fingerprint))
            {
                self.tally.suppressed.set(self.tally.suppressed.get() + 1);
                continue;
            }
            self.tally.count(item.finding.severity);
            items.push(item);
            rendered.push(shown);
        }
        drop(by_path);
        Batch {
            files,
            items,
            rendered,
        }
    }

    /// The run's end: `Err` when a file named on the command line failed.
    fn finish(&mut self) -> Result<(), CliError> {
        match self.error.take() {
            Some(e) => Err(CliError::new(e)),
            None => Ok(()),
        }
    }
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

/// How the human report shows a finding of a linted file: what
/// [`write_human`] would write for it, made on a lint thread instead.
fn human_renderer(config: Option<Config>, style: report::human::Style) -> Arc<lint::Render> {
    // The panic hook's test of a panic on a lint thread.
    let test_panic = std::env::var_os("OIDC_DOCTOR_TEST_PANIC").is_some_and(|v| v == "lint-thread");
    Arc::new(move |f: &Finding, source: Option<&SourceText>| {
        if test_panic {
            super::test_panic("lint (a lint thread)");
        }
        let adjusted;
        let f = match &config {
            // Dropped by the configuration: never shown.
            Some(c) => match c.adjust(f.clone()) {
                Some(f) => {
                    adjusted = f;
                    &adjusted
                }
                None => return String::new(),
            },
            None => f,
        };
        report::human::finding(f, source, style)
    })
}

/// Writes the human report: each finding rendered (unless a lint thread did
/// already) and written in turn, then the summary line.
fn write_human(
    stream: &mut Stream<'_>,
    style: report::human::Style,
    out: &mut impl Write,
) -> std::io::Result<()> {
    while let Some(batch) = stream.next_batch() {
        let sources = batch.sources();
        for (item, shown) in batch.items.iter().zip(&batch.rendered) {
            match shown {
                Some(text) => out.write_all(text.as_bytes())?,
                None => {
                    let f = &item.finding;
                    let source = f
                        .location
                        .as_ref()
                        .and_then(|l| sources.get(l.path.as_str()).copied());
                    out.write_all(report::human::finding(f, source, style).as_bytes())?;
                }
            }
            out.write_all(b"\n")?;
        }
    }
    let s = stream.tally.summary();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    writeln!(
        out,
        "{}, {}, {} in {} checked",
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        plural(s.infos, "info"),
        plural(s.files, "policy file"),
    )
}
