//! `oidc-doctor decode`.

use std::process::ExitCode;

use clap::Args;
use serde_json::Value;

use super::input::{parse_now, read_capped, read_token};
use super::net::{NetArgs, runtime};
use super::{Cli, CliError, Format, print, use_color};
use crate::finding::Severity;
use crate::issuer::probe::{ProbeOptions, probe};
use crate::issuer::validate::jwks_findings;
use crate::report;
use crate::report::decode::DecodeReport;
use crate::token::analyze::analyze;
use crate::token::verify::{KeyOrigin, Verification, verify_from};

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The token, or `-` to read it from standard input. Default: --token-file,
    /// then $GITLAB_OIDC_TOKEN, then the file $AWS_WEB_IDENTITY_TOKEN_FILE names.
    #[arg(value_name = "TOKEN", conflicts_with_all = ["token_file", "token_flag"])]
    pub token: Option<String>,

    /// The token as an option (SPEC §2's common `--token JWT`, or `-` for standard input).
    #[arg(long = "token", value_name = "JWT", conflicts_with = "token_file")]
    pub token_flag: Option<String>,

    /// Read the token from a file.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<String>,

    /// "Now" for the time checks: RFC 3339 or UNIX seconds (default: the clock).
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,

    /// Verify the signature with the issuer's keys: fetched from the `iss` claim's
    /// discovery document and jwks_uri, or read from --jwks-file.
    #[arg(long)]
    pub verify: bool,

    /// A JWKS file (`{"keys": [...]}`) to verify with instead of fetching; implies --verify.
    #[arg(long, value_name = "PATH")]
    pub jwks_file: Option<String>,

    #[command(flatten)]
    pub net: NetArgs,
}

pub fn run(args: &DecodeArgs, cli: &Cli) -> Result<ExitCode, CliError> {
    super::require_format(cli, "decode", &[Format::Human, Format::Json])?;
    let given = args.token.as_deref().or(args.token_flag.as_deref());
    let token = read_token(given, args.token_file.as_deref(), true)?
        .ok_or_else(|| {
            CliError::new(
                "no token: pass it as an argument, `-` for standard input, --token-file PATH, or set GITLAB_OIDC_TOKEN",
            )
        })?;
    let now = args.now.unwrap_or_else(chrono::Utc::now);
    let token_report = analyze(&token, now);
    let mut findings = token_report.findings.clone();
    let mut verification = None;
    let mut keys_from = None;
    let mut probe_report = None;
    // Why the fetched keys are not the issuer's for sure (`None`: a file, or TLS
    // that validated for the hosts).
    let mut unauthenticated: Option<String> = None;

    if args.verify || args.jwks_file.is_some() {
        let jwks: Option<Value> = match &args.jwks_file {
            Some(path) => {
                let bytes = read_capped(path)?;
                let value: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| CliError::new(format!("--jwks-file {path}: not JSON: {e}")))?;
                findings.extend(jwks_findings(&bytes));
                keys_from = Some(path.clone());
                Some(value)
            }
            None => match token_report
                .decoded
                .as_ref()
                .and_then(|d| d.claims.get("iss"))
                .and_then(Value::as_str)
            {
                Some(iss) if iss.contains("://") => {
                    let (net, roots) = args.net.options()?;
                    let opts = ProbeOptions {
                        issuer: iss.to_string(),
                        net,
                        roots,
                        now,
                        thumbprints: Vec::new(),
                    };
                    let rt = runtime()?;
                    let p = rt.block_on(probe(&opts)).map_err(CliError::new)?;
                    findings.extend(p.findings.iter().cloned());
                    keys_from = p.jwks.as_ref().map(|j| j.fetched.url.clone());
                    unauthenticated = p.keys_unauthenticated.clone();
                    let doc = p.jwks_document.clone();
                    probe_report = Some(p);
                    doc
                }
                _ => {
                    verification = Some(Verification::NotTried(
                        "the token has no `iss` URL to fetch keys from; pass --jwks-file".into(),
                    ));
                    None
                }
            },
        };
        if let (Some(jwks), Some(decoded)) = (&jwks, token_report.decoded.as_ref()) {
            let origin = match &unauthenticated {
                Some(why) => KeyOrigin::Unauthenticated(why),
                None => KeyOrigin::Authenticated,
            };
            let v = verify_from(&token, decoded, jwks, origin);
            if let Verification::Failed(f) = &v {
                findings.push((**f).clone());
            }
            verification = Some(v);
        } else if verification.is_none() {
            verification = Some(Verification::NotTried(if token_report.decoded.is_none() {
                "the token could not be decoded".into()
            } else {
                "no JWKS could be fetched (see the findings)".into()
            }));
        }
    }

    let report = DecodeReport {
        token: token_report,
        verification,
        keys_from,
        probe: probe_report,
        findings,
    };
    match cli.format {
        Format::Human => print(&report::decode::human(
            &report,
            report::human::Style { color: use_color() },
        )),
        // Rejected by `require_format` above.
        Format::Json | Format::Sarif | Format::Gitlab => print(&report::decode::json(&report)),
    }
    Ok(exit_code(&report.findings, cli))
}

/// `0` nothing at or above the fail level (default: error), `1` otherwise.
pub fn exit_code(findings: &[crate::finding::Finding], cli: &Cli) -> ExitCode {
    let level = cli.fail_on.unwrap_or(Severity::Error);
    if findings.iter().any(|f| f.severity >= level) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
