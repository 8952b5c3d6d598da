//! Network options shared by `probe` and `decode --verify` (SPEC §2 "Network").

use std::time::Duration;

use clap::Args;

use super::CliError;
use super::input::read_capped;
use crate::issuer::fetch::{ConnectTo, NetOptions, Proxy};
use crate::issuer::tls::{Roots, parse_pem_certificates};

#[derive(Debug, Args, Clone)]
pub struct NetArgs {
    /// Bounds every network wait, in seconds (AWS itself gives up at 5).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_timeout)]
    pub timeout: f64,

    /// Send connections for HOST:PORT to ADDR:PORT (curl semantics); every rule
    /// still judges the URL as written. Repeatable.
    #[arg(long = "connect-to", value_name = "HOST:PORT:ADDR:PORT", value_parser = ConnectTo::parse)]
    pub connect_to: Vec<ConnectTo>,

    /// PEM file of extra root certificates that count as publicly trusted (a
    /// private PKI you know AWS trusts, and tests).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<String>,
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t > 0.0 && t <= 600.0 => Ok(t),
        _ => Err(format!(
            "{s:?}: expected seconds, more than 0 and at most 600"
        )),
    }
}

impl NetArgs {
    /// The options, and the trust store; warns on stderr when a proxy is used.
    pub fn options(&self) -> Result<(NetOptions, Roots), CliError> {
        let extra = match &self.ca_file {
            Some(path) => {
                let pem = read_capped(path)?;
                parse_pem_certificates(&pem)
                    .map_err(|e| CliError::new(format!("--ca-file {path}: {e}")))?
            }
            None => Vec::new(),
        };
        let roots = Roots::new(&extra).map_err(CliError::new)?;
        let proxy = Proxy::from_env().map_err(CliError::new)?;
        if let Some(p) = &proxy {
            eprintln!(
                "warning: using the proxy {} from HTTPS_PROXY; an intercepting proxy changes the certificate chain, and so the computed thumbprint",
                p.url
            );
        }
        Ok((
            NetOptions {
                timeout: Duration::from_secs_f64(self.timeout),
                connect_to: self.connect_to.clone(),
                proxy,
            },
            roots,
        ))
    }
}

/// A single-threaded runtime: the network work is a handful of sequential and
/// concurrent fetches.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the network runtime: {e}")))
}
