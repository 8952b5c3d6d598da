//! SARIF 2.1.0 output (`lint --format sarif`).
//!
//! A compact hand-written model of the part of SARIF we emit, rather than the
//! `serde-sarif` crate: that crate generates ~2,300 lines of types from the schema
//! in a build script (schemafy + syn + prettyplease, over a minute of cold build on
//! our 2-core machines), types the fields we care about loosely (`level` and
//! `columnKind` are `serde_json::Value`), and 0.8.0 does not compile unless some
//! other crate enables serde's `derive` feature. What makes our output correct is
//! the test that validates it against the official schema
//! (`tests/schemas/sarif-schema-2.1.0.json`), which holds for this model as well.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::finding::{Location, Severity};
use crate::fingerprint::Fingerprinted;
use crate::report::rule_doc;
use crate::report::terminal::streamed;
use crate::rules::{self, RuleMeta};

/// The SARIF schema URI written into `$schema`.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The `partialFingerprints` key; the version changes with the recipe.
pub const FINGERPRINT_KEY: &str = "oidcDoctorFingerprint/v1";

#[derive(Serialize)]
struct Log<R> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<R>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<R> {
    tool: Tool,
    invocations: Vec<Invocation>,
    column_kind: &'static str,
    /// The results, made one at a time as they are written ([`MapSeq`]).
    results: R,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    short_description: Text,
    full_description: Text,
    help: Multiformat,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Multiformat {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    category: &'static str,
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    fully_qualified_name: String,
    kind: &'static str,
}

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn descriptor(r: &RuleMeta) -> ReportingDescriptor {
    let category = rule_doc::category_name(r.category);
    ReportingDescriptor {
        id: r.name,
        short_description: Text {
            text: rule_doc::sentence(r.summary),
        },
        full_description: Text {
            text: r.explanation.trim().to_string(),
        },
        help: Multiformat {
            text: rule_doc::text(r),
            markdown: rule_doc::markdown(r),
        },
        help_uri: rule_doc::doc_url(r.name),
        default_configuration: Configuration {
            level: level(r.severity),
        },
        properties: RuleProperties {
            category,
            tags: vec![category],
        },
    }
}

/// Percent-encodes what may not stand in a URI path (RFC 3986 `pchar` and `/`).
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Relative paths are relative to the project root (`%SRCROOT%`); absolute ones
/// become `file://` URIs; standard input has no URI.
fn artifact(project_path: &str) -> ArtifactLocation {
    if project_path.starts_with('<') {
        ArtifactLocation {
            uri: None,
            uri_base_id: None,
            description: Some(Text {
                text: "standard input".to_string(),
            }),
        }
    } else if project_path.starts_with('/') {
        ArtifactLocation {
            uri: Some(format!("file://{}", uri_path(project_path))),
            uri_base_id: None,
            description: None,
        }
    } else {
        ArtifactLocation {
            uri: Some(uri_path(project_path)),
            uri_base_id: Some("%SRCROOT%"),
            description: None,
        }
    }
}

fn location(
    l: &Location,
    project_path: &str,
    snippet: Option<&str>,
    id: Option<usize>,
    message: Option<String>,
) -> SarifLocation {
    let mut logical = Vec::new();
    if let Some(p) = l.pointer.as_deref().filter(|p| !p.is_empty()) {
        logical.push(LogicalLocation {
            fully_qualified_name: p.to_string(),
            kind: "element",
        });
    }
    if let Some(r) = &l.resource {
        logical.push(LogicalLocation {
            fully_qualified_name: r.clone(),
            kind: "resource",
        });
    }
    SarifLocation {
        id,
        physical_location: PhysicalLocation {
            artifact_location: artifact(project_path),
            region: Region {
                start_line: l.line.max(1),
                start_column: l.column.max(1),
                end_line: l.end_line.max(l.line).max(1),
                end_column: l.end_column.max(1),
                snippet: snippet.map(|s| Text {
                    text: s.to_string(),
                }),
            },
        },
        logical_locations: logical,
        message: message.map(|text| Text { text }),
    }
}

/// Writes the SARIF log of a lint run into `out`, each result made as it is
/// written.
pub fn write_lint(
    findings: impl Iterator<Item = Fingerprinted>,
    root: &crate::fingerprint::ProjectRoot,
    out: impl std::io::Write,
) -> serde_json::Result<()> {
    let results = streamed(findings.map(|fp| Item(fp, root)));
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "oidc-doctor",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: rule_doc::information_uri(),
                    rules: rules::ALL.iter().map(|r| descriptor(r)).collect(),
                },
            },
            invocations: vec![Invocation {
                execution_successful: true,
            }],
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    super::terminal::write_json(&log, out)
}

/// One finding as it is written, with the root its paths are relative to.
struct Item<'r>(Fingerprinted, &'r crate::fingerprint::ProjectRoot);

impl Serialize for Item<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        result(&self.0, self.1).serialize(serializer)
    }
}

fn result(fp: &Fingerprinted, root: &crate::fingerprint::ProjectRoot) -> SarifResult {
    let f = &fp.finding;
    let mut text = f.message.clone();
    if !f.help.is_empty() {
        text.push_str("\nHelp: ");
        text.push_str(&f.help);
    }
    if let Some(ex) = &f.example {
        text.push_str("\nExample: ");
        text.push_str(ex);
    }
    let locations = match (&f.location, &fp.project_path) {
        (Some(l), Some(p)) => vec![location(l, p, fp.snippet.as_deref(), None, None)],
        _ => Vec::new(),
    };
    let related_locations = f
        .related
        .iter()
        .enumerate()
        .map(|(i, l)| {
            location(
                l,
                &root.relative(&l.path),
                None,
                Some(i + 1),
                Some("related location".to_string()),
            )
        })
        .collect();
    let mut properties = BTreeMap::new();
    properties.insert("category", rule_doc::category_name(f.category).to_string());
    if let Some(e) = &f.aws_error {
        properties.insert("awsError", e.clone());
    }
    SarifResult {
        rule_id: f.rule,
        rule_index: rules::ALL.iter().position(|r| r.name == f.rule),
        level: level(f.severity),
        message: Text { text },
        locations,
        related_locations,
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fp.fingerprint.clone())]),
        properties,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uris() {
        assert_eq!(uri_path("infra/a b#1.json"), "infra/a%20b%231.json");
        assert_eq!(
            artifact("/abs/x.json").uri.as_deref(),
            Some("file:///abs/x.json")
        );
        assert!(artifact("<stdin>").uri.is_none());
    }
}
