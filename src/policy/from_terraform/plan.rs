//! `terraform show -json` output (a plan, or state): the resolved values.
//!
//! `aws_iam_role` resources give their `assume_role_policy` — policy JSON inside
//! a JSON string. It is parsed on its own and its spans are mapped back through
//! the string's escapes to the plan file, so a finding points at the very
//! character of the plan that holds the element (a minified policy sits on one
//! line of the plan). `aws_iam_openid_connect_provider` resources give a
//! [`ProviderDecl`]. The resource's `address` is `location.resource`. Values
//! unknown until apply are absent from a plan and are simply not checked.

use std::collections::HashSet;

use crate::json::{self, Node, SourceText, Value};
use crate::lint::{Extracted, ProviderDecl, SourcePolicy};
use crate::policy::Located;
use crate::policy::from_json::from_node;

/// Deepest module nesting followed (`child_modules` inside `child_modules`).
/// A guard only: each level is two levels of JSON, and the JSON reader refuses
/// documents nested more than [`json::MAX_DEPTH`] (64) levels before this is read.
pub const MAX_MODULE_DEPTH: usize = 32;

/// Reads a plan (already parsed as `root`).
pub fn extract(_path: &str, source: &SourceText, root: &Node) -> Extracted {
    let mut out = Extracted::default();
    // Addresses read already (a resource appears in planned values and changes).
    let mut seen: HashSet<String> = HashSet::new();
    for key in ["planned_values", "values"] {
        if let Some(root_module) = get(root, key).and_then(|v| get(v, "root_module")) {
            module(source, root_module, 0, &mut out, &mut seen);
        }
    }
    // A plan without planned values (or with resources only in the changes).
    if let Some(Value::Array(changes)) = get(root, "resource_changes").map(|n| &n.value) {
        for c in changes {
            let after = get(c, "change").and_then(|ch| get(ch, "after"));
            if let Some(after) = after {
                resource(source, c, after, &mut out, &mut seen);
            }
        }
    }
    out
}

fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.value {
        Value::Object(members) => members
            .iter()
            .rev()
            .find(|m| m.key == key)
            .map(|m| &m.value),
        _ => None,
    }
}

fn str_of<'n>(node: &'n Node, key: &str) -> Option<&'n str> {
    match get(node, key).map(|n| &n.value) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn module(
    source: &SourceText,
    m: &Node,
    depth: usize,
    out: &mut Extracted,
    seen: &mut HashSet<String>,
) {
    if depth > MAX_MODULE_DEPTH {
        return;
    }
    if let Some(Value::Array(resources)) = get(m, "resources").map(|n| &n.value) {
        for r in resources {
            if let Some(values) = get(r, "values") {
                resource(source, r, values, out, seen);
            }
        }
    }
    if let Some(Value::Array(children)) = get(m, "child_modules").map(|n| &n.value) {
        for c in children {
            module(source, c, depth + 1, out, seen);
        }
    }
}

fn resource(
    source: &SourceText,
    r: &Node,
    values: &Node,
    out: &mut Extracted,
    seen: &mut HashSet<String>,
) {
    let (Some(address), Some(kind)) = (str_of(r, "address"), str_of(r, "type")) else {
        return;
    };
    if str_of(r, "mode").is_some_and(|m| m != "managed") || seen.contains(address) {
        return;
    }
    match kind {
        "aws_iam_role" => {
            let Some(doc) = get(values, "assume_role_policy") else {
                return;
            };
            let Value::String(text) = &doc.value else {
                return;
            };
            seen.insert(address.to_string());
            let Ok(inner) = json::parse(text) else {
                return;
            };
            let raw = source
                .text()
                .get(doc.span.start..doc.span.end)
                .unwrap_or("");
            let node = match json::literal::offsets(raw) {
                Some(map) if map.len() == text.len() + 1 => {
                    json::literal::remap(inner, &map, doc.span.start)
                }
                _ => super::respan(inner, doc.span),
            };
            if let Ok(policy) = from_node(&node) {
                out.policies.push(SourcePolicy {
                    policy,
                    resource: Some(address.to_string()),
                });
            }
        }
        "aws_iam_openid_connect_provider" => {
            seen.insert(address.to_string());
            let url = get(values, "url").and_then(|n| match &n.value {
                Value::String(s) => Some(Located::new(s.clone(), n.span, "")),
                _ => None,
            });
            let list = |key: &str| -> (Vec<Located<String>>, bool) {
                match get(values, key).map(|n| &n.value) {
                    Some(Value::Array(items)) => {
                        let mut complete = true;
                        let mut out = Vec::new();
                        for i in items {
                            match &i.value {
                                Value::String(s) => out.push(Located::new(s.clone(), i.span, "")),
                                _ => complete = false,
                            }
                        }
                        (out, complete)
                    }
                    _ => (Vec::new(), false),
                }
            };
            let (client_ids, client_ids_complete) = list("client_id_list");
            let (thumbprints, _) = list("thumbprint_list");
            out.providers.push(ProviderDecl {
                resource: address.to_string(),
                span: r.span,
                url,
                client_ids,
                client_ids_complete,
                thumbprints,
            });
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_gives_policies_and_providers_with_addresses() {
        let text = r#"{"format_version":"1.2","planned_values":{"root_module":{"resources":[
{"address":"aws_iam_role.deploy","mode":"managed","type":"aws_iam_role","values":{"assume_role_policy":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}},
{"address":"aws_iam_openid_connect_provider.gitlab","mode":"managed","type":"aws_iam_openid_connect_provider","values":{"url":"https://gitlab.com","client_id_list":["https://gitlab.com"]}}
]}}}"#;
        let source = SourceText::new(text);
        let root = json::parse(text).unwrap();
        let ex = extract("plan.json", &source, &root);
        assert_eq!(ex.policies.len(), 1);
        assert_eq!(
            ex.policies[0].resource.as_deref(),
            Some("aws_iam_role.deploy")
        );
        let v = ex.policies[0].policy.version.as_ref().unwrap();
        assert_eq!(&text[v.span.start..v.span.end], r#"\"2012-10-17\""#);
        assert_eq!(ex.providers.len(), 1);
        assert_eq!(ex.providers[0].client_ids[0].value, "https://gitlab.com");
    }
}
