//! YAML into the span-keeping tree of [`crate::json`], for CloudFormation templates
//! and `.gitlab-ci.yml`.
//!
//! Parsing is saphyr's event parser (YAML 1.2, keeps marks and tags); this module
//! only builds the tree: byte spans into the text as written (saphyr counts
//! characters, so positions are converted for non-ASCII text), plain scalars typed
//! by the YAML 1.2 core schema, anchors and aliases expanded under a node budget
//! (no "billion laughs"), `<<` merge keys applied, nesting depth capped. A tag the
//! caller cares about (`!Sub`, `!reference`) becomes a one-member object
//! `{ "<name>": value }` whose key span is the tag, so later stages see CloudFormation
//! short forms exactly like their `Fn::` long forms.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::json::{Member, Node, Span, Value};

/// Deepest nesting accepted (real templates and CI files stay far below it).
pub const MAX_DEPTH: usize = 128;
/// Most nodes built, alias expansions (and the copy kept of each anchored node)
/// included. A file at the 4 MiB input cap written without aliases holds at most
/// about two million nodes only if it is nothing but one-character items; real
/// templates and CI files have a few thousand. A million nodes take about 100 MB,
/// so the cap bounds memory, while "billion laughs" anchors (each referring to
/// the previous one ten times) reach it at their sixth level.
pub const MAX_NODES: usize = 1_000_000;

/// Most bytes of scalars and keys built, alias expansions and anchor copies
/// included: four times the 4 MiB input cap. Without aliases a file cannot come
/// near it; a large scalar behind an anchor, aliased thousands of times, stops
/// here instead of copying gigabytes.
pub const MAX_BYTES: usize = 16 << 20;

/// Why a text is not YAML (or not YAML this tool reads).
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
    /// Byte offset of the problem.
    pub offset: usize,
    /// The named limit the text reached (it may be valid YAML, too large to
    /// expand), or `None` for a syntax error.
    pub limit: Option<&'static str>,
}

/// Maps a tag (as written, e.g. `!Sub`) to the key of the object that replaces
/// it, or `None` to keep the value untagged.
pub type TagMapper<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Every document of the stream (a `.gitlab-ci.yml` with a `spec:` header has two).
pub fn load(text: &str, tags: TagMapper<'_>) -> Result<Vec<Node>, YamlError> {
    let mut b = Builder {
        text,
        pos: CharPos::new(text),
        tags,
        anchors: HashMap::new(),
        stack: Vec::new(),
        docs: Vec::new(),
        nodes: 0,
        bytes: 0,
    };
    for ev in Parser::new_from_str(text) {
        match ev {
            Ok((event, span)) => {
                let start = b.pos.byte(span.start.index());
                let end = b.pos.byte(span.end.index()).max(start);
                b.event(event, Span::new(start, end))?;
            }
            Err(e) => {
                return Err(YamlError {
                    message: e.info().to_string(),
                    offset: b.pos.byte(e.marker().index()),
                    limit: None,
                });
            }
        }
    }
    Ok(b.docs)
}

/// Character index → byte offset, walking from the last position (the parser's
/// positions mostly increase).
struct CharPos<'a> {
    text: &'a str,
    ascii: bool,
    char_idx: usize,
    byte_idx: usize,
}

impl<'a> CharPos<'a> {
    fn new(text: &'a str) -> Self {
        CharPos {
            text,
            ascii: text.is_ascii(),
            char_idx: 0,
            byte_idx: 0,
        }
    }

    fn byte(&mut self, ci: usize) -> usize {
        if self.ascii {
            return ci.min(self.text.len());
        }
        if ci < self.char_idx {
            // Walk back (cost: the distance), not from the start: a position
            // that goes back a little per event would otherwise make it quadratic.
            let mut back = self.text[..self.byte_idx].chars().rev();
            while self.char_idx > ci {
                match back.next() {
                    Some(c) => {
                        self.byte_idx -= c.len_utf8();
                        self.char_idx -= 1;
                    }
                    None => {
                        self.char_idx = 0;
                        self.byte_idx = 0;
                    }
                }
            }
        }
        let mut it = self.text[self.byte_idx..].char_indices();
        while self.char_idx < ci {
            match it.next() {
                Some((_, c)) => {
                    self.byte_idx += c.len_utf8();
                    self.char_idx += 1;
                }
                None => break,
            }
        }
        self.byte_idx
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        /// Nodes and bytes in the subtree so far (aliases expanded).
        size: Size,
        start: usize,
        anchor: usize,
        tag: Option<(String, Span)>,
    },
    Map {
        members: Vec<Member>,
        size: Size,
        key: Option<(String, Span)>,
        start: usize,
        anchor: usize,
        tag: Option<(String, Span)>,
    },
}

struct Builder<'a, 't> {
    text: &'a str,
    pos: CharPos<'a>,
    tags: TagMapper<'t>,
    /// Anchor id → the node and its size (nodes, bytes).
    anchors: HashMap<usize, (Node, Size)>,
    stack: Vec<Frame>,
    docs: Vec<Node>,
    nodes: usize,
    bytes: usize,
}

/// The size of a subtree: nodes, and bytes of its scalars and keys.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    nodes: usize,
    bytes: usize,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

impl Builder<'_, '_> {
    fn err(&self, message: impl Into<String>, offset: usize) -> YamlError {
        YamlError {
            message: message.into(),
            offset,
            limit: None,
        }
    }

    /// Counts what is built against [`MAX_NODES`] and [`MAX_BYTES`].
    fn count(&mut self, size: Size, at: usize) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(size.nodes);
        self.bytes = self.bytes.saturating_add(size.bytes);
        let (limit, what) = if self.nodes > MAX_NODES {
            (
                "MAX_NODES",
                format!(
                    "more than {} YAML nodes",
                    crate::rules::analysis_limit::thousands(MAX_NODES)
                ),
            )
        } else if self.bytes > MAX_BYTES {
            (
                "MAX_BYTES",
                format!(
                    "more than {} bytes of YAML scalars",
                    crate::rules::analysis_limit::thousands(MAX_BYTES)
                ),
            )
        } else {
            return Ok(());
        };
        Err(YamlError {
            message: format!(
                "the document builds {what} by here, aliases expanded (limit `{limit}`); the file was not read"
            ),
            offset: at,
            limit: Some(limit),
        })
    }

    /// The tag's replacement key and the span the tag covers.
    fn tag(&self, tag: Option<&saphyr_parser::Tag>, start: usize) -> Option<(String, Span)> {
        let tag = tag?;
        let written = format!("{}{}", tag.handle, tag.suffix);
        let key = (self.tags)(&written)?;
        // The tag as written: at `start`, after an anchor there, or (for a block
        // collection, whose events start at its first entry) just before it.
        let start = start.min(self.text.len());
        let from = if self.text[start..].starts_with('&') {
            // Within 256 bytes of the anchor: a window, so that many anchors do
            // not each scan the rest of the file.
            let end = (start + 256 + written.len()).min(self.text.len());
            let end = (end..=self.text.len())
                .find(|i| self.text.is_char_boundary(*i))
                .unwrap_or(self.text.len());
            self.text[start..end]
                .find(written.as_str())
                .filter(|i| *i < 256)
                .map(|i| start + i)
        } else if self.text[start..].starts_with(written.as_str()) {
            Some(start)
        } else {
            None
        }
        .or_else(|| {
            let back = start.saturating_sub(256);
            let back = (back..=start)
                .find(|i| self.text.is_char_boundary(*i))
                .unwrap_or(start);
            self.text[back..start]
                .rfind(written.as_str())
                .map(|i| back + i)
        })
        .unwrap_or(start);
        Some((
            key,
            Span::new(from, (from + written.len()).min(self.text.len())),
        ))
    }

    /// Where a value starts once its anchor and tag are skipped.
    fn after_properties(&self, start: usize) -> usize {
        let mut i = start.min(self.text.len());
        let bytes = self.text.as_bytes();
        while i < bytes.len() && (bytes[i] == b'!' || bytes[i] == b'&') {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
                i += 1;
            }
        }
        i
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(_) | Event::DocumentEnd => {}
            Event::Alias(id) => {
                let Some(size) = self.anchors.get(&id).map(|(_, size)| *size) else {
                    return Err(self.err("an alias refers to an unknown anchor", span.start));
                };
                self.count(size, span.start)?;
                let Some((node, _)) = self.anchors.get(&id) else {
                    return Err(self.err("an alias refers to an unknown anchor", span.start));
                };
                let node = node.clone();
                self.complete(node, 0, size)?;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let size = Size {
                    nodes: 1,
                    bytes: value.len(),
                };
                self.count(size, span.start)?;
                let tag_ref = tag.as_deref();
                let wrap = self.tag(tag_ref, span.start);
                let core = tag_ref
                    .filter(|t| t.is_yaml_core_schema())
                    .map(|t| t.suffix.clone());
                let inner = Span::new(self.after_properties(span.start).min(span.end), span.end);
                let v = scalar(&value, style, core.as_deref());
                let node = Node {
                    value: v,
                    span: if wrap.is_some() { inner } else { span },
                };
                let node = wrap_tag(node, wrap, span);
                self.complete(node, anchor, size)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.push_check(span.start)?;
                let tag = self.tag(tag.as_deref(), span.start);
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    size: Size { nodes: 1, bytes: 0 },
                    start: span.start,
                    anchor,
                    tag,
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.push_check(span.start)?;
                let tag = self.tag(tag.as_deref(), span.start);
                self.stack.push(Frame::Map {
                    members: Vec::new(),
                    size: Size { nodes: 1, bytes: 0 },
                    key: None,
                    start: span.start,
                    anchor,
                    tag,
                });
            }
            Event::SequenceEnd => {
                let Some(Frame::Seq {
                    items,
                    size,
                    start,
                    anchor,
                    tag,
                }) = self.stack.pop()
                else {
                    return Err(self.err("unbalanced sequence", span.start));
                };
                self.count(Size { nodes: 1, bytes: 0 }, start)?;
                let end = self.trim_end(start, span.end);
                let whole = Span::new(start, end);
                let inner = Span::new(self.after_properties(start).min(end), end);
                let node = Node {
                    value: Value::Array(items),
                    span: if tag.is_some() { inner } else { whole },
                };
                let node = wrap_tag(node, tag, whole);
                self.complete(node, anchor, size)?;
            }
            Event::MappingEnd => {
                let Some(Frame::Map {
                    members,
                    size,
                    start,
                    anchor,
                    tag,
                    ..
                }) = self.stack.pop()
                else {
                    return Err(self.err("unbalanced mapping", span.start));
                };
                self.count(Size { nodes: 1, bytes: 0 }, start)?;
                let members = merge_keys(members);
                let end = self.trim_end(start, span.end);
                let whole = Span::new(start, end);
                let inner = Span::new(self.after_properties(start).min(end), end);
                let node = Node {
                    value: Value::Object(members),
                    span: if tag.is_some() { inner } else { whole },
                };
                let node = wrap_tag(node, tag, whole);
                self.complete(node, anchor, size)?;
            }
        }
        Ok(())
    }

    fn push_check(&self, at: usize) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(
                format!("nesting deeper than {MAX_DEPTH} levels; not read"),
                at,
            ));
        }
        Ok(())
    }

    /// A block collection "ends" where the next token starts: step back over
    /// trailing whitespace so its span ends after its last character.
    fn trim_end(&self, start: usize, end: usize) -> usize {
        let end = end.min(self.text.len());
        if end <= start {
            return end.max(start);
        }
        let trimmed = self.text[start..end].trim_end();
        start + trimmed.len()
    }

    fn complete(&mut self, node: Node, anchor: usize, size: Size) -> Result<(), YamlError> {
        if anchor != 0 {
            // The copy kept for aliases is built too: counted, so anchors nested
            // in anchors cannot copy a large subtree once per level unseen.
            self.count(size, node.span.start)?;
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, size: s, .. }) => {
                s.add(size);
                items.push(node);
            }
            Some(Frame::Map {
                members,
                key,
                size: s,
                ..
            }) => match key.take() {
                None => {
                    s.add(size);
                    let k = match &node.value {
                        Value::String(s) | Value::Number(s) => s.clone(),
                        Value::Bool(b) => b.to_string(),
                        Value::Null => String::new(),
                        // A tagged key (`!Ref x: …`) or a complex key: its text.
                        _ => self
                            .text
                            .get(node.span.start..node.span.end)
                            .unwrap_or("")
                            .to_string(),
                    };
                    *key = Some((k, node.span));
                }
                Some((k, key_span)) => {
                    s.add(size);
                    members.push(Member {
                        key: k,
                        key_span,
                        value: node,
                    })
                }
            },
        }
        Ok(())
    }
}

fn wrap_tag(node: Node, tag: Option<(String, Span)>, whole: Span) -> Node {
    match tag {
        None => node,
        Some((key, key_span)) => Node {
            value: Value::Object(vec![Member {
                key,
                key_span,
                value: node,
            }]),
            span: whole,
        },
    }
}

/// `<<: *base` (or a list of them): members of the merged mappings that the
/// mapping does not set itself.
fn merge_keys(members: Vec<Member>) -> Vec<Member> {
    if !members.iter().any(|m| m.key == "<<") {
        return members;
    }
    let mut out: Vec<Member> = Vec::with_capacity(members.len());
    let mut merged: Vec<Member> = Vec::new();
    // Keys seen, looked up in constant time: a mapping merging thousands of
    // keys stays linear.
    let mut merged_keys: std::collections::HashSet<String> = std::collections::HashSet::new();
    for m in members {
        if m.key == "<<" {
            let sources = match m.value.value {
                Value::Object(ms) => vec![ms],
                Value::Array(items) => items
                    .into_iter()
                    .filter_map(|n| match n.value {
                        Value::Object(ms) => Some(ms),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for ms in sources {
                for mm in ms {
                    if merged_keys.insert(mm.key.clone()) {
                        merged.push(mm);
                    }
                }
            }
        } else {
            out.push(m);
        }
    }
    let own: std::collections::HashSet<String> = out.iter().map(|m| m.key.clone()).collect();
    for mm in merged {
        if !own.contains(&mm.key) {
            out.push(mm);
        }
    }
    out
}

/// A scalar's value: quoted ones are strings; plain ones follow the YAML 1.2 core
/// schema (null, booleans, numbers kept as written, else a string).
fn scalar(value: &str, style: ScalarStyle, core_tag: Option<&str>) -> Value {
    match core_tag {
        Some("str") => return Value::String(value.to_string()),
        Some("null") => return Value::Null,
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return Value::String(value.to_string());
    }
    match value {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        v if is_number(v) => Value::Number(v.to_string()),
        v => Value::String(v.to_string()),
    }
}

fn is_number(v: &str) -> bool {
    let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
    if digits.is_empty() {
        return false;
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    if let Some(hex) = digits.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = digits.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut seen_exp = false;
    let b = digits.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' => seen_digit = true,
            b'.' if !seen_dot && !seen_exp => seen_dot = true,
            b'e' | b'E' if seen_digit && !seen_exp => {
                seen_exp = true;
                if matches!(b.get(i + 1), Some(b'+' | b'-')) {
                    i += 1;
                }
                if i + 1 >= b.len() {
                    return false;
                }
            }
            _ => return false,
        }
        i += 1;
    }
    seen_digit
}

/// Where in the file the byte at `value_offset` of a string scalar's value was
/// written. The value is aligned with its source text (quotes, escapes,
/// indentation and folded line breaks skipped), so this holds for plain, quoted,
/// literal and folded scalars alike; the scalar's start when alignment fails.
pub fn offset_in_scalar(text: &str, node: &Node, value_offset: usize) -> usize {
    let start = node.span.start;
    let Value::String(value) = &node.value else {
        return start;
    };
    let Some(src) = text.get(start..node.span.end) else {
        return start;
    };
    let mut v = value.char_indices().peekable();
    let mut s = src.char_indices().peekable();
    while let (Some(&(vpos, vc)), Some(&(_, sc))) = (v.peek(), s.peek()) {
        if vpos >= value_offset {
            break;
        }
        if vc == sc {
            v.next();
            s.next();
        } else if vc.is_whitespace() && !sc.is_whitespace() {
            v.next();
        } else {
            s.next();
        }
    }
    let Some(&(_, vc)) = v.peek() else {
        return start;
    };
    s.find(|(_, sc)| *sc == vc)
        .map_or(start, |(spos, _)| start + spos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfn_tags(t: &str) -> Option<String> {
        let name = t.strip_prefix('!')?;
        Some(if name == "Ref" {
            "Ref".into()
        } else {
            format!("Fn::{name}")
        })
    }

    fn load1(text: &str) -> Node {
        load(text, &cfn_tags).unwrap().remove(0)
    }

    fn get<'a>(n: &'a Node, key: &str) -> &'a Node {
        match &n.value {
            Value::Object(ms) => &ms.iter().find(|m| m.key == key).unwrap().value,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn spans_are_bytes_even_after_non_ascii_text() {
        let text = "é: ñ\nkey: !Sub \"x${AWS::AccountId}\"\n";
        let root = load1(text);
        let sub = get(&root, "key");
        assert_eq!(
            &text[sub.span.start..sub.span.end],
            "!Sub \"x${AWS::AccountId}\""
        );
        let inner = get(sub, "Fn::Sub");
        assert_eq!(
            &text[inner.span.start..inner.span.end],
            "\"x${AWS::AccountId}\""
        );
        let Value::Object(ms) = &sub.value else {
            panic!()
        };
        assert_eq!(&text[ms[0].key_span.start..ms[0].key_span.end], "!Sub");
    }

    #[test]
    fn positions_going_back_and_forth_stay_byte_exact() {
        let mut pos = CharPos::new("aé€b");
        assert_eq!(pos.byte(3), 6);
        assert_eq!(pos.byte(1), 1);
        assert_eq!(pos.byte(2), 3);
        assert_eq!(pos.byte(0), 0);
        assert_eq!(pos.byte(4), 7);
        assert_eq!(pos.byte(9), 7);
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        let root = load1("a: true\nb: 12\nc: '12'\nd: ~\ne: x\n");
        assert_eq!(get(&root, "a").value, Value::Bool(true));
        assert_eq!(get(&root, "b").value, Value::Number("12".into()));
        assert_eq!(get(&root, "c").value, Value::String("12".into()));
        assert_eq!(get(&root, "d").value, Value::Null);
        assert_eq!(get(&root, "e").value, Value::String("x".into()));
    }

    #[test]
    fn aliases_are_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!(
                "a{i}: &a{i} [{p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}]\n",
                p = prev
            ));
        }
        let err = load(&text, &cfn_tags).unwrap_err();
        assert!(err.message.contains("nodes"), "{err:?}");
    }

    #[test]
    fn alias_bombs_name_the_node_limit_and_a_near_miss_is_read() {
        let bomb = |levels: usize| {
            let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
            for i in 1..levels {
                let p = format!("*a{}", i - 1);
                text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![p; 10].join(", ")));
            }
            text
        };
        // Five levels: about 111,000 nodes with the anchor copies.
        let root = load1(&bomb(5));
        assert!(matches!(&get(&root, "a4").value, Value::Array(items) if items.len() == 10));
        let err = load(&bomb(7), &cfn_tags).unwrap_err();
        assert_eq!(err.limit, Some("MAX_NODES"));
        assert!(err.message.contains("1,000,000 YAML nodes"), "{err:?}");
    }

    #[test]
    fn a_large_scalar_aliased_many_times_stops_at_the_byte_limit() {
        let doc = |aliases: usize| {
            format!(
                "big: &b \"{}\"\nuses: [{}]\n",
                "x".repeat(1 << 20),
                vec!["*b"; aliases].join(", ")
            )
        };
        // The scalar, its anchor copy and 12 aliases: 14 MiB.
        let root = load1(&doc(12));
        assert!(matches!(&get(&root, "uses").value, Value::Array(items) if items.len() == 12));
        let err = load(&doc(40), &cfn_tags).unwrap_err();
        assert_eq!(err.limit, Some("MAX_BYTES"));
    }

    #[test]
    fn anchors_nested_in_anchors_count_their_copies() {
        // Each anchor keeps a copy of its subtree: 40 nested levels around a
        // 512 KiB scalar would copy 20 MiB without a word.
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(&format!("{}k{i}: &n{i}\n", "  ".repeat(i)));
        }
        text.push_str(&format!(
            "{}leaf: \"{}\"\n",
            "  ".repeat(40),
            "x".repeat(1 << 19)
        ));
        let err = load(&text, &cfn_tags).unwrap_err();
        assert_eq!(err.limit, Some("MAX_BYTES"));
    }

    #[test]
    fn syntax_errors_carry_no_limit() {
        let err = load("a: [", &cfn_tags).unwrap_err();
        assert_eq!(err.limit, None);
    }

    #[test]
    fn merging_many_keys_keeps_the_mapping_s_own_values() {
        let mut text = String::from(".base: &b\n");
        for i in 0..20_000 {
            text.push_str(&format!("  k{i}: {i}\n"));
        }
        text.push_str("job:\n  <<: *b\n  k7: own\n");
        let root = load1(&text);
        let job = get(&root, "job");
        let Value::Object(ms) = &job.value else {
            panic!("an object")
        };
        assert_eq!(ms.len(), 20_000);
        assert_eq!(get(job, "k7").value, Value::String("own".into()));
        assert_eq!(get(job, "k19999").value, Value::Number("19999".into()));
    }

    #[test]
    fn merge_keys_apply() {
        let root = load1(".base: &b\n  x: 1\n  y: 2\njob:\n  <<: *b\n  y: 3\n");
        let job = get(&root, "job");
        assert_eq!(get(job, "x").value, Value::Number("1".into()));
        assert_eq!(get(job, "y").value, Value::Number("3".into()));
    }

    #[test]
    fn positions_inside_literal_blocks() {
        let text = "s: |\n  echo a\n  aws sts x\n";
        let root = load1(text);
        let s = get(&root, "s");
        let at = offset_in_scalar(text, s, "echo a\naws ".len());
        assert_eq!(&text[at..at + 3], "sts");
        let text = "s: aws sts x\n  --role-arn \"$R\"\n";
        let root = load1(text);
        let s = get(&root, "s");
        let at = offset_in_scalar(text, s, "aws sts x --role-arn ".len());
        assert_eq!(&text[at..at + 3], "\"$R");
    }
}
