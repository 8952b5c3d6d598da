//! Findings: what a rule reports, where, and what to do about it.

use serde::Serialize;

use crate::json::{SourceText, Span};
use crate::rules::RuleMeta;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Correctness,
    Security,
    Connectivity,
    Hygiene,
}

/// A place in a file: 1-based line/column (columns count characters), plus the
/// JSON pointer into the policy document IAM sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub pointer: Option<String>,
    pub resource: Option<String>,
    /// Byte span, for renderers that show the source; not part of the wire format.
    #[serde(skip)]
    pub span: Option<Span>,
}

impl Location {
    pub fn from_span(
        path: &str,
        source: &SourceText,
        span: Span,
        pointer: Option<&str>,
    ) -> Location {
        let (start, end) = source.span_line_cols(span);
        Location {
            path: path.to_string(),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            pointer: pointer.map(str::to_string),
            resource: None,
            span: Some(span),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub category: Category,
    pub message: String,
    pub help: String,
    pub aws_error: Option<String>,
    pub location: Option<Location>,
    /// Other places involved (the earlier occurrence of a duplicate key, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

impl Finding {
    /// A finding of `rule` with the rule's default severity, category and AWS error.
    pub fn new(rule: &RuleMeta, message: impl Into<String>) -> Finding {
        Finding {
            rule: rule.name,
            severity: rule.severity,
            category: rule.category,
            message: message.into(),
            help: rule.fix.to_string(),
            aws_error: rule.aws_error.map(str::to_string),
            location: None,
            related: Vec::new(),
            example: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = help.into();
        self
    }

    pub fn at(mut self, location: Location) -> Finding {
        self.location = Some(location);
        self
    }

    pub fn related(mut self, location: Location) -> Finding {
        self.related.push(location);
        self
    }

    pub fn example(mut self, example: impl Into<String>) -> Finding {
        self.example = Some(example.into());
        self
    }
}

/// Counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub files: usize,
}

impl Summary {
    pub fn of(findings: &[Finding], files: usize) -> Summary {
        Summary::of_all(findings, files)
    }

    /// The counts of any sequence of findings.
    pub fn of_all<'a>(findings: impl IntoIterator<Item = &'a Finding>, files: usize) -> Summary {
        let mut s = Summary {
            errors: 0,
            warnings: 0,
            infos: 0,
            files,
        };
        for f in findings {
            match f.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }
}
