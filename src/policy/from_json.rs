//! Reading an IAM policy document from JSON text into the [`Policy`] model.

use super::{
    Condition, ConditionValue, JsonType, Located, Policy, PolicyProblem, Principal, PrincipalEntry,
    ProblemKind, Statement,
};
use crate::json::{self, Member, Node, Span, Value, child_pointer, index_pointer};

/// Why a document could not be read as a policy at all.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyParseError {
    pub message: String,
    pub span: Span,
}

const TOP_LEVEL: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const VERSIONS: &[&str] = &["2012-10-17", "2008-10-17"];

/// Parses policy JSON text. A JSON syntax error or a document that is not an
/// object is an `Err`; everything else yields a [`Policy`] whose `problems` list
/// what IAM would reject.
pub fn parse_policy_json(text: &str) -> Result<Policy, PolicyParseError> {
    let root = json::parse(text).map_err(|e| PolicyParseError {
        message: e.message,
        span: Span::new(e.offset, e.offset + e.len),
    })?;
    from_node(&root)
}

/// Builds the model from an already parsed JSON node (also used by front ends that
/// embed policy JSON in other files).
pub fn from_node(root: &Node) -> Result<Policy, PolicyParseError> {
    let Value::Object(members) = &root.value else {
        return Err(PolicyParseError {
            message: format!(
                "a policy document must be a JSON object, found {}",
                root.value.kind()
            ),
            span: root.span,
        });
    };
    let mut r = Reader::default();
    let mut policy = Policy {
        span: root.span,
        ..Policy::default()
    };
    for m in r.dedupe(members, "") {
        let ptr = child_pointer("", &m.key);
        match m.key.as_str() {
            "Version" => {
                if let Some(v) = r.string(&m.value, &ptr, "Version") {
                    if !VERSIONS.contains(&v.value.as_str()) {
                        r.problem(
                            ProblemKind::UnknownElement,
                            format!("`Version` must be \"2012-10-17\" or \"2008-10-17\", not {:?}", v.value),
                            Some("use \"2012-10-17\": the current version, and the only one with policy variables".into()),
                            v.span,
                            &ptr,
                        );
                    }
                    policy.version = Some(v);
                }
            }
            "Id" => policy.id = r.string(&m.value, &ptr, "Id"),
            "Statement" => match &m.value.value {
                Value::Array(items) => {
                    policy.statement_is_list = true;
                    for (i, item) in items.iter().enumerate() {
                        if let Some(s) = r.statement(item, i, &index_pointer(&ptr, i)) {
                            policy.statements.push(s);
                        }
                    }
                }
                Value::Object(_) => {
                    if let Some(s) = r.statement(&m.value, 0, &ptr) {
                        policy.statements.push(s);
                    }
                }
                other => r.wrong_type(
                    &m.value,
                    &ptr,
                    "Statement",
                    "an object or an array of objects",
                    other,
                ),
            },
            _ => r.unknown_element(m, &ptr, TOP_LEVEL, "a policy document"),
        }
    }
    if !members.iter().any(|m| m.key == "Statement") {
        r.problem(
            ProblemKind::UnknownElement,
            "the policy has no `Statement`".into(),
            None,
            Span::new(root.span.start, root.span.start + 1),
            "",
        );
    }
    policy.problems = r.problems;
    Ok(policy)
}

/// Objects up to this many members are checked for duplicates pairwise (at most
/// 120 comparisons, no allocation); larger ones through a hash index.
const PAIRWISE_MEMBERS: usize = 16;

/// Where each key of a large object first and last occurs, and, per
/// ASCII-lowercased key, the first index of its first two distinct spellings in
/// source order (the earliest member spelt differently from a given one is the
/// first of those two that is not its own spelling).
struct DuplicateIndex<'m> {
    first_exact: std::collections::HashMap<&'m str, usize>,
    last_exact: std::collections::HashMap<&'m str, usize>,
    folded: std::collections::HashMap<String, [Option<usize>; 2]>,
}

impl<'m> DuplicateIndex<'m> {
    fn new(members: &'m [Member]) -> Self {
        let mut first_exact = std::collections::HashMap::with_capacity(members.len());
        let mut last_exact = std::collections::HashMap::with_capacity(members.len());
        let mut folded: std::collections::HashMap<String, [Option<usize>; 2]> =
            std::collections::HashMap::new();
        for (i, m) in members.iter().enumerate() {
            let key = m.key.as_str();
            last_exact.insert(key, i);
            if let std::collections::hash_map::Entry::Vacant(e) = first_exact.entry(key) {
                e.insert(i);
                let slots = folded.entry(key.to_ascii_lowercase()).or_default();
                if slots[0].is_none() {
                    slots[0] = Some(i);
                } else if slots[1].is_none() {
                    slots[1] = Some(i);
                }
            }
        }
        DuplicateIndex {
            first_exact,
            last_exact,
            folded,
        }
    }

    /// The earliest member before `i` whose key equals `key` but for ASCII case.
    fn earlier_other_spelling(&self, members: &[Member], i: usize, key: &str) -> Option<usize> {
        let slots = self.folded.get(key.to_ascii_lowercase().as_str())?;
        slots
            .iter()
            .flatten()
            .copied()
            .find(|&f| members[f].key != key)
            .filter(|&f| f < i)
    }
}

/// Duplicate-key findings listed per policy; past it, one finding says the
/// rest are not listed (a trust policy IAM accepts has at most 8,192 characters,
/// so a few dozen keys).
pub const MAX_DUPLICATE_FINDINGS: usize = 100;

#[derive(Default)]
struct Reader {
    problems: Vec<PolicyProblem>,
    /// Duplicate keys seen so far, against [`MAX_DUPLICATE_FINDINGS`].
    duplicates: usize,
}

impl Reader {
    fn problem(
        &mut self,
        kind: ProblemKind,
        message: String,
        help: Option<String>,
        span: Span,
        pointer: &str,
    ) {
        self.problems.push(PolicyProblem {
            related: None,
            kind,
            message,
            help,
            span,
            pointer: pointer.to_string(),
        });
    }

    fn relate_last(&mut self, span: Span) {
        if let Some(p) = self.problems.last_mut() {
            p.related = Some(span);
        }
    }

    /// Returns the members that count (the last of exact duplicates, in source
    /// order) and records every duplicate, including keys differing only in case.
    ///
    /// Linear in the number of members: a small object (every real policy's) is
    /// scanned pairwise, which is cheaper than hashing; a large one goes through
    /// [`DuplicateIndex`], so 40,000 keys cost 40,000 look-ups, not 800 million
    /// comparisons.
    fn dedupe<'m>(&mut self, members: &'m [Member], pointer: &str) -> Vec<&'m Member> {
        if members.len() <= PAIRWISE_MEMBERS {
            let mut kept: Vec<&Member> = Vec::with_capacity(members.len());
            for (i, m) in members.iter().enumerate() {
                if !members[i + 1..].iter().any(|n| n.key == m.key) {
                    kept.push(m);
                }
            }
            for (i, m) in members.iter().enumerate() {
                let earlier = &members[..i];
                if let Some(first) = earlier.iter().find(|n| n.key == m.key) {
                    self.duplicate(m, first, pointer);
                } else if let Some(first) = earlier
                    .iter()
                    .find(|n| n.key != m.key && n.key.eq_ignore_ascii_case(&m.key))
                {
                    self.case_duplicate(m, first, pointer);
                }
            }
            return kept;
        }
        let index = DuplicateIndex::new(members);
        let kept = members
            .iter()
            .enumerate()
            .filter(|(i, m)| index.last_exact.get(m.key.as_str()) == Some(i))
            .map(|(_, m)| m)
            .collect();
        for (i, m) in members.iter().enumerate() {
            let first_exact = index.first_exact.get(m.key.as_str()).copied();
            match first_exact {
                Some(f) if f < i => self.duplicate(m, &members[f], pointer),
                _ => {
                    if let Some(f) = index.earlier_other_spelling(members, i, &m.key) {
                        self.case_duplicate(m, &members[f], pointer);
                    }
                }
            }
        }
        kept
    }

    /// Whether one more duplicate-key finding fits under
    /// [`MAX_DUPLICATE_FINDINGS`]; the first one past it says the rest are
    /// counted, not listed (each listed one costs a finding in every format).
    fn room_for_duplicate(&mut self, m: &Member, pointer: &str) -> bool {
        self.duplicates += 1;
        if self.duplicates <= MAX_DUPLICATE_FINDINGS {
            return true;
        }
        if self.duplicates == MAX_DUPLICATE_FINDINGS + 1 {
            self.problem(
                ProblemKind::DuplicateKey,
                format!(
                    "`{}` and the keys after it repeat earlier keys too: past {MAX_DUPLICATE_FINDINGS} duplicate keys in one policy (limit `MAX_DUPLICATE_FINDINGS`) the rest are not listed; the last occurrence of each key still wins",
                    m.key
                ),
                Some("remove the repeated keys: no policy IAM accepts has this many".into()),
                m.key_span,
                &child_pointer(pointer, &m.key),
            );
        }
        false
    }

    fn duplicate(&mut self, m: &Member, first: &Member, pointer: &str) {
        if !self.room_for_duplicate(m, pointer) {
            return;
        }
        self.problem(
            ProblemKind::DuplicateKey,
            format!(
                "`{}` appears more than once in the same object; the last occurrence wins and the earlier ones are ignored",
                first.key
            ),
            Some("remove one of them: what IAM itself does with duplicate keys is not documented".into()),
            m.key_span,
            &child_pointer(pointer, &m.key),
        );
        self.relate_last(first.key_span);
    }

    fn case_duplicate(&mut self, m: &Member, first: &Member, pointer: &str) {
        if !self.room_for_duplicate(m, pointer) {
            return;
        }
        self.problem(
            ProblemKind::DuplicateKey,
            format!(
                "`{}` and `{}` differ only in case; both are kept and read separately",
                first.key, m.key
            ),
            Some("merge them into one key".into()),
            m.key_span,
            &child_pointer(pointer, &m.key),
        );
        self.relate_last(first.key_span);
    }

    fn unknown_element(&mut self, m: &Member, pointer: &str, known: &[&str], inside: &str) {
        let suggestion = nearest(&m.key, known);
        let help = match suggestion {
            Some(s) if s.eq_ignore_ascii_case(&m.key) => {
                Some(format!("element names are case-sensitive: write `{s}`"))
            }
            Some(s) => Some(format!("did you mean `{s}`?")),
            None => Some(format!("{inside} may contain only: {}", known.join(", "))),
        };
        self.problem(
            ProblemKind::UnknownElement,
            format!(
                "`{}` is not an element of {inside}; IAM rejects the policy",
                m.key
            ),
            help,
            m.key_span,
            pointer,
        );
    }

    fn wrong_type(
        &mut self,
        node: &Node,
        pointer: &str,
        element: &str,
        expected: &str,
        found: &Value,
    ) {
        self.problem(
            ProblemKind::UnknownElement,
            format!("`{element}` must be {expected}, found {}", found.kind()),
            None,
            node.span,
            pointer,
        );
    }

    fn string(&mut self, node: &Node, pointer: &str, element: &str) -> Option<Located<String>> {
        match &node.value {
            Value::String(s) => Some(Located::new(s.clone(), node.span, pointer)),
            other => {
                self.wrong_type(node, pointer, element, "a string", other);
                None
            }
        }
    }

    /// A string or an array of strings, normalised to a list.
    fn string_list(
        &mut self,
        node: &Node,
        pointer: &str,
        element: &str,
    ) -> Located<Vec<Located<String>>> {
        let mut out = Vec::new();
        match &node.value {
            Value::String(s) => out.push(Located::new(s.clone(), node.span, pointer)),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let p = index_pointer(pointer, i);
                    if let Some(s) = self.string(item, &p, element) {
                        out.push(s);
                    }
                }
            }
            other => self.wrong_type(
                node,
                pointer,
                element,
                "a string or an array of strings",
                other,
            ),
        }
        Located::new(out, node.span, pointer)
    }

    fn principal(
        &mut self,
        node: &Node,
        pointer: &str,
        element: &str,
    ) -> Option<Located<Principal>> {
        match &node.value {
            Value::String(s) if s == "*" => {
                Some(Located::new(Principal::Wildcard, node.span, pointer))
            }
            Value::Object(members) => {
                let mut entries = Vec::new();
                for m in self.dedupe(members, pointer) {
                    let p = child_pointer(pointer, &m.key);
                    if !["AWS", "Federated", "Service", "CanonicalUser"].contains(&m.key.as_str()) {
                        self.unknown_element(
                            m,
                            &p,
                            &["AWS", "Federated", "Service", "CanonicalUser"],
                            &format!("`{element}`"),
                        );
                        continue;
                    }
                    let values = self.string_list(&m.value, &p, &format!("{element}.{}", m.key));
                    entries.push(PrincipalEntry {
                        kind: Located::new(m.key.clone(), m.key_span, p),
                        values: values.value,
                    });
                }
                Some(Located::new(Principal::Typed(entries), node.span, pointer))
            }
            Value::String(s) => {
                self.problem(
                    ProblemKind::UnknownElement,
                    format!("`{element}` must be \"*\" or an object such as {{\"Federated\": \"arn:…\"}}, found the string {s:?}"),
                    Some("write {\"Federated\": \"arn:aws:iam::<account>:oidc-provider/<host>\"}".into()),
                    node.span,
                    pointer,
                );
                None
            }
            other => {
                self.wrong_type(node, pointer, element, "\"*\" or an object", other);
                None
            }
        }
    }

    fn statement(&mut self, node: &Node, index: usize, pointer: &str) -> Option<Statement> {
        let Value::Object(members) = &node.value else {
            self.wrong_type(node, pointer, "Statement", "an object", &node.value);
            return None;
        };
        let mut s = Statement {
            index,
            span: node.span,
            pointer: pointer.to_string(),
            sid: None,
            effect: None,
            principal: None,
            not_principal: None,
            action: None,
            not_action: None,
            resource: None,
            not_resource: None,
            condition: None,
            conditions: Vec::new(),
        };
        for m in self.dedupe(members, pointer) {
            let p = child_pointer(pointer, &m.key);
            match m.key.as_str() {
                "Sid" => s.sid = self.string(&m.value, &p, "Sid"),
                "Effect" => {
                    if let Some(e) = self.string(&m.value, &p, "Effect") {
                        if super::Effect::parse(&e.value).is_none() {
                            let help = if e.value.eq_ignore_ascii_case("allow") {
                                "write \"Allow\": IAM values are case-sensitive".to_string()
                            } else if e.value.eq_ignore_ascii_case("deny") {
                                "write \"Deny\": IAM values are case-sensitive".to_string()
                            } else {
                                "`Effect` is \"Allow\" or \"Deny\"".to_string()
                            };
                            self.problem(
                                ProblemKind::UnknownElement,
                                format!("`Effect` must be \"Allow\" or \"Deny\", not {:?}; IAM rejects the policy", e.value),
                                Some(help),
                                e.span,
                                &p,
                            );
                        }
                        s.effect = Some(e);
                    }
                }
                "Principal" => s.principal = self.principal(&m.value, &p, "Principal"),
                "NotPrincipal" => s.not_principal = self.principal(&m.value, &p, "NotPrincipal"),
                "Action" => s.action = Some(self.string_list(&m.value, &p, "Action")),
                "NotAction" => s.not_action = Some(self.string_list(&m.value, &p, "NotAction")),
                "Resource" => s.resource = Some(self.string_list(&m.value, &p, "Resource")),
                "NotResource" => {
                    s.not_resource = Some(self.string_list(&m.value, &p, "NotResource"))
                }
                "Condition" => {
                    s.condition = Some(Located::new((), m.value.span, &p));
                    self.conditions(&m.value, &p, &mut s.conditions);
                }
                _ => self.unknown_element(m, &p, STATEMENT_ELEMENTS, "a statement"),
            }
        }
        if s.effect.is_none() && !members.iter().any(|m| m.key == "Effect") {
            self.problem(
                ProblemKind::UnknownElement,
                "the statement has no `Effect`".into(),
                Some("add \"Effect\": \"Allow\"".into()),
                Span::new(node.span.start, node.span.start + 1),
                pointer,
            );
        }
        if s.action.is_none()
            && s.not_action.is_none()
            && !members
                .iter()
                .any(|m| m.key == "Action" || m.key == "NotAction")
        {
            self.problem(
                ProblemKind::UnknownElement,
                "the statement has neither `Action` nor `NotAction`".into(),
                Some("add \"Action\": \"sts:AssumeRoleWithWebIdentity\"".into()),
                Span::new(node.span.start, node.span.start + 1),
                pointer,
            );
        }
        Some(s)
    }

    fn conditions(&mut self, node: &Node, pointer: &str, out: &mut Vec<Condition>) {
        let Value::Object(ops) = &node.value else {
            self.wrong_type(node, pointer, "Condition", "an object", &node.value);
            return;
        };
        for op in self.dedupe(ops, pointer) {
            let op_ptr = child_pointer(pointer, &op.key);
            let Value::Object(keys) = &op.value.value else {
                self.wrong_type(
                    &op.value,
                    &op_ptr,
                    &op.key,
                    "an object of condition keys",
                    &op.value.value,
                );
                continue;
            };
            for k in self.dedupe(keys, &op_ptr) {
                let key_ptr = child_pointer(&op_ptr, &k.key);
                let mut values = Vec::new();
                let is_list = matches!(k.value.value, Value::Array(_));
                let items: Vec<(&Node, String)> = match &k.value.value {
                    Value::Array(items) => items
                        .iter()
                        .enumerate()
                        .map(|(i, n)| (n, index_pointer(&key_ptr, i)))
                        .collect(),
                    _ => vec![(&k.value, key_ptr.clone())],
                };
                for (item, ptr) in items {
                    let value = match &item.value {
                        Value::String(s) => Some((s.clone(), JsonType::String)),
                        Value::Number(n) => Some((n.clone(), JsonType::Number)),
                        Value::Bool(b) => Some((b.to_string(), JsonType::Bool)),
                        other => {
                            self.wrong_type(
                                item,
                                &ptr,
                                &k.key,
                                "a string, number or boolean (or an array of them)",
                                other,
                            );
                            None
                        }
                    };
                    if let Some((text, json_type)) = value {
                        values.push(Located::new(
                            ConditionValue { text, json_type },
                            item.span,
                            ptr,
                        ));
                    }
                }
                out.push(Condition {
                    operator: Located::new(op.key.clone(), op.key_span, op_ptr.clone()),
                    key: Located::new(k.key.clone(), k.key_span, key_ptr.clone()),
                    values,
                    values_span: k.value.span,
                    values_pointer: key_ptr,
                    values_is_list: is_list,
                });
            }
        }
    }
}

/// The closest name from `known` (case-insensitive Levenshtein ≤ a third of the length).
pub(crate) fn nearest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (strsim::levenshtein(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests;
