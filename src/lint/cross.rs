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

use super::{FileFacts, IdTokenDecl, LintedFile, ProviderDecl};

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

/// Runs every cross-file check.
pub fn check(files: &[LintedFile], facts: &[FileFacts]) -> Vec<Finding> {
    let cx = Ctx { files };
    let providers: Vec<(usize, &ProviderDecl)> = facts
        .iter()
        .flat_map(|f| f.providers.iter().map(move |p| (f.file, p)))
        .collect();
    let mut out = Vec::new();
    for (file, p) in &providers {
        provider_url(&cx, *file, p, &mut out);
    }
    for f in facts {
        for sp in &f.policies {
            for s in &sp.policy.statements {
                if s.effect() != Some(Effect::Allow) {
                    continue;
                }
                aud_mismatch(
                    &cx,
                    f.file,
                    &sp.policy,
                    sp.resource.as_deref(),
                    s,
                    &providers,
                    &mut out,
                );
                key_vs_sole_provider(
                    &cx,
                    f.file,
                    &sp.policy,
                    sp.resource.as_deref(),
                    s,
                    &providers,
                    &mut out,
                );
            }
        }
    }
    let tokens: Vec<(usize, &IdTokenDecl)> = facts
        .iter()
        .flat_map(|f| f.id_tokens.iter().map(move |t| (f.file, t)))
        .collect();
    for (file, t) in tokens {
        id_token_aud(&cx, file, t, &providers, facts, &mut out);
    }
    out
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

/// `id-token-aud-mismatch`: a CI job's token audience that no provider of the tree
/// accepts, or (when the tree declares no provider) that no policy's `:aud`
/// condition admits.
fn id_token_aud(
    cx: &Ctx<'_>,
    file: usize,
    t: &IdTokenDecl,
    providers: &[(usize, &ProviderDecl)],
    facts: &[FileFacts],
    out: &mut Vec<Finding>,
) {
    let known: Vec<&(usize, &ProviderDecl)> = providers
        .iter()
        .filter(|(_, p)| p.client_ids_complete && !p.client_ids.is_empty())
        .collect();
    for aud in &t.aud {
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
        // No provider declared: compare with the policies' `:aud` conditions.
        let mut conditions = Vec::new();
        for facts in facts {
            for sp in &facts.policies {
                for s in &sp.policy.statements {
                    if s.effect() != Some(Effect::Allow) {
                        continue;
                    }
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
                            // Unknown: it may admit this audience.
                            conditions.clear();
                            conditions.push(None);
                            break;
                        }
                        conditions.push(Some((facts.file, sp.resource.as_deref(), cmp, c)));
                    }
                }
            }
        }
        if conditions.is_empty() || conditions.iter().any(Option::is_none) {
            continue;
        }
        let admitted = conditions.iter().flatten().any(|(_, _, cmp, c)| {
            c.values
                .iter()
                .any(|v| value_matches(*cmp, &v.value.text, &aud.value))
        });
        if admitted {
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
        for (pfile, resource, _, c) in conditions.iter().flatten() {
            if let Some(l) = cx.location(*pfile, c.values_span, Some(&c.values_pointer), *resource)
            {
                f = f.related(l);
            }
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests;
