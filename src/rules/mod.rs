//! Rule identities: the stable name, category, default severity, AWS consequence
//! and fix of every rule the tool reports.

use crate::finding::{Category, Severity};

/// The exact error STS returns when the trust policy does not admit the request.
pub const ACCESS_DENIED: &str =
    "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity";
/// The exact error STS returns for a token that is not a JWT.
pub const NOT_A_JWT: &str = "InvalidIdentityToken: The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)";

/// A rule's identity and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case name: the identity used in configuration and output.
    pub name: &'static str,
    pub category: Category,
    pub severity: Severity,
    /// One line: what the rule catches.
    pub summary: &'static str,
    /// The exact AWS error this problem produces, when there is one.
    pub aws_error: Option<&'static str>,
    /// The default fix.
    pub fix: &'static str,
}

macro_rules! rules {
    ($($ident:ident = $name:literal, $cat:ident, $sev:ident, $aws:expr, $summary:literal, $fix:literal;)*) => {
        $(pub const $ident: Rule = Rule {
            name: $name,
            category: Category::$cat,
            severity: Severity::$sev,
            summary: $summary,
            aws_error: $aws,
            fix: $fix,
        };)*

        /// Every rule, in a fixed order.
        pub const ALL: &[Rule] = &[$($ident,)*];
    };
}

const MALFORMED: Option<&str> =
    Some("MalformedPolicyDocument: the policy is rejected when the role is created or updated");

rules! {
    INVALID_POLICY_JSON = "invalid-policy-json", Correctness, Error, MALFORMED,
        "the policy is not valid JSON as strictly as IAM reads it",
        "fix the JSON syntax at the position shown; IAM accepts no comments or trailing commas";
    UNKNOWN_POLICY_ELEMENT = "unknown-policy-element", Correctness, Error, MALFORMED,
        "an element IAM does not know, or a value it does not accept",
        "use IAM's element names and values exactly as documented (they are case-sensitive)";
    DUPLICATE_JSON_KEY = "duplicate-json-key", Correctness, Error, None,
        "the same key twice in one object (or keys differing only in case)",
        "keep one key; oidc-doctor evaluates the last occurrence, what IAM does is not documented";
    UNKNOWN_CONDITION_OPERATOR = "unknown-condition-operator", Correctness, Error, MALFORMED,
        "a condition operator IAM does not know",
        "use the nearest valid operator name";
    NULL_WITH_IF_EXISTS = "null-with-if-exists", Correctness, Error, MALFORMED,
        "`IfExists` added to `Null`, which IAM does not allow",
        "use `Null` alone: it already tests whether the key exists";
    TOKEN_MALFORMED = "token-malformed", Correctness, Error, Some(NOT_A_JWT),
        "the token is not a well-formed JWT",
        "pass the ID token from the job's `id_tokens:` variable, not another CI variable";
    SUB_NOT_ADMITTED = "sub-not-admitted", Correctness, Error, Some(ACCESS_DENIED),
        "the token's `sub` is not admitted by the trust policy",
        "add the subject (or a pattern that covers it) to the `sub` condition, or run the job on an admitted ref";
    CLAIM_NOT_ADMITTED = "claim-not-admitted", Correctness, Error, Some(ACCESS_DENIED),
        "a token claim other than `sub` fails a trust-policy condition",
        "align the condition with the token (e.g. the `aud` in `id_tokens:`), or the token with the condition";
    ISSUER_PROVIDER_MISMATCH = "issuer-provider-mismatch", Correctness, Error, Some(ACCESS_DENIED),
        "no statement's Federated principal is the OIDC provider of the token's issuer",
        "set Principal.Federated to arn:aws:iam::<account>:oidc-provider/<issuer without https://>";
    WRONG_ACTION = "wrong-action", Correctness, Error, Some(ACCESS_DENIED),
        "the statement's actions do not cover sts:AssumeRoleWithWebIdentity",
        "add \"sts:AssumeRoleWithWebIdentity\" to Action";
}

/// Looks a rule up by name.
pub fn by_name(name: &str) -> Option<&'static Rule> {
    ALL.iter().find(|r| r.name == name)
}
