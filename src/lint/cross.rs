//! Cross-file checks: what one file declares against what another expects.
//!
//! Run once after every file is read (see [`super::LintReport::cross_check`]).
//! The comparisons of SPEC §4 that need two sources of the same tree:
//!
//! | compared | rule |
//! |---|---|
//! | a policy's positive `<provider>:aud` condition vs that provider's client IDs | `aud-mismatch` |
//! | `.gitlab-ci.yml` `id_tokens` `aud` vs the providers' client IDs, else the policies' `:aud` values | `id-token-aud-mismatch` |
//! | condition-key prefixes of a statement whose principal is unknown vs the one provider of the tree | `condition-key-provider-mismatch` |
//! | a provider's URL: `https://`, no port, no trailing slash, query or fragment | `provider-url-invalid` |
//!
//! Every finding names both places: the primary location, and the other file's
//! declaration as `related`. Values not known statically never produce a finding.

use crate::finding::{Finding, Location};
use crate::iam::operator::{BaseOperator, Comparison, Operator};
use crate::iam::provider::ProviderArn;
use crate::iam::wildcard::Pattern;
use crate::json::Span;
use crate::policy::{Effect, JsonType, Policy, Statement};
use crate::rules::{self, oidc_keys::OidcKey};

use super::{FileFacts, IdTokenDecl, LintedFile, ProviderDecl, SourcePolicy};

fn is_aud_key(key: &str) -> bool {
    key.get(key.len().saturating_sub(4)..)
        .is_some_and(|t| t.eq_ignore_ascii_case(":aud"))
}

/// What the cross-file checks need of a policy JSON file's policy: its Allow
/// statements with an `:aud` condition, reduced to the principal and those
/// conditions (`None` when there are none). Kept small on purpose: a tree of
/// thousands of policies must not hold every policy in memory.
pub fn slim(policy: &Policy) -> Option<Policy> {
    let statements: Vec<Statement> = policy
        .statements
        .iter()
        .filter(|s| kept_in_slim(s))
        .map(|s| Statement {
            index: s.index,
            span: s.span,
            pointer: s.pointer.clone(),
            sid: None,
            effect: s.effect.clone(),
            principal: s.principal.clone(),
            not_principal: None,
            action: None,
            not_action: None,
            resource: None,
            not_resource: None,
            condition: None,
            conditions: {
                let mut kept: Vec<_> = s
                    .conditions
                    .iter()
                    .filter(|c| is_aud_key(&c.key.value))
                    .cloned()
                    .collect();
                kept.shrink_to_fit();
                kept
            },
        })
        .collect();
    // Kept until the end of the run: a filtered `collect` reserves room for four
    // statements of 624 bytes each.
    let mut statements = statements;
    statements.shrink_to_fit();
    (!statements.is_empty()).then(|| Policy {
        statements,
        span: policy.span,
        ..Policy::default()
    })
}

/// Whether [`slim`] keeps anything of `policy`.
pub fn wants_slim(policy: &Policy) -> bool {
    policy.statements.iter().any(kept_in_slim)
}

fn kept_in_slim(s: &Statement) -> bool {
    s.effect() == Some(Effect::Allow)
        && s.principal.is_some()
        && s.conditions.iter().any(|c| is_aud_key(&c.key.value))
}

/// A provider URL as IAM keys it: without `https://`, without a trailing slash.
pub fn provider_host_path(url: &str) -> &str {
    let lower = url
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        url
    };
    rest.trim_end_matches('/')
}

struct Ctx<'a> {
    files: &'a [LintedFile],
}

impl Ctx<'_> {
    fn location(
        &self,
        file: usize,
        span: Span,
        pointer: Option<&str>,
        resource: Option<&str>,
    ) -> Option<Location> {
        let f = self.files.get(file)?;
        let mut l = Location::from_span(&f.path, &f.source, span, pointer);
        l.resource = resource.map(str::to_string);
        Some(l)
    }

    /// Where a provider's client IDs are (the first one, else the resource).
    fn client_ids_location(&self, file: usize, p: &ProviderDecl) -> Option<Location> {
        let span = p.client_ids.first().map(|c| c.span).unwrap_or(p.span);
        self.location(file, span, None, Some(&p.resource))
    }
}

/// Runs every cross-file check over files that are all in memory.
pub fn check(files: &[LintedFile], facts: &[FileFacts]) -> Vec<Finding> {
    let mut checker = Checker::new(facts);
    let mut out = checker.providers(files);
    for f in facts {
        out.extend(checker.policies(files, f));
    }
    out.extend(checker.finish(files));
    out
}

/// The cross-file checks one policy file at a time: [`Checker::new`] takes the
/// tree's declarations (OIDC providers, `id_tokens`), [`Checker::policies`] one
/// file's policies — whose text needs to be in `files` only during that call —
/// and [`Checker::finish`] the `id_tokens` audiences compared with every policy
/// seen. [`super::LintReport::cross_check`] re-reads the policy files it did not
/// keep one by one through it, so that a tree's policies are never all in memory.
pub struct Checker {
    /// Every provider of the tree, with the index of its file (declarations are
    /// few: cloned so that the facts stay free to change).
    providers: Vec<(usize, ProviderDecl)>,
    tokens: Vec<(usize, IdTokenDecl)>,
    /// Whether some provider lists its client IDs: `id_tokens` audiences are then
    /// compared with those, else with the policies' `:aud` conditions.
    known_providers: bool,
    /// One per `id_tokens` audience (in token, then audience order) when they
    /// are compared with the policies.
    audits: Vec<AudAudit>,
}

/// What the policies seen so far say about one `id_tokens` audience.
#[derive(Default)]
struct AudAudit {
    /// Some positive `:aud` condition was seen.
    any: bool,
    /// One of them admits the audience.
    admitted: bool,
    /// One of them is not known statically (it may admit it).
    unknown: bool,
    /// Where the conditions are, for the finding (not kept once it cannot be made).
    related: Vec<Location>,
}

impl Checker {
    /// The declarations of every file's facts (in file order).
    pub fn new<'f>(facts: impl IntoIterator<Item = &'f FileFacts>) -> Checker {
        let mut providers: Vec<(usize, ProviderDecl)> = Vec::new();
        let mut tokens: Vec<(usize, IdTokenDecl)> = Vec::new();
        for f in facts {
            providers.extend(f.providers.iter().map(|p| (f.file, p.clone())));
            tokens.extend(f.id_tokens.iter().map(|t| (f.file, t.clone())));
        }
        let known_providers = providers
            .iter()
            .any(|(_, p)| p.client_ids_complete && !p.client_ids.is_empty());
        let audits = if known_providers {
            Vec::new()
        } else {
            tokens
                .iter()
                .flat_map(|(_, t)| t.aud.iter().map(|_| AudAudit::default()))
                .collect()
        };
        Checker {
            providers,
            tokens,
            known_providers,
            audits,
        }
    }

    /// Whether any check reads policies: every one starts from a provider or an
    /// `id_tokens` audience.
    pub fn needs_policies(&self) -> bool {
        !self.providers.is_empty() || !self.tokens.is_empty()
    }

    /// `provider-url-invalid` for every provider.
    pub fn providers(&self, files: &[LintedFile]) -> Vec<Finding> {
        let cx = Ctx { files };
        let mut out = Vec::new();
        for (file, p) in &self.providers {
            provider_url(&cx, *file, p, &mut out);
        }
        out
    }

    /// The checks of one file's policies against the declarations; records their
    /// `:aud` conditions for [`Checker::finish`]. `files` must hold `facts.file`.
    pub fn policies(&mut self, files: &[LintedFile], facts: &FileFacts) -> Vec<Finding> {
        let cx = Ctx { files };
        let mut out = Vec::new();
        if facts.policies.is_empty() {
            return out;
        }
        let providers = provider_refs(&self.providers);
        for sp in &facts.policies {
            for s in &sp.policy.statements {
                if s.effect() != Some(Effect::Allow) {
                    continue;
                }
                aud_mismatch(
                    &cx,
                    facts.file,
                    &sp.policy,
                    sp.resource.as_deref(),
                    s,
                    &providers,
                    &mut out,
                );
                key_vs_sole_provider(
                    &cx,
                    facts.file,
                    &sp.policy,
                    sp.resource.as_deref(),
                    s,
                    &providers,
                    &mut out,
                );
                if !self.audits.is_empty() {
                    audit_aud_conditions(&cx, facts.file, sp, s, &self.tokens, &mut self.audits);
                }
            }
        }
        out
    }

    /// `id-token-aud-mismatch` for every `id_tokens` audience.
    pub fn finish(self, files: &[LintedFile]) -> Vec<Finding> {
        let cx = Ctx { files };
        let providers = provider_refs(&self.providers);
        let mut out = Vec::new();
        let mut audits = self.audits.into_iter();
        for (file, t) in &self.tokens {
            id_token_aud(
                &cx,
                *file,
                t,
                &providers,
                self.known_providers,
                &mut audits,
                &mut out,
            );
        }
        out
    }
}

/// `provider-url-invalid`: the URL IAM compares with the token's `iss` exactly.
fn provider_url(cx: &Ctx<'_>, file: usize, p: &ProviderDecl, out: &mut Vec<Finding>) {
    let Some(url) = &p.url else {
        return;
    };
    let u = url.value.as_str();
    let mut problems: Vec<String> = Vec::new();
    if !u.starts_with("https://") {
        problems.push(if u.starts_with("http://") {
            "uses `http://`: IAM accepts only `https://` issuers".into()
        } else {
            "has no `https://`: IAM needs the full issuer URL, e.g. `https://gitlab.com`".into()
        });
    }
    let rest = provider_host_path(u);
    let host = rest.split('/').next().unwrap_or(rest);
    if host.contains(':') {
        problems.push("has a port: IAM refuses issuer URLs with a port".into());
    }
    if rest.contains(['?', '#']) {
        problems.push("has a query or fragment: IAM refuses them".into());
    }
    if u.len() > 1 && u.ends_with('/') {
        problems.push("ends with `/`: a GitLab token's `iss` has no trailing slash, so STS finds no provider for it".into());
    }
    if problems.is_empty() {
        return;
    }
    if let Some(l) = cx.location(file, url.span, None, Some(&p.resource)) {
        out.push(
            Finding::new(
                &rules::PROVIDER_URL_INVALID,
                format!(
                    "the OIDC provider URL {:?} {}",
                    url.value,
                    problems.join("; it also ")
                ),
            )
            .at(l),
        );
    }
}

/// The providers of the tree a statement trusts (by its Federated principal ARNs).
fn trusted_providers<'p>(
    policy: &Policy,
    s: &Statement,
    providers: &'p [(usize, &'p ProviderDecl)],
) -> Vec<(usize, &'p ProviderDecl)> {
    let Some(principal) = &s.principal else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for v in principal.value.values_of("Federated") {
        if policy.is_unknown(&v.pointer) {
            continue;
        }
        let Ok(arn) = ProviderArn::parse(&v.value) else {
            continue;
        };
        for (file, p) in providers {
            if p.url
                .as_ref()
                .is_some_and(|u| provider_host_path(&u.value) == arn.host_path)
                && !out
                    .iter()
                    .any(|(_, q): &(usize, &ProviderDecl)| std::ptr::eq(*q, *p))
            {
                out.push((*file, *p));
            }
        }
    }
    out
}

fn positive_string_op(op: &str) -> Option<Comparison> {
    let op = Operator::parse(op).ok()?;
    if op.qualifier.is_some() || op.base.is_negated() {
        return None;
    }
    match op.base {
        BaseOperator::StringEquals
        | BaseOperator::StringEqualsIgnoreCase
        | BaseOperator::StringLike => Some(op.base.comparison()),
        _ => None,
    }
}

fn value_matches(cmp: Comparison, pattern: &str, candidate: &str) -> bool {
    match cmp {
        Comparison::Equals => pattern == candidate,
        Comparison::EqualsIgnoreCase => pattern.eq_ignore_ascii_case(candidate),
        Comparison::Like => Pattern::glob(pattern).matches(candidate),
        _ => true,
    }
}

/// `aud-mismatch`: a positive `:aud` condition none of whose values is a client
/// ID of the provider the statement trusts: no token can pass both STS's audience
/// check and the condition.
fn aud_mismatch(
    cx: &Ctx<'_>,
    file: usize,
    policy: &Policy,
    resource: Option<&str>,
    s: &Statement,
    providers: &[(usize, &ProviderDecl)],
    out: &mut Vec<Finding>,
) {
    let trusted = trusted_providers(policy, s, providers);
    for (pfile, p) in trusted {
        let Some(url) = &p.url else { continue };
        let host_path = provider_host_path(&url.value);
        if !p.client_ids_complete || p.client_ids.is_empty() {
            continue;
        }
        for c in &s.conditions {
            let Some(cmp) = positive_string_op(&c.operator.value) else {
                continue;
            };
            let Some(key) = OidcKey::parse(&c.key.value) else {
                continue;
            };
            if !key.claim_is("aud") || key.prefix != host_path {
                continue;
            }
            if policy.is_unknown(&c.key.pointer)
                || c.values.is_empty()
                || c.values
                    .iter()
                    .any(|v| v.value.json_type == JsonType::Unknown)
            {
                continue;
            }
            let admitted = c.values.iter().any(|v| {
                p.client_ids
                    .iter()
                    .any(|id| value_matches(cmp, &v.value.text, &id.value))
            });
            if admitted {
                continue;
            }
            let values: Vec<String> = c
                .values
                .iter()
                .map(|v| format!("{:?}", v.value.text))
                .collect();
            let ids: Vec<String> = p
                .client_ids
                .iter()
                .map(|v| format!("{:?}", v.value))
                .collect();
            let Some(primary) = cx.location(file, c.values_span, Some(&c.values_pointer), resource)
            else {
                continue;
            };
            let mut f = Finding::new(
                &rules::AUD_MISMATCH,
                format!(
                    "`{}` admits only {}, but the OIDC provider `{}` accepts the client IDs {}: STS rejects every token the condition admits",
                    c.key.value,
                    values.join(", "),
                    p.resource,
                    ids.join(", ")
                ),
            )
            .at(primary);
            if let Some(l) = cx.client_ids_location(pfile, p) {
                f = f.related(l);
            }
            out.push(f);
        }
    }
}

/// `condition-key-provider-mismatch` when a statement's principal is not known
/// statically (`var.provider_arn`) but the tree declares exactly one OIDC provider:
/// condition keys for another provider can then never be present.
fn key_vs_sole_provider(
    cx: &Ctx<'_>,
    file: usize,
    policy: &Policy,
    resource: Option<&str>,
    s: &Statement,
    providers: &[(usize, &ProviderDecl)],
    out: &mut Vec<Finding>,
) {
    let [(pfile, p)] = providers else {
        return;
    };
    let Some(url) = &p.url else { return };
    let Some(principal) = &s.principal else {
        return;
    };
    let federated: Vec<_> = principal.value.values_of("Federated").collect();
    if federated.is_empty() || !federated.iter().all(|v| policy.is_unknown(&v.pointer)) {
        return;
    }
    let host_path = provider_host_path(&url.value);
    for c in &s.conditions {
        if policy.is_unknown(&c.key.pointer) {
            continue;
        }
        let Some(key) = OidcKey::parse(&c.key.value) else {
            continue;
        };
        if key.prefix.eq_ignore_ascii_case(host_path) {
            continue;
        }
        let Some(primary) = cx.location(file, c.key.span, Some(&c.key.pointer), resource) else {
            continue;
        };
        let mut f = Finding::new(
            &rules::CONDITION_KEY_PROVIDER_MISMATCH,
            format!(
                "`{}` is a key of the provider `{}`, but the only OIDC provider in this tree, `{}`, is `{}`: its tokens never carry this key",
                c.key.value, key.prefix, p.resource, url.value
            ),
        )
        .help(format!("write `{host_path}:{}`", key.claim));
        f = f.at(primary);
        if let Some(l) = cx.location(*pfile, url.span, None, Some(&p.resource)) {
            f = f.related(l);
        }
        out.push(f);
    }
}

fn provider_refs(providers: &[(usize, ProviderDecl)]) -> Vec<(usize, &ProviderDecl)> {
    providers.iter().map(|(f, p)| (*f, p)).collect()
}

/// Records one statement's positive `:aud` conditions in the audits of every
/// `id_tokens` audience (token, then audience order, as [`Checker::new`] made them).
fn audit_aud_conditions(
    cx: &Ctx<'_>,
    file: usize,
    sp: &SourcePolicy,
    s: &Statement,
    tokens: &[(usize, IdTokenDecl)],
    audits: &mut [AudAudit],
) {
    for c in &s.conditions {
        let Some(cmp) = positive_string_op(&c.operator.value) else {
            continue;
        };
        if !OidcKey::parse(&c.key.value).is_some_and(|k| k.claim_is("aud")) {
            continue;
        }
        if sp.policy.is_unknown(&c.key.pointer)
            || c.values
                .iter()
                .any(|v| v.value.json_type == JsonType::Unknown)
        {
            // Unknown: it may admit every audience.
            for a in audits.iter_mut() {
                a.unknown = true;
                a.related = Vec::new();
            }
            // The statement's other conditions are not looked at (as before).
            return;
        }
        let auds = tokens.iter().flat_map(|(_, t)| t.aud.iter());
        for (a, aud) in audits.iter_mut().zip(auds) {
            a.any = true;
            if a.unknown || a.admitted {
                continue;
            }
            if c.values
                .iter()
                .any(|v| value_matches(cmp, &v.value.text, &aud.value))
            {
                a.admitted = true;
                a.related = Vec::new();
                continue;
            }
            if let Some(l) = cx.location(
                file,
                c.values_span,
                Some(&c.values_pointer),
                sp.resource.as_deref(),
            ) {
                a.related.push(l);
            }
        }
    }
}

/// `id-token-aud-mismatch`: a CI job's token audience that no provider of the tree
/// accepts, or (when the tree declares no provider) that no policy's `:aud`
/// condition admits (`audits`: what the policies said, one per audience).
fn id_token_aud(
    cx: &Ctx<'_>,
    file: usize,
    t: &IdTokenDecl,
    providers: &[(usize, &ProviderDecl)],
    known_providers: bool,
    audits: &mut impl Iterator<Item = AudAudit>,
    out: &mut Vec<Finding>,
) {
    let known: Vec<&(usize, &ProviderDecl)> = providers
        .iter()
        .filter(|(_, p)| p.client_ids_complete && !p.client_ids.is_empty())
        .collect();
    for aud in &t.aud {
        let audit = if known_providers { None } else { audits.next() };
        // CI findings name the job, as the CI front end's own do.
        let Some(primary) = cx.location(file, aud.span, None, Some(&t.job)) else {
            continue;
        };
        if !known.is_empty() {
            if known
                .iter()
                .any(|(_, p)| p.client_ids.iter().any(|id| id.value == aud.value))
            {
                continue;
            }
            let ids: Vec<String> = known
                .iter()
                .flat_map(|(_, p)| p.client_ids.iter().map(|id| format!("{:?}", id.value)))
                .collect();
            let mut f = Finding::new(
                &rules::ID_TOKEN_AUD_MISMATCH,
                format!(
                    "job `{}` requests `{}` with aud {:?}, but the OIDC provider{} of this tree accept{} only the client IDs {}: STS answers \"Incorrect token audience\"",
                    t.job,
                    t.name,
                    aud.value,
                    if known.len() == 1 { "" } else { "s" },
                    if known.len() == 1 { "s" } else { "" },
                    ids.join(", ")
                ),
            )
            .at(primary);
            for (pfile, p) in &known {
                if let Some(l) = cx.client_ids_location(*pfile, p) {
                    f = f.related(l);
                }
            }
            out.push(f);
            continue;
        }
        // No provider declared: what the policies' `:aud` conditions said.
        let Some(audit) = audit else {
            continue;
        };
        if !audit.any || audit.unknown || audit.admitted {
            continue;
        }
        let mut f = Finding::new(
            &rules::ID_TOKEN_AUD_MISMATCH,
            format!(
                "job `{}` requests `{}` with aud {:?}, which no trust policy's `:aud` condition in this tree admits: STS answers AccessDenied",
                t.job, t.name, aud.value
            ),
        )
        .at(primary);
        for l in audit.related {
            f = f.related(l);
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests;
