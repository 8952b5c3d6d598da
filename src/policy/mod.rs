//! The trust-policy model: every element remembers where it came from.
//!
//! A [`Policy`] is what IAM would see, normalised (a scalar where IAM allows
//! "string or array" becomes a one-element list), with each element carrying its
//! byte span in the user's file and its RFC 6901 JSON pointer into the policy
//! document. Structural problems found while reading (unknown elements, wrong
//! types, duplicate keys) are kept in [`Policy::problems`] for the rules to report;
//! reading never stops at the first one.

pub mod from_cloudformation;

/// The account an IaC front end writes where a template says "the account this is
/// deployed to" (`${AWS::AccountId}`, `data.aws_caller_identity…`, a provider
/// reference): not knowable statically, and the role's own account at deploy time.
/// The engine therefore takes it as the request's account; no real account is
/// twelve zeros.
pub const DEPLOYING_ACCOUNT: &str = "000000000000";
pub mod from_json;
pub mod from_terraform;

pub use from_json::{PolicyParseError, parse_policy_json};

use crate::json::Span;

/// A value plus where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub span: Span,
    pub pointer: String,
}

impl<T> Located<T> {
    pub fn new(value: T, span: Span, pointer: impl Into<String>) -> Self {
        Located {
            value,
            span,
            pointer: pointer.into(),
        }
    }
}

/// An IAM policy document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    pub version: Option<Located<String>>,
    pub id: Option<Located<String>>,
    pub statements: Vec<Statement>,
    /// Whether `Statement` was written as an array (it may be a single object).
    pub statement_is_list: bool,
    /// Span of the whole document.
    pub span: Span,
    pub problems: Vec<PolicyProblem>,
    /// Values an IaC front end could not resolve statically (a Terraform `var.x`
    /// without default, a CloudFormation `!ImportValue`): the place holding each,
    /// with the expression as written. A finding located at or under one of these
    /// pointers is dropped (see [`Policy::is_unknown`]), so an unknown value never
    /// produces a false finding. Always empty for policy JSON. Sorted by pointer
    /// (see [`sort_unknowns`]), so that looking a pointer up is a binary search, not
    /// a scan: a Terraform file may hold tens of thousands of unknown values.
    pub unknowns: Vec<Located<String>>,
}

impl Policy {
    /// Policy variables (`${...}`) are only substituted under Version 2012-10-17;
    /// under 2008-10-17 or without a Version they are literal text.
    pub fn variables_enabled(&self) -> bool {
        self.version
            .as_ref()
            .is_some_and(|v| v.value == "2012-10-17")
    }

    /// Whether something strictly below the element at `pointer` is not known
    /// statically (the element's content is then only partly known).
    pub fn holds_unknown(&self, pointer: &str) -> bool {
        debug_assert!(self.unknowns.is_sorted_by(|a, b| a.pointer <= b.pointer));
        // The first pointer at or after `pointer/` is below it, if any is.
        let below = format!("{pointer}/");
        let at = self
            .unknowns
            .partition_point(|u| u.pointer.as_str() < below.as_str());
        self.unknowns
            .get(at)
            .is_some_and(|u| u.pointer.starts_with(&below))
    }

    /// Whether the element at `pointer` (or something containing it) holds a
    /// value that is not known statically.
    pub fn is_unknown(&self, pointer: &str) -> bool {
        debug_assert!(self.unknowns.is_sorted_by(|a, b| a.pointer <= b.pointer));
        let exact = |p: &str| {
            self.unknowns
                .binary_search_by(|u| u.pointer.as_str().cmp(p))
                .is_ok()
        };
        // The pointer itself, or one of its ancestors (`""` included).
        exact(pointer)
            || pointer
                .match_indices('/')
                .any(|(i, _)| pointer.get(..i).is_some_and(exact))
    }
}

/// Sorts [`Policy::unknowns`] by pointer, as the lookups expect (front ends
/// call this once a policy is built).
pub fn sort_unknowns(unknowns: &mut [Located<String>]) {
    unknowns.sort_by(|a, b| a.pointer.cmp(&b.pointer));
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    /// IAM spells these exactly: `allow` is rejected.
    pub fn parse(s: &str) -> Option<Effect> {
        match s {
            "Allow" => Some(Effect::Allow),
            "Deny" => Some(Effect::Deny),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// 0-based position in `Statement` (a single-object `Statement` is index 0).
    pub index: usize,
    pub span: Span,
    pub pointer: String,
    pub sid: Option<Located<String>>,
    /// The Effect as written; see [`Statement::effect`].
    pub effect: Option<Located<String>>,
    pub principal: Option<Located<Principal>>,
    pub not_principal: Option<Located<Principal>>,
    pub action: Option<Located<Vec<Located<String>>>>,
    pub not_action: Option<Located<Vec<Located<String>>>>,
    pub resource: Option<Located<Vec<Located<String>>>>,
    pub not_resource: Option<Located<Vec<Located<String>>>>,
    /// Span/pointer of the `Condition` object, when present.
    pub condition: Option<Located<()>>,
    /// Every operator → key entry, in source order (for duplicated keys, the last one).
    pub conditions: Vec<Condition>,
}

impl Statement {
    pub fn effect(&self) -> Option<Effect> {
        self.effect.as_ref().and_then(|e| Effect::parse(&e.value))
    }
}

/// `Principal` / `NotPrincipal`.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    /// `"Principal": "*"`.
    Wildcard,
    /// `{"Federated": [...], "AWS": [...], ...}`.
    Typed(Vec<PrincipalEntry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalEntry {
    /// `Federated`, `AWS`, `Service`, `CanonicalUser`.
    pub kind: Located<String>,
    pub values: Vec<Located<String>>,
}

impl Principal {
    /// All values of one principal type (`Federated`, …).
    pub fn values_of<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = &'a Located<String>> + 'a {
        let entries: &[PrincipalEntry] = match self {
            Principal::Wildcard => &[],
            Principal::Typed(e) => e,
        };
        entries
            .iter()
            .filter(move |e| e.kind.value == kind)
            .flat_map(|e| e.values.iter())
    }
}

/// One `"Operator": {"key": values}` entry of a Condition block.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator as written, e.g. `ForAnyValue:StringLikeIfExists`.
    pub operator: Located<String>,
    /// The condition key as written, e.g. `gitlab.com:sub`.
    pub key: Located<String>,
    pub values: Vec<Located<ConditionValue>>,
    /// Span of the value (string or array) as a whole.
    pub values_span: Span,
    pub values_pointer: String,
    pub values_is_list: bool,
}

/// A condition value as text, with the JSON type it was written as
/// (`"Bool": {"k": true}` and `"Bool": {"k": "true"}` mean the same to IAM).
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionValue {
    pub text: String,
    pub json_type: JsonType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Number,
    Bool,
    /// Not known statically (IaC sources only); `text` is the expression as
    /// written. The engine treats a condition holding one as undecidable.
    Unknown,
}

/// A structural problem found while reading a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyProblem {
    pub kind: ProblemKind,
    pub message: String,
    pub help: Option<String>,
    pub span: Span,
    pub pointer: String,
    /// Another place involved (for a duplicate key: the earlier occurrence).
    pub related: Option<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// An element name IAM does not know (`Statment`), or a value it does not accept
    /// (`"Effect": "allow"`, an unknown `Version`, a wrong JSON type, a missing element).
    UnknownElement,
    /// The same key twice in one object (or keys differing only in case).
    DuplicateKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_pointers_cover_their_children_only() {
        let policy = Policy {
            unknowns: vec![Located::new(
                "var.sub".to_string(),
                Span::new(0, 1),
                "/Statement/0/Condition/StringEquals/gitlab.com:sub",
            )],
            ..Policy::default()
        };
        assert!(policy.is_unknown("/Statement/0/Condition/StringEquals/gitlab.com:sub"));
        assert!(policy.is_unknown("/Statement/0/Condition/StringEquals/gitlab.com:sub/1"));
        assert!(!policy.is_unknown("/Statement/0/Condition/StringEquals/gitlab.com:subx"));
        assert!(!policy.is_unknown("/Statement/0/Condition/StringEquals"));
        assert!(policy.holds_unknown("/Statement/0/Condition/StringEquals"));
        assert!(policy.holds_unknown(""));
        assert!(!policy.holds_unknown("/Statement/0/Condition/StringEquals/gitlab.com:sub"));
        assert!(!policy.holds_unknown("/Statement/1"));
    }
}
