//! The `who` use case: which GitLab projects, ref types and refs can assume the role
//! a trust policy guards. Pure: the policy text in, a report out.

use crate::finding::{Finding, Location};
use crate::json::{SourceText, Span};
use crate::policy::parse_policy_json;
use crate::rules::{self, PolicyContext};
use crate::simulate::PolicySource;
use crate::subjects::{self, Analysis, Scope};

/// What `who` found.
#[derive(Debug, Clone)]
pub struct WhoReport {
    pub path: String,
    pub source: SourceText,
    /// `None` when the policy could not be read (see the findings).
    pub analysis: Option<Analysis>,
    /// The lint findings for the policy (a malformed policy is one).
    pub findings: Vec<Finding>,
}

/// Reads `policy`, lints it, and analyses the subjects it admits.
pub fn who(policy: PolicySource, scope: Option<&Scope>) -> WhoReport {
    let source = SourceText::new(policy.text.clone());
    let at = |span: Span| Location::from_span(&policy.path, &source, span, None);
    if let Some(offset) = policy.utf8_error {
        let f = Finding::new(&rules::INVALID_POLICY_JSON, "the file is not valid UTF-8")
            .help("save the policy as UTF-8")
            .at(at(Span::new(offset, offset + 1)));
        return WhoReport {
            path: policy.path.clone(),
            source: source.clone(),
            analysis: None,
            findings: vec![f],
        };
    }
    match parse_policy_json(&policy.text) {
        Err(e) => {
            let f = Finding::new(&rules::INVALID_POLICY_JSON, e.message).at(at(e.span));
            WhoReport {
                path: policy.path.clone(),
                source: source.clone(),
                analysis: None,
                findings: vec![f],
            }
        }
        Ok(p) => {
            let cx = PolicyContext::new(&policy.path, &source, &p);
            let mut findings = rules::check_policy(&cx);
            findings.sort_by_key(|f| {
                f.location
                    .as_ref()
                    .map(|l| (l.line, l.column))
                    .unwrap_or_default()
            });
            let analysis = subjects::analyze(&p, scope);
            WhoReport {
                path: policy.path.clone(),
                source: source.clone(),
                analysis: Some(analysis),
                findings,
            }
        }
    }
}
