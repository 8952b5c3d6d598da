//! Reading the command line's inputs: files (capped), tokens, `KEY=VALUE` pairs.

use std::path::Path;

use serde_json::Value;

use super::CliError;
use crate::simulate::{ClaimsOrigin, PolicySource, RoleArn};

pub use crate::lint::MAX_FILE_BYTES;
use crate::lint::read::{read_path, read_stdin};

/// Reads a file (or stdin for `-`) of at most [`MAX_FILE_BYTES`], bounded in time
/// when it is not a regular file (see [`crate::lint::read`]).
pub fn read_capped(path: &str) -> Result<Vec<u8>, CliError> {
    let read = if path == "-" {
        read_stdin(MAX_FILE_BYTES)
    } else {
        read_path(Path::new(path), MAX_FILE_BYTES)
    };
    read.map_err(|e| CliError::new(e.message(&display_path(path))))
}

fn display_path(path: &str) -> String {
    if path == "-" {
        "standard input".to_string()
    } else {
        path.to_string()
    }
}

/// Reads a policy file, keeping the position of invalid UTF-8 for the finding.
pub fn read_policy(path: &str) -> Result<PolicySource, CliError> {
    let bytes = read_capped(path)?;
    let display = if path == "-" {
        "<stdin>".to_string()
    } else {
        path.to_string()
    };
    Ok(match String::from_utf8(bytes) {
        Ok(text) => PolicySource {
            path: display,
            text,
            utf8_error: None,
            parsed: None,
            resource: None,
            front_end_error: None,
        },
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            PolicySource {
                path: display,
                text: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                utf8_error: Some(offset),
                parsed: None,
                resource: None,
                front_end_error: None,
            }
        }
    })
}

/// `KEY=VALUE`; a value that parses as a JSON array or number is taken as such,
/// anything else is a string (SPEC §2).
pub fn parse_key_value(arg: &str, flag: &str) -> Result<(String, Value), CliError> {
    let Some((key, raw)) = arg.split_once('=') else {
        return Err(CliError::new(format!("{flag} {arg:?}: expected KEY=VALUE")));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(CliError::new(format!("{flag} {arg:?}: the key is empty")));
    }
    let value = match serde_json::from_str::<Value>(raw) {
        Ok(v @ Value::Array(_)) if raw.trim_start().starts_with('[') => v,
        Ok(v @ Value::Number(_)) => v,
        _ => Value::String(raw.to_string()),
    };
    Ok((key.to_string(), value))
}

/// Where the token comes from, in SPEC §2's order: `--token` (or `-` for stdin),
/// `--token-file`, `$GITLAB_OIDC_TOKEN`, `$AWS_WEB_IDENTITY_TOKEN_FILE`.
pub fn read_token(
    token: Option<&str>,
    token_file: Option<&str>,
    use_env: bool,
) -> Result<Option<String>, CliError> {
    let from_file = |path: &str| -> Result<String, CliError> {
        let bytes = read_capped(path)?;
        String::from_utf8(bytes)
            .map(|s| s.trim().to_string())
            .map_err(|_| CliError::new(format!("{path}: the token file is not UTF-8 text")))
    };
    if let Some(t) = token {
        return if t == "-" {
            from_file("-").map(Some)
        } else {
            Ok(Some(t.trim().to_string()))
        };
    }
    if let Some(p) = token_file {
        return from_file(p).map(Some);
    }
    if !use_env {
        return Ok(None);
    }
    if let Ok(t) = std::env::var("GITLAB_OIDC_TOKEN")
        && !t.trim().is_empty()
    {
        return Ok(Some(t.trim().to_string()));
    }
    if let Ok(p) = std::env::var("AWS_WEB_IDENTITY_TOKEN_FILE")
        && !p.is_empty()
    {
        return from_file(&p).map(Some);
    }
    Ok(None)
}

/// What `simulate` and `check` read alike: the token or the `--claim`s (a token's
/// claims overridden by `--claim`; given claims default `iss` to GitLab.com), the
/// `--context` keys and `--role-arn`.
pub struct RequestInputs {
    pub token: Option<String>,
    /// `Err` says why the token could not be decoded.
    pub claims: Result<serde_json::Map<String, Value>, String>,
    pub origin: ClaimsOrigin,
    pub context: Vec<(String, Value)>,
    pub role_arn: Option<RoleArn>,
}

pub fn request_inputs(
    claims: &[String],
    context: &[String],
    role_arn: Option<&str>,
    token: Option<&str>,
    token_file: Option<&str>,
    no_claims: &str,
) -> Result<RequestInputs, CliError> {
    let pairs = |list: &[String], flag: &str| {
        list.iter()
            .map(|c| parse_key_value(c, flag))
            .collect::<Result<Vec<_>, _>>()
    };
    let overrides = pairs(claims, "--claim")?;
    let context = pairs(context, "--context")?;
    let role_arn = role_arn
        .map(RoleArn::parse)
        .transpose()
        .map_err(CliError::new)?;
    let token = read_token(token, token_file, overrides.is_empty())?;
    let (claims, origin) = match &token {
        Some(t) => (
            crate::token::decode_unverified(t)
                .map(|d| d.claims)
                .map_err(|e| e.message),
            ClaimsOrigin::Token,
        ),
        None if overrides.is_empty() => return Err(CliError::new(no_claims)),
        None => {
            let mut given = serde_json::Map::new();
            given.insert("iss".into(), Value::String("https://gitlab.com".into()));
            (Ok(given), ClaimsOrigin::Given)
        }
    };
    let claims = claims.map(|mut c| {
        for (k, v) in overrides {
            c.insert(k, v);
        }
        c
    });
    Ok(RequestInputs {
        token,
        claims,
        origin,
        context,
        role_arn,
    })
}

/// `--now`: RFC 3339 or UNIX seconds.
pub fn parse_now(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(secs) = s.parse::<i64>() {
        return chrono::DateTime::from_timestamp(secs, 0)
            .ok_or_else(|| format!("{s} is out of range"));
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("expected RFC 3339 (2026-01-02T03:04:05Z) or UNIX seconds: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_are_typed() {
        assert_eq!(
            parse_key_value("runner_id=5", "--claim").unwrap().1,
            serde_json::json!(5)
        );
        assert_eq!(
            parse_key_value(r#"amr=["a","b"]"#, "--claim").unwrap().1,
            serde_json::json!(["a", "b"])
        );
        assert_eq!(
            parse_key_value("sub=project_path:g/p:ref=x", "--claim").unwrap(),
            ("sub".into(), serde_json::json!("project_path:g/p:ref=x"))
        );
        assert_eq!(
            parse_key_value("ref_protected=true", "--claim").unwrap().1,
            serde_json::json!("true")
        );
        assert_eq!(
            parse_key_value("aud=", "--claim").unwrap().1,
            serde_json::json!("")
        );
        assert!(parse_key_value("novalue", "--claim").is_err());
        assert!(parse_key_value("=x", "--claim").is_err());
    }

    #[test]
    fn now_accepts_rfc3339_and_unix() {
        assert_eq!(
            parse_now("1767225600").unwrap().to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_now("2026-01-01T01:00:00+01:00").unwrap().timestamp(),
            1767225600
        );
        assert!(parse_now("yesterday").is_err());
    }
}
