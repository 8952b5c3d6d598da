//! The command line: argument definitions (clap) and one function per command.

mod aws;
mod check;
mod decode;
mod explain;
mod generate;
mod input;
mod lint;
mod net;
mod probe;
mod rules;
mod simulate;
mod who;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::finding::Severity;

/// A usage or input error: one line on stderr, exit code 2.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
}

impl CliError {
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    /// SARIF 2.1.0 (`lint` only).
    Sarif,
    /// GitLab Code Quality report (`lint` only).
    Gitlab,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Gitlab => "gitlab",
        }
    }
}

/// `--format` values a command does not produce are usage errors (exit 2): SARIF
/// and Code Quality carry file findings, which only `lint` reports.
fn require_format(cli: &Cli, command: &str, supported: &[Format]) -> Result<(), CliError> {
    if supported.contains(&cli.format) {
        return Ok(());
    }
    let names: Vec<&str> = supported.iter().map(|f| f.name()).collect();
    Err(CliError::new(format!(
        "`{command}` does not support --format {}; use {}",
        cli.format.name(),
        names.join(" or ")
    )))
}

/// `--version`: the version and the cargo features the binary was built with.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (features: ",
    env!("OIDC_DOCTOR_FEATURES"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "oidc-doctor",
    version = VERSION,
    about = "Lint AWS IAM trust policies for GitLab CI OIDC federation and diagnose failed sts:AssumeRoleWithWebIdentity calls",
    after_help = "Examples:\n  oidc-doctor simulate --policy trust.json --claim sub=project_path:mygroup/app:ref_type:branch:ref:main --claim aud=https://gitlab.com"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Output format (sarif and gitlab: `lint` only).
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also exit 1 when a finding at or above this severity is reported.
    #[arg(long, global = true, value_enum)]
    pub fail_on: Option<Severity>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint trust policies in files and directories (pre-merge CI).
    #[command(after_help = LINT_EXAMPLES)]
    Lint(lint::LintArgs),
    /// The whole diagnosis of a failing AssumeRoleWithWebIdentity: token, issuer, IAM provider, trust policy, call parameters; a verdict and the exact AWS error.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(Box<check::CheckArgs>),
    /// Evaluate a trust policy against token claims: decision, per-condition trace, predicted AWS error.
    #[command(after_help = SIMULATE_EXAMPLES)]
    Simulate(simulate::SimulateArgs),
    /// List the rules, or print one rule's documentation.
    #[command(after_help = RULES_EXAMPLES)]
    Rules(rules::RulesArgs),
    /// Who can assume the role: the projects, ref types and refs a trust policy admits.
    #[command(after_help = WHO_EXAMPLES)]
    Who(who::WhoArgs),
    /// Decode a GitLab ID token (signature redacted), judge it as STS would, and with --verify check its signature.
    #[command(after_help = DECODE_EXAMPLES)]
    Decode(decode::DecodeArgs),
    /// Fetch the issuer's discovery document and JWKS as STS does: timings per phase, TLS chain, thumbprint.
    #[command(after_help = PROBE_EXAMPLES)]
    Probe(probe::ProbeArgs),
    /// Explain an AWS error message (or a rule name): causes ranked by how common they are, the rules that detect them, fixes and confirming commands.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(explain::ExplainArgs),
    /// Print a shell completion script, generated from these command-line definitions.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(generate::CompletionsArgs),
    /// Print the man page (roff), generated from these command-line definitions.
    #[command(after_help = MAN_EXAMPLES)]
    Man(generate::ManArgs),
}

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  oidc-doctor completions bash > /etc/bash_completion.d/oidc-doctor
  oidc-doctor completions zsh > \"${fpath[1]}/_oidc-doctor\"
  oidc-doctor completions fish > ~/.config/fish/completions/oidc-doctor.fish";

const MAN_EXAMPLES: &str = "\
Examples:
  oidc-doctor man > /usr/local/share/man/man1/oidc-doctor.1
  oidc-doctor man --dir target/man     # one page per subcommand too";

const LINT_EXAMPLES: &str = "\
Examples:
  # Every trust policy under infra/ (IAM policy JSON is recognised by content):
  oidc-doctor lint infra/

  # One file, machine-readable, failing on warnings too:
  oidc-doctor lint trust.json --format json --fail-on warning

  # From a pipe:
  terraform output -raw trust_policy | oidc-doctor lint -

  # GitLab Code Quality report (paths relative to $CI_PROJECT_DIR), or SARIF:
  oidc-doctor lint --format gitlab > gl-code-quality-report.json
  oidc-doctor lint infra/ --format sarif > oidc-doctor.sarif

  # Accept today's findings, then fail only on new ones:
  oidc-doctor lint infra/ --baseline .oidc-doctor-baseline.json --write-baseline
  oidc-doctor lint infra/ --baseline .oidc-doctor-baseline.json

  # An explicit configuration file (default: the nearest .oidc-doctor.toml
  # in the first PATH's directory or above):
  oidc-doctor lint infra/ --config ci/oidc-doctor.toml

Exit status: 0 nothing at or above --fail-on (default: error), 1 findings, 2 usage error
or invalid configuration.";

const CHECK_EXAMPLES: &str = "\
Examples:
  # In the failing job (the token from id_tokens, the role from AWS_ROLE_ARN):
  oidc-doctor check --token \"$GITLAB_OIDC_TOKEN\" --role-arn arn:aws:iam::123456789012:role/deploy

  # The same, with the call's parameters, and the real call lined up with the diagnosis:
  oidc-doctor check --token-file token.jwt --role-arn arn:aws:iam::123456789012:role/deploy \\
      --role-session-name \"gitlab-$CI_JOB_ID\" --duration-seconds 3600 --assume

  # Without AWS access: the policy from a file, the provider's facts on the command line:
  oidc-doctor check --token-file token.jwt --policy infra/trust.json \\
      --provider-client-id https://gitlab.com --thumbprint 9e99a48a9960b14926bb7f3b02e22da2b0ab7280

  # No token at hand, nothing contacted:
  oidc-doctor check --policy main.tf --role deploy --offline \\
      --claim sub=project_path:mygroup/app:ref_type:branch:ref:main --claim aud=https://gitlab.com

Exit status: 0 the verdict is allowed, 1 denied or indeterminate (or --fail-on findings), 2 usage
error or unreadable input.";

const SIMULATE_EXAMPLES: &str = "\
Examples:
  # Would a pipeline on branch `feature` of mygroup/app be let in?
  oidc-doctor simulate --policy trust.json \\
      --claim sub=project_path:mygroup/app:ref_type:branch:ref:feature \\
      --claim aud=https://gitlab.com

  # The same with the job's real token (decoded, not verified), as if it ran on main:
  oidc-doctor simulate --policy trust.json --token \"$GITLAB_OIDC_TOKEN\" \\
      --claim sub=project_path:mygroup/app:ref_type:branch:ref:main

  # Keys that do not come from the token, and the role's account:
  oidc-doctor simulate --policy trust.json --claim sub=... --context aws:SourceIp=203.0.113.7 \\
      --role-arn arn:aws:iam::123456789012:role/Deploy --format json

Exit status: 0 allowed, 1 denied or indeterminate, 2 usage error.";

const DECODE_EXAMPLES: &str = "\
Examples:
  # The job's token, from the environment ($GITLAB_OIDC_TOKEN):
  oidc-doctor decode

  # From a pipe, judged at a given time (expiry is relative to --now):
  printf '%s' \"$ID_TOKEN\" | oidc-doctor decode - --now 2026-01-01T00:10:00Z

  # Verify the signature with the issuer's published keys, or with a saved JWKS:
  oidc-doctor decode --token-file token.jwt --verify
  oidc-doctor decode --token-file token.jwt --jwks-file keys.json --format json

Exit status: 0 nothing at or above --fail-on (default: error), 1 findings, 2 usage error.";

const PROBE_EXAMPLES: &str = "\
Examples:
  # Discovery and JWKS as STS fetches them, with timings and the TLS chain:
  oidc-doctor probe https://gitlab.example.com

  # Compare with the thumbprints configured on the IAM provider:
  oidc-doctor probe https://gitlab.example.com --thumbprint 9e99a48a9960b14926bb7f3b02e22da2b0ab7280

  # A server on another address, with a private CA counted as trusted:
  oidc-doctor probe https://gitlab.example.test --connect-to gitlab.example.test:443:127.0.0.1:8443 \\
      --ca-file ca.pem --format json

Exit status: 0 nothing at or above --fail-on (default: error), 1 findings, 2 usage error.";

const EXPLAIN_EXAMPLES: &str = "\
Examples:
  # An error as the AWS CLI prints it (the wrapping is optional):
  oidc-doctor explain \"An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: Incorrect token audience\"

  # A whole failed job log: the error line(s) are found inside:
  oidc-doctor explain - < job.log

  # Which AWS errors does a rule explain?
  oidc-doctor explain wildcard-in-exact-operator

  # Machine-readable, for a bot that comments on failed pipelines:
  oidc-doctor explain \"Not authorized to perform sts:AssumeRoleWithWebIdentity\" --format json

  # Regenerate the troubleshooting guide after changing the catalogue:
  cargo run -- explain --write-docs docs/troubleshooting.md

Unknown text gets the closest entries, headed \"No exact match; closest\". Only the first 1 MiB
of input is read.

Exit status: 0 (explain reports), 2 for empty input or a usage error.";

const RULES_EXAMPLES: &str = "\
Examples:
  # Every rule: name, category, default severity, summary:
  oidc-doctor rules

  # One rule's documentation (explanation, bad and good example, fix):
  oidc-doctor rules wrong-action

  # The catalogue for tools:
  oidc-doctor rules --format json

  # Regenerate docs/rules/*.md after changing a rule's declaration:
  cargo run -- rules --write-docs docs/rules

Exit status: 0, or 2 for an unknown rule name (the nearest name is suggested).";

const WHO_EXAMPLES: &str = "\
Examples:
  # Which projects, ref types and refs can assume the role?
  oidc-doctor who trust.json

  # The same for a pipeline: the `admits` object, with verified counterexamples:
  oidc-doctor who trust.json --format json

  # From a pipe:
  terraform output -raw trust_policy | oidc-doctor who -

Exit status: 0 (who reports, `oidc-doctor lint` judges), 2 usage error or unreadable input.";

/// The exit code of an internal error (a panic): distinct from 2 (usage or
/// input errors) so that a pipeline can tell a bug in oidc-doctor from its own
/// mistake.
pub const INTERNAL_ERROR_EXIT: i32 = 3;

/// The subcommand being run, for the internal-error line.
static RUNNING: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// A panic is a bug, never an exit path: instead of a backtrace (or, in the
/// release build's `panic = "abort"`, SIGABRT and exit 134), one line naming
/// the command and the version, and [`INTERNAL_ERROR_EXIT`]. The panic message
/// is escaped: it may quote input.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        // One line, from the first thread that panics; another waits for the exit.
        static REPORTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if REPORTED.swap(true, std::sync::atomic::Ordering::SeqCst) {
            loop {
                std::thread::park();
            }
        }
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let command = RUNNING.get().copied().unwrap_or("(parsing arguments)");
        let _ = writeln!(
            std::io::stderr(),
            "internal error in oidc-doctor {VERSION}, command `{command}`{place}: {}; please report it",
            payload.escape_debug()
        );
        // Only the main thread flushes: `lint` holds stdout's lock for its whole
        // report, and a lint thread waiting for it would never exit.
        if std::thread::current().name() == Some("main") {
            let _ = std::io::stdout().flush();
        }
        std::process::exit(INTERNAL_ERROR_EXIT);
    }));
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Lint(_) => "lint",
            Command::Check(_) => "check",
            Command::Simulate(_) => "simulate",
            Command::Rules(_) => "rules",
            Command::Who(_) => "who",
            Command::Decode(_) => "decode",
            Command::Probe(_) => "probe",
            Command::Explain(_) => "explain",
            Command::Completions(_) => "completions",
            Command::Man(_) => "man",
        }
    }
}

/// The panic hook's own test: a real panic through the real binary, its
/// message quoting an ESC as input can.
#[allow(clippy::panic)]
pub(super) fn test_panic(command: &str) -> ! {
    panic!("OIDC_DOCTOR_TEST_PANIC asked for a panic in \u{1b}[31m`{command}`")
}

/// Parses the command line, runs the command, and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    install_panic_hook();
    main_from(std::env::args_os())
}

/// [`main`] over the given arguments (the first is the program name), without
/// installing the panic hook: the growth tests run commands in-process.
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::parse_from(args);
    let _ = RUNNING.set(cli.command.name());
    if std::env::var_os("OIDC_DOCTOR_TEST_PANIC").is_some_and(|v| v == cli.command.name()) {
        test_panic(cli.command.name());
    }
    let result = match &cli.command {
        Command::Lint(args) => lint::run(args, &cli),
        Command::Check(args) => check::run(args, &cli),
        Command::Simulate(args) => simulate::run(args, &cli),
        Command::Rules(args) => rules::run(args, &cli),
        Command::Who(args) => who::run(args, &cli),
        Command::Decode(args) => decode::run(args, &cli),
        Command::Probe(args) => probe::run(args, &cli),
        Command::Explain(args) => explain::run(args, &cli),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // The message can quote a path or a value from the input: escaped.
            let _ = writeln!(
                std::io::stderr(),
                "error: {}",
                crate::report::terminal::layout(&e.message)
            );
            ExitCode::from(2)
        }
    }
}

/// Colour only on a terminal, and never with `NO_COLOR` set.
fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Writes to stdout, ignoring a closed pipe (`oidc-doctor … | head`).
fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}
