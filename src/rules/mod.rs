//! The rule registry: every rule's identity and documentation, and the checks
//! that run on each trust policy.
//!
//! One rule per file. Each file declares `pub static META: RuleMeta` — stable
//! kebab-case name, category, default severity, one-line summary, the AWS error the
//! problem causes, the fix, and the documentation (explanation, bad and good
//! example) that `oidc-doctor rules NAME`, SARIF and `docs/rules/NAME.md` are
//! generated from. Files whose rule inspects a policy also implement [`Rule`].
//! Rules are registered below, in one place, in a fixed order.

use crate::finding::{Category, Finding, Location, Severity};
use crate::iam::provider::ProviderArn;
use crate::json::{SourceText, Span};
use crate::policy::{Located, Policy, Statement};

pub(crate) mod analysis_limit;
mod aud_mismatch;
mod claim_not_admitted;
mod duplicate_json_key;
mod id_token_aud_mismatch;
// Rules of the `.gitlab-ci.yml` front end.
mod duration_exceeds_max_session;
mod invalid_policy_json;
mod issuer_provider_mismatch;
mod legacy_ci_job_jwt;
mod null_with_if_exists;
mod parse_error;
mod provider_url_invalid;
mod role_session_name_invalid;
mod sub_not_admitted;
mod terraform_wrong_type;
mod token_malformed;
mod unknown_condition_operator;
mod unknown_policy_element;
mod web_identity_token_not_an_id_token;
mod wrong_action;
// `check`: the AWS side.
mod audience_not_in_client_ids;
mod provider_not_found;
mod role_account_mismatch;

// Rules A: principal, structure and condition-key rules.
mod condition_key_has_scheme;
mod condition_key_provider_mismatch;
mod for_all_values_on_single_valued_key;
mod if_exists_on_identity_claim;
mod invalid_federated_principal;
mod missing_aud_condition;
mod not_principal_in_trust_policy;
pub(crate) mod oidc_keys;
mod policy_too_large;
mod resource_in_trust_policy;
mod string_like_without_wildcard;
#[cfg(test)]
mod test_support;
mod unsupported_condition_key;
mod wildcard_in_exact_operator;
mod wildcard_principal;
// Subject analysis rules (src/subjects).
mod contradictory_conditions;
mod merge_request_pipelines_admitted;
mod missing_sub_condition;
mod negated_operator_only;
mod path_based_identity;
mod sub_never_matches;
mod sub_wildcard_crosses_namespace;
mod sub_wildcard_too_broad;
mod unprotected_refs_admitted;
// Token, issuer and TLS rules (decode, probe): reported by src/token and src/issuer.
mod discovery_invalid;
mod discovery_slow;
mod discovery_timeout;
mod discovery_unreachable;
mod http_redirect;
mod issuer_has_port;
mod issuer_not_https;
mod issuer_private_address;
mod jwks_invalid;
mod jwks_key_invalid;
mod jwks_not_cacheable;
mod jwks_slow;
mod jwks_timeout;
mod jwks_unreachable;
mod jwks_uri_off_host;
mod kid_not_in_jwks;
mod multiple_audiences;
mod signature_invalid;
mod thumbprint_mismatch;
mod tls_chain_incomplete;
mod tls_chain_order;
mod tls_expired;
mod tls_expiring;
mod tls_hostname_mismatch;
mod tls_not_publicly_trusted;
mod token_alg_unsupported;
mod token_expired;
mod token_missing_claim;
mod token_not_yet_valid;
mod token_too_long;
mod waf_challenge;

/// The exact error STS returns when the trust policy does not admit the request.
pub const ACCESS_DENIED: &str =
    "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity";
/// The exact error STS returns for a token that is not a JWT.
pub const NOT_A_JWT: &str = "InvalidIdentityToken: The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)";
/// What STS answers when it cannot get the issuer's keys (discovery, JWKS, reachability, WAF, time).
pub const KEY_RETRIEVAL: &str = "InvalidIdentityToken: Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements";
/// What STS answers for an expired token (the times vary).
pub const EXPIRED_TOKEN: &str = "ExpiredTokenException: Token expired: current date/time … must be before the expiration date/time …";
/// What STS answers when AWS relies on the thumbprint and none matches.
pub const THUMBPRINT_ERROR: &str = "InvalidIdentityToken: OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint";
/// What IAM answers when a role is created or updated with an invalid trust policy.
/// Only the error code: the message text varies and is not confirmed for every case.
pub const MALFORMED_POLICY: &str = "MalformedPolicyDocument";
/// What STS answers when no IAM OIDC provider of the account has the token's `iss`
/// (AWS appends the issuer URL).
pub const PROVIDER_NOT_FOUND: &str =
    "InvalidIdentityToken: No OpenIDConnect provider found in your account for …";
/// What STS answers when the token's audience is not one of the provider's client IDs.
pub const INCORRECT_AUDIENCE: &str = "InvalidIdentityToken: Incorrect token audience";

/// A rule's identity, defaults and documentation.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// Stable kebab-case name: the identity used in configuration and output.
    pub name: &'static str,
    pub category: Category,
    /// The default severity (configuration may override it).
    pub severity: Severity,
    /// One line: what the rule catches.
    pub summary: &'static str,
    /// The exact AWS error this problem produces, when there is one.
    pub aws_error: Option<&'static str>,
    /// The default fix, one line.
    pub fix: &'static str,
    /// What it catches and why it matters (Markdown).
    pub explanation: &'static str,
    /// A policy fragment that triggers the rule.
    pub bad: &'static str,
    /// The same fragment, fixed.
    pub good: &'static str,
}

/// A check that runs on every trust policy.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &PolicyContext<'_>, out: &mut Vec<Finding>);
}

/// Every rule's metadata, in a fixed order: the catalogue `oidc-doctor rules` lists.
pub static ALL: &[&RuleMeta] = &[
    &invalid_policy_json::META,
    &parse_error::META,
    &analysis_limit::META,
    &terraform_wrong_type::META,
    &unknown_policy_element::META,
    &duplicate_json_key::META,
    &unknown_condition_operator::META,
    &null_with_if_exists::META,
    &wrong_action::META,
    &token_malformed::META,
    &issuer_provider_mismatch::META,
    &sub_not_admitted::META,
    &claim_not_admitted::META,
    &not_principal_in_trust_policy::META,
    &resource_in_trust_policy::META,
    &policy_too_large::META,
    &invalid_federated_principal::META,
    &wildcard_principal::META,
    &wildcard_in_exact_operator::META,
    &condition_key_has_scheme::META,
    &condition_key_provider_mismatch::META,
    &unsupported_condition_key::META,
    &if_exists_on_identity_claim::META,
    &for_all_values_on_single_valued_key::META,
    &missing_aud_condition::META,
    &string_like_without_wildcard::META,
    // Subject analysis rules.
    &sub_never_matches::META,
    &contradictory_conditions::META,
    &missing_sub_condition::META,
    &negated_operator_only::META,
    &sub_wildcard_crosses_namespace::META,
    &sub_wildcard_too_broad::META,
    &path_based_identity::META,
    &unprotected_refs_admitted::META,
    &merge_request_pipelines_admitted::META,
    // Cross-file checks of IaC trees (src/lint/cross.rs).
    &aud_mismatch::META,
    &id_token_aud_mismatch::META,
    &provider_url_invalid::META,
    // Token, issuer and TLS rules.
    &token_too_long::META,
    &token_alg_unsupported::META,
    &token_expired::META,
    &token_not_yet_valid::META,
    &token_missing_claim::META,
    &multiple_audiences::META,
    &kid_not_in_jwks::META,
    &signature_invalid::META,
    &discovery_unreachable::META,
    &discovery_timeout::META,
    &discovery_slow::META,
    &discovery_invalid::META,
    &jwks_unreachable::META,
    &jwks_timeout::META,
    &jwks_slow::META,
    &jwks_invalid::META,
    &jwks_key_invalid::META,
    &jwks_uri_off_host::META,
    &jwks_not_cacheable::META,
    &issuer_not_https::META,
    &issuer_has_port::META,
    &issuer_private_address::META,
    &http_redirect::META,
    &waf_challenge::META,
    &tls_not_publicly_trusted::META,
    &tls_chain_order::META,
    &tls_chain_incomplete::META,
    &tls_expired::META,
    &tls_expiring::META,
    &tls_hostname_mismatch::META,
    &thumbprint_mismatch::META,
    // `.gitlab-ci.yml`.
    &legacy_ci_job_jwt::META,
    &role_session_name_invalid::META,
    &duration_exceeds_max_session::META,
    &web_identity_token_not_an_id_token::META,
    // `check`: the AWS side (IAM role and OIDC provider).
    &provider_not_found::META,
    &audience_not_in_client_ids::META,
    &role_account_mismatch::META,
];

/// The checks `lint` runs on each policy, in a fixed order.
pub static POLICY_RULES: &[&dyn Rule] = &[
    &unknown_policy_element::UnknownPolicyElement,
    &duplicate_json_key::DuplicateJsonKey,
    &unknown_condition_operator::UnknownConditionOperator,
    &null_with_if_exists::NullWithIfExists,
    &wrong_action::WrongAction,
    &not_principal_in_trust_policy::NotPrincipalInTrustPolicy,
    &resource_in_trust_policy::ResourceInTrustPolicy,
    &policy_too_large::PolicyTooLarge,
    &invalid_federated_principal::InvalidFederatedPrincipal,
    &wildcard_principal::WildcardPrincipal,
    &wildcard_in_exact_operator::WildcardInExactOperator,
    &condition_key_has_scheme::ConditionKeyHasScheme,
    &condition_key_provider_mismatch::ConditionKeyProviderMismatch,
    &unsupported_condition_key::UnsupportedConditionKey,
    &if_exists_on_identity_claim::IfExistsOnIdentityClaim,
    &for_all_values_on_single_valued_key::ForAllValuesOnSingleValuedKey,
    &missing_aud_condition::MissingAudCondition,
    &string_like_without_wildcard::StringLikeWithoutWildcard,
    // Subject analysis rules.
    &sub_never_matches::SubNeverMatches,
    &contradictory_conditions::ContradictoryConditions,
    &missing_sub_condition::MissingSubCondition,
    &negated_operator_only::NegatedOperatorOnly,
    &sub_wildcard_crosses_namespace::SubWildcardCrossesNamespace,
    &sub_wildcard_too_broad::SubWildcardTooBroad,
    &path_based_identity::PathBasedIdentity,
    &unprotected_refs_admitted::UnprotectedRefsAdmitted,
    &merge_request_pipelines_admitted::MergeRequestPipelinesAdmitted,
    &analysis_limit::AnalysisLimit,
];

// Short names for the rules other modules report directly.
pub use analysis_limit::META as ANALYSIS_LIMIT;
pub use aud_mismatch::META as AUD_MISMATCH;
pub use audience_not_in_client_ids::META as AUDIENCE_NOT_IN_CLIENT_IDS;
pub use claim_not_admitted::META as CLAIM_NOT_ADMITTED;
pub use condition_key_provider_mismatch::META as CONDITION_KEY_PROVIDER_MISMATCH;
pub use discovery_invalid::META as DISCOVERY_INVALID;
pub use discovery_slow::META as DISCOVERY_SLOW;
pub use discovery_timeout::META as DISCOVERY_TIMEOUT;
pub use discovery_unreachable::META as DISCOVERY_UNREACHABLE;
pub use duplicate_json_key::META as DUPLICATE_JSON_KEY;
pub use duration_exceeds_max_session::META as DURATION_EXCEEDS_MAX_SESSION;
pub use http_redirect::META as HTTP_REDIRECT;
pub use id_token_aud_mismatch::META as ID_TOKEN_AUD_MISMATCH;
pub use invalid_policy_json::META as INVALID_POLICY_JSON;
pub use issuer_has_port::META as ISSUER_HAS_PORT;
pub use issuer_not_https::META as ISSUER_NOT_HTTPS;
pub use issuer_private_address::META as ISSUER_PRIVATE_ADDRESS;
pub use issuer_provider_mismatch::META as ISSUER_PROVIDER_MISMATCH;
pub use jwks_invalid::META as JWKS_INVALID;
pub use jwks_key_invalid::META as JWKS_KEY_INVALID;
pub use jwks_not_cacheable::META as JWKS_NOT_CACHEABLE;
pub use jwks_slow::META as JWKS_SLOW;
pub use jwks_timeout::META as JWKS_TIMEOUT;
pub use jwks_unreachable::META as JWKS_UNREACHABLE;
pub use jwks_uri_off_host::META as JWKS_URI_OFF_HOST;
pub use kid_not_in_jwks::META as KID_NOT_IN_JWKS;
pub use legacy_ci_job_jwt::META as LEGACY_CI_JOB_JWT;
pub use multiple_audiences::META as MULTIPLE_AUDIENCES;
pub use null_with_if_exists::META as NULL_WITH_IF_EXISTS;
pub use parse_error::META as PARSE_ERROR;
pub use provider_not_found::META as PROVIDER_NOT_FOUND_RULE;
pub use provider_url_invalid::META as PROVIDER_URL_INVALID;
pub use role_account_mismatch::META as ROLE_ACCOUNT_MISMATCH;
pub use role_session_name_invalid::META as ROLE_SESSION_NAME_INVALID;
pub use signature_invalid::META as SIGNATURE_INVALID;
pub use sub_not_admitted::META as SUB_NOT_ADMITTED;
pub use terraform_wrong_type::META as TERRAFORM_WRONG_TYPE;
pub use thumbprint_mismatch::META as THUMBPRINT_MISMATCH;
pub use tls_chain_incomplete::META as TLS_CHAIN_INCOMPLETE;
pub use tls_chain_order::META as TLS_CHAIN_ORDER;
pub use tls_expired::META as TLS_EXPIRED;
pub use tls_expiring::META as TLS_EXPIRING;
pub use tls_hostname_mismatch::META as TLS_HOSTNAME_MISMATCH;
pub use tls_not_publicly_trusted::META as TLS_NOT_PUBLICLY_TRUSTED;
pub use token_alg_unsupported::META as TOKEN_ALG_UNSUPPORTED;
pub use token_expired::META as TOKEN_EXPIRED;
pub use token_malformed::META as TOKEN_MALFORMED;
pub use token_missing_claim::META as TOKEN_MISSING_CLAIM;
pub use token_not_yet_valid::META as TOKEN_NOT_YET_VALID;
pub use token_too_long::META as TOKEN_TOO_LONG;
pub use unknown_condition_operator::META as UNKNOWN_CONDITION_OPERATOR;
pub use unknown_policy_element::META as UNKNOWN_POLICY_ELEMENT;
pub use waf_challenge::META as WAF_CHALLENGE;
pub use web_identity_token_not_an_id_token::META as WEB_IDENTITY_TOKEN_NOT_AN_ID_TOKEN;
pub use wrong_action::META as WRONG_ACTION;

/// The longest trust policy IAM accepts, in characters (whitespace excluded):
/// the bound that lets the analysis cap what no deployable policy can exceed.
pub use policy_too_large::MAX_QUOTA as MAX_TRUST_POLICY_CHARS;

/// Looks a rule up by name.
pub fn by_name(name: &str) -> Option<&'static RuleMeta> {
    ALL.iter().copied().find(|r| r.name == name)
}

/// A Federated principal of a statement, read as an OIDC provider ARN.
#[derive(Debug, Clone)]
pub struct FederatedPrincipal<'a> {
    pub statement: usize,
    pub value: &'a Located<String>,
    /// `Err` says why the value is not an OIDC provider ARN.
    pub arn: Result<ProviderArn, String>,
}

/// What a rule sees: one policy, where it came from, and facts derived from it.
pub struct PolicyContext<'a> {
    pub path: &'a str,
    pub source: &'a SourceText,
    pub policy: &'a Policy,
    /// The IaC resource holding the policy (Terraform address, CloudFormation logical ID).
    pub resource: Option<&'a str>,
    /// Every Federated principal, in statement order.
    pub federated: Vec<FederatedPrincipal<'a>>,
    /// The intended issuer, projects and refs from `.oidc-doctor.toml` `[scope]`,
    /// when configured.
    pub scope: Option<&'a crate::config::Scope>,
    /// The subject analysis, computed once for the rules that need it.
    analysis: std::cell::OnceCell<crate::subjects::Analysis>,
    /// [`PolicyContext::gitlab_allows`], computed once.
    gitlab_allows: std::cell::OnceCell<Vec<crate::subjects::GitLabStatement<'a>>>,
}

impl<'a> PolicyContext<'a> {
    pub fn new(path: &'a str, source: &'a SourceText, policy: &'a Policy) -> Self {
        let federated = policy
            .statements
            .iter()
            .flat_map(|s| {
                s.principal
                    .iter()
                    .flat_map(|p| p.value.values_of("Federated"))
                    .map(move |v| FederatedPrincipal {
                        statement: s.index,
                        value: v,
                        arn: ProviderArn::parse(&v.value),
                    })
            })
            .collect();
        PolicyContext {
            path,
            source,
            policy,
            resource: None,
            federated,
            scope: None,
            analysis: std::cell::OnceCell::new(),
            gitlab_allows: std::cell::OnceCell::new(),
        }
    }

    /// The configured scope, for rules that judge breadth against intent.
    /// Which subjects the policy admits (see [`crate::subjects::analyze`]), computed
    /// on first use and shared by every rule of this policy.
    pub fn analysis(&self) -> &crate::subjects::Analysis {
        self.analysis
            .get_or_init(|| crate::subjects::analyze(self.policy, self.scope))
    }

    /// The Allow statements that trust a GitLab provider (whatever the configured
    /// scope: the gitlab.com rules judge the provider themselves), shared by the
    /// rules that walk them.
    pub fn gitlab_allows(&self) -> &[crate::subjects::GitLabStatement<'a>] {
        self.gitlab_allows.get_or_init(|| {
            crate::subjects::gitlab_statements(self.policy, crate::policy::Effect::Allow, None)
        })
    }

    /// Findings for the policy reader's problems of one kind, with their help and
    /// the related place (the earlier occurrence of a duplicate key).
    pub fn problem_findings(
        &self,
        kind: crate::policy::ProblemKind,
        meta: &'static RuleMeta,
    ) -> Vec<Finding> {
        self.policy
            .problems
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| {
                let mut f = self.finding(meta, p.message.clone(), p.span, &p.pointer);
                if let Some(h) = &p.help {
                    f = f.help(h.clone());
                }
                if let Some(first) = p.related {
                    f = f.related(self.location(first, &p.pointer));
                }
                f
            })
            .collect()
    }

    /// The subject analysis for rules about wildcard breadth: `None` when no `sub`
    /// condition uses a wildcard under a `…Like` operator, since there is then no
    /// breadth to find and the (costly) analysis is skipped.
    pub fn wildcard_analysis(&self) -> Option<&crate::subjects::Analysis> {
        self.has_sub_wildcards().then(|| self.analysis())
    }

    /// Whether any `sub` condition uses a wildcard under a `…Like` operator.
    pub fn has_sub_wildcards(&self) -> bool {
        self.policy
            .statements
            .iter()
            .flat_map(|s| &s.conditions)
            .any(|c| {
                c.key.value.to_ascii_lowercase().ends_with(":sub")
                    && c.operator.value.contains("Like")
                    && c.values.iter().any(|v| v.value.text.contains(['*', '?']))
            })
    }

    pub fn with_scope(mut self, scope: Option<&'a crate::config::Scope>) -> Self {
        self.scope = scope;
        self
    }

    pub fn location(&self, span: Span, pointer: &str) -> Location {
        let mut l = Location::from_span(self.path, self.source, span, Some(pointer));
        l.resource = self.resource.map(str::to_string);
        l
    }

    /// The one way rules build findings: a file-backed finding always has a place.
    pub fn finding(
        &self,
        meta: &'static RuleMeta,
        message: impl Into<String>,
        span: Span,
        pointer: &str,
    ) -> Finding {
        Finding::new(meta, message).at(self.location(span, pointer))
    }

    /// The OIDC providers a statement trusts (valid provider ARNs only).
    pub fn providers_of(&self, statement: &Statement) -> impl Iterator<Item = &ProviderArn> {
        self.federated
            .iter()
            .filter(move |f| f.statement == statement.index)
            .filter_map(|f| f.arn.as_ref().ok())
    }

    /// Whether the statement trusts at least one OIDC provider (or could: a
    /// Federated value that is not a valid ARN still shows the intent).
    pub fn is_oidc_statement(&self, statement: &Statement) -> bool {
        self.federated
            .iter()
            .any(|f| f.statement == statement.index)
    }
}

/// Runs every policy rule and returns the findings in a stable order.
pub fn check_policy(cx: &PolicyContext<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in POLICY_RULES {
        rule.check(cx, &mut out);
    }
    if !cx.policy.unknowns.is_empty() {
        // A value only known at deploy time may be right: say nothing about it, nor
        // about an element holding it (a statement whose `sub` value is unknown may
        // well restrict `sub`), except for the rules that judge only the names at
        // their location (an operator, a condition key), never the values below.
        // A value only known at deploy time may be right: say nothing about it.
        // An unknown that stands for a whole element (a `Condition` block, an
        // operator's keys) may also hold what a finding about an enclosing element
        // says is missing (no `sub` condition): those are dropped too.
        let values: std::collections::HashSet<&str> = cx
            .policy
            .statements
            .iter()
            .flat_map(|s| &s.conditions)
            .flat_map(|c| &c.values)
            .map(|v| v.pointer.as_str())
            .collect();
        // Sorted (the unknowns are): "is one below `p`" is a binary search.
        let structural: Vec<&str> = cx
            .policy
            .unknowns
            .iter()
            .map(|u| u.pointer.as_str())
            .filter(|u| !values.contains(u))
            .collect();
        let structural_below = |p: &str| {
            let below = format!("{p}/");
            let at = structural.partition_point(|u| *u < below.as_str());
            structural.get(at).is_some_and(|u| u.starts_with(&below))
        };
        out.retain(|f| {
            f.location
                .as_ref()
                .and_then(|l| l.pointer.as_deref())
                .is_none_or(|p| {
                    !cx.policy.is_unknown(p)
                        && (NAME_ONLY_RULES.contains(&f.rule) || !cx.policy.holds_unknown(p))
                        && !structural_below(p)
                })
        });
    }
    out
}

/// Rules whose findings depend only on the element names at their location
/// (operator, condition key, element name), so an unknown value below that
/// location cannot make them false.
const NAME_ONLY_RULES: &[&str] = &[
    "unknown-policy-element",
    "duplicate-json-key",
    "unknown-condition-operator",
    "condition-key-has-scheme",
    "condition-key-provider-mismatch",
    "unsupported-condition-key",
    "if-exists-on-identity-claim",
    "for-all-values-on-single-valued-key",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_registered() {
        let mut seen = std::collections::BTreeSet::new();
        for r in ALL {
            assert!(seen.insert(r.name), "duplicate rule {}", r.name);
            assert!(
                r.name.split('-').all(|p| !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "{} is not kebab-case",
                r.name
            );
            assert!(
                !r.summary.is_empty() && !r.fix.is_empty() && !r.explanation.is_empty(),
                "{} lacks docs",
                r.name
            );
            assert!(
                !r.bad.is_empty() && !r.good.is_empty() && r.bad != r.good,
                "{} lacks examples",
                r.name
            );
        }
        for rule in POLICY_RULES {
            assert!(
                ALL.iter().any(|m| std::ptr::eq(*m, rule.meta())),
                "{} is not in ALL",
                rule.meta().name
            );
        }
    }
}
