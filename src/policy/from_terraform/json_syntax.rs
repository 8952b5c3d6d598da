//! Terraform JSON syntax (`*.tf.json`): what CDK for Terraform writes
//! (`cdk.tf.json`) and hand-generated configuration.
//!
//! Not a second front end: the parts of the file that matter to trust policies
//! (`resource` `aws_iam_role` and `aws_iam_openid_connect_provider`, `data`
//! `aws_iam_policy_document`, `locals`, `variable` defaults) are rewritten as the
//! HCL they stand for, with a byte map from every byte of that HCL to the
//! characters of the file it came from, and read by the HCL front end. The same
//! evaluator and rules apply, and findings point at the `.tf.json` file.
//!
//! JSON strings are Terraform templates. `"${expr}"` alone becomes `expr` (its
//! value, not a string, as Terraform reads it); other templates become HCL
//! quoted templates with their interpolations kept as written; a string holding
//! policy JSON (`"{\"Statement\": …}"`) becomes a heredoc, which the HCL front
//! end parses in place — so each element maps back through the string's escapes
//! to its own characters. A `"//"` key in a block is a comment. Blocks are an
//! object or an array of objects, at every level.

use std::collections::HashSet;
use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::structure::Body;
use hcl_edit::template::Element;

use super::{SpanMap, extract_module, parse_failure, too_deep};
use crate::finding::{Finding, Location};
use crate::json::{self, Member, Node, SourceText, Span, Value};
use crate::lint::Extracted;
use crate::rules;

/// The heredoc marker used for policy JSON held in a string.
const HEREDOC: &str = "OIDC_DOCTOR_JSON";

/// Stands for a value that could not be rewritten (always unknown to [`super::eval`]).
const PLACEHOLDER: &str = "data.tfjson_unreadable";

/// Reads one `*.tf.json` file.
pub fn extract(path: &str, source: &SourceText) -> Extracted {
    let text = source.text();
    let root = match json::parse(text) {
        Ok(r) => r,
        Err(e) => {
            return parse_failure(
                path,
                source,
                e.offset,
                format!("JSON syntax error: {}", e.message),
            );
        }
    };
    let conv = convert(text, &root);
    drop(root);
    let map = SpanMap::new(&conv.map);
    let at = |offset: usize| map.span(Span::new(offset, offset + 1)).start;
    if let Some(offset) = too_deep(&conv.hcl) {
        return parse_failure(
            path,
            source,
            at(offset),
            "expressions nested too deeply".to_string(),
        );
    }
    let body = match hcl_edit::parser::parse_body(&conv.hcl) {
        Ok(b) => b,
        Err(e) => {
            // Every piece was checked on its own: not expected, but never a panic.
            let message = e.message().trim().replace('\n', "; ");
            return parse_failure(
                path,
                source,
                at(e.location().offset()),
                format!("Terraform expression syntax error: {message}"),
            );
        }
    };
    let mut out = extract_module(path, source, &conv.hcl, &body, map);
    for (span, message) in conv.errors {
        out.findings.push(
            Finding::new(&rules::PARSE_ERROR, message)
                .at(Location::from_span(path, source, span, None)),
        );
    }
    out
}

/// The declarations of a sibling `*.tf.json` file (for `var.*`, `local.*`,
/// providers and policy documents of the module); `None` when it does not parse.
pub(crate) fn declarations(text: &str) -> Option<Body> {
    let root = json::parse(text).ok()?;
    let conv = convert(text, &root);
    if too_deep(&conv.hcl).is_some() {
        return None;
    }
    hcl_edit::parser::parse_body(&conv.hcl).ok()
}

/// HCL rewritten from a `*.tf.json` file.
pub(crate) struct Converted {
    pub hcl: String,
    /// For each byte of `hcl`, the span of the file it was written from.
    pub map: Vec<(u32, u32)>,
    /// Templates that do not parse (Terraform rejects them too), by file span.
    pub errors: Vec<(Span, String)>,
}

/// Rewrites the parts of a Terraform JSON document that trust policies need.
pub(crate) fn convert(src: &str, root: &Node) -> Converted {
    let mut w = Writer {
        src,
        hcl: String::new(),
        map: Vec::new(),
        errors: Vec::new(),
    };
    for m in members(root) {
        match m.key.as_str() {
            kind @ ("resource" | "data") => {
                for by_type in objects(&m.value) {
                    for t in members(by_type) {
                        let schema = match (kind, t.key.as_str()) {
                            ("resource", "aws_iam_role") => Kind::Role,
                            ("resource", "aws_iam_openid_connect_provider") => Kind::Provider,
                            ("data", "aws_iam_policy_document") => Kind::Document,
                            _ => continue,
                        };
                        for by_name in objects(&t.value) {
                            for n in members(by_name) {
                                if !label_ok(&n.key) {
                                    continue;
                                }
                                for body in objects(&n.value) {
                                    w.glue(&format!("{kind} \"{}\" ", t.key), n.key_span);
                                    w.glue(&format!("\"{}\" ", n.key), n.key_span);
                                    w.open(body);
                                    w.body(body, schema);
                                    w.close(body);
                                }
                            }
                        }
                    }
                }
            }
            "locals" => {
                for body in objects(&m.value) {
                    w.glue("locals ", m.key_span);
                    w.open(body);
                    w.body(body, Kind::Locals);
                    w.close(body);
                }
            }
            "variable" => {
                for by_name in objects(&m.value) {
                    for n in members(by_name) {
                        if !label_ok(&n.key) {
                            continue;
                        }
                        for body in objects(&n.value) {
                            w.glue(&format!("variable \"{}\" ", n.key), n.key_span);
                            w.open(body);
                            w.body(body, Kind::Variable);
                            w.close(body);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Converted {
        hcl: w.hcl,
        map: w.map,
        errors: w.errors,
    }
}

/// The block kinds rewritten, for their nested blocks and the attributes kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Role,
    Provider,
    Document,
    Statement,
    Principals,
    Condition,
    Locals,
    Variable,
}

/// Where a string value sits: templates alone are unwrapped except as object
/// keys; policy JSON becomes a heredoc only as an attribute's whole value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Attribute,
    Value,
    Key,
}

fn members(node: &Node) -> &[Member] {
    match &node.value {
        Value::Object(m) => m,
        _ => &[],
    }
}

/// A block body: an object, or an array of objects.
fn objects(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::Object(_) => vec![node],
        Value::Array(items) => items
            .iter()
            .filter(|i| matches!(i.value, Value::Object(_)))
            .collect(),
        _ => Vec::new(),
    }
}

/// A block label or attribute name Terraform accepts (and that needs no quoting).
fn label_ok(s: &str) -> bool {
    ident_ok(s)
}

fn ident_ok(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn u(x: usize) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// A JSON string as written: its decoded text and, for each byte of it, the
/// span of the characters (an escape sequence, or the character itself) it was
/// written with.
struct Lit<'n> {
    text: &'n str,
    units: Vec<(u32, u32)>,
    span: Span,
}

impl Lit<'_> {
    fn open(&self) -> Span {
        Span::new(self.span.start, self.span.start + 1)
    }

    fn close(&self) -> Span {
        Span::new(self.span.end.saturating_sub(1), self.span.end)
    }

    fn unit(&self, i: usize) -> Span {
        match self.units.get(i).or(self.units.last()) {
            Some(&(s, e)) => Span::new(s as usize, e as usize),
            None => self.span,
        }
    }
}

struct Writer<'s> {
    src: &'s str,
    hcl: String,
    map: Vec<(u32, u32)>,
    errors: Vec<(Span, String)>,
}

impl<'s> Writer<'s> {
    /// Text of our own, placed at `at` in the file.
    fn glue(&mut self, text: &str, at: Span) {
        self.hcl.push_str(text);
        self.map
            .extend(std::iter::repeat_n((u(at.start), u(at.end)), text.len()));
    }

    fn open(&mut self, body: &Node) {
        self.glue("{\n", Span::new(body.span.start, body.span.start + 1));
    }

    fn close(&mut self, body: &Node) {
        self.glue(
            "}\n",
            Span::new(body.span.end.saturating_sub(1), body.span.end),
        );
    }

    fn truncate(&mut self, len: usize) {
        self.hcl.truncate(len);
        self.map.truncate(len);
    }

    fn lit<'n>(&self, text: &'n str, span: Span) -> Lit<'n> {
        let raw = self.src.get(span.start..span.end).unwrap_or_default();
        let units = match json::literal::offsets(raw) {
            Some(offs) if offs.len() == text.len() + 1 => {
                // Each byte ends where the next differently placed byte starts.
                let mut units = vec![(0, 0); text.len()];
                let mut end = offs[text.len()];
                for i in (0..text.len()).rev() {
                    if offs[i + 1] != offs[i] {
                        end = offs[i + 1];
                    }
                    units[i] = (u(span.start + offs[i]), u(span.start + end));
                }
                units
            }
            _ => vec![(u(span.start), u(span.end)); text.len()],
        };
        Lit { text, units, span }
    }

    /// Bytes of a string's decoded text, each at its own characters.
    fn push_units(&mut self, lit: &Lit<'_>, range: Range<usize>) {
        let Some(text) = lit.text.get(range.clone()) else {
            return;
        };
        self.hcl.push_str(text);
        for i in range {
            let at = lit.unit(i);
            self.map.push((u(at.start), u(at.end)));
        }
    }

    /// A string's decoded text escaped for an HCL quoted string.
    fn push_escaped(&mut self, lit: &Lit<'_>, range: Range<usize>) {
        let Some(text) = lit.text.get(range.clone()) else {
            return;
        };
        for (i, c) in text.char_indices() {
            let at = lit.unit(range.start + i);
            let mut buf = [0u8; 4];
            let escaped = match c {
                '"' => "\\\"".to_string(),
                '\\' => "\\\\".to_string(),
                '\n' => "\\n".to_string(),
                '\r' => "\\r".to_string(),
                '\t' => "\\t".to_string(),
                c if c.is_control() => format!("\\u{:04x}", c as u32),
                c => c.encode_utf8(&mut buf).to_string(),
            };
            self.glue(&escaped, at);
        }
    }

    /// A block body: nested blocks as blocks, the attributes this kind keeps.
    fn body(&mut self, body: &Node, kind: Kind) {
        let mut seen: HashSet<&str> = HashSet::new();
        for m in members(body) {
            let key = m.key.as_str();
            if key == "//" {
                continue; // a comment
            }
            match (kind, key) {
                (Kind::Document, "statement") => self.nested(m, Kind::Statement),
                (Kind::Statement, "principals" | "not_principals") => {
                    self.nested(m, Kind::Principals);
                }
                (Kind::Statement, "condition") => self.nested(m, Kind::Condition),
                (Kind::Document | Kind::Statement, "dynamic") => {
                    // Only its presence matters: the statements are then unknown.
                    for o in objects(&m.value) {
                        for l in members(o) {
                            if label_ok(&l.key) {
                                self.glue(&format!("dynamic \"{}\" {{\n}}\n", l.key), l.key_span);
                            }
                        }
                    }
                }
                (Kind::Role, k) if k != "assume_role_policy" => {}
                (Kind::Provider, k)
                    if !matches!(k, "url" | "client_id_list" | "thumbprint_list") => {}
                (Kind::Variable, k) if k != "default" => {}
                _ => {
                    // Terraform rejects a repeated attribute; the first is read.
                    if ident_ok(key) && seen.insert(key) {
                        self.attribute(m);
                    }
                }
            }
        }
    }

    fn nested(&mut self, m: &Member, kind: Kind) {
        let single = matches!(m.value.value, Value::Object(_));
        for o in objects(&m.value) {
            // One block: its name is the key; several: each its own `{`.
            let ident = if single {
                m.key_span
            } else {
                Span::new(o.span.start, o.span.start + 1)
            };
            self.glue(&format!("{} ", m.key), ident);
            self.open(o);
            self.body(o, kind);
            self.close(o);
        }
    }

    fn attribute(&mut self, m: &Member) {
        let raw = self
            .src
            .get(m.key_span.start..m.key_span.end)
            .unwrap_or_default();
        if raw.len() == m.key.len() + 2 {
            // No escapes in the key: each character at its own place.
            for (i, b) in m.key.bytes().enumerate() {
                let at = m.key_span.start + 1 + i;
                self.hcl.push(char::from(b));
                self.map.push((u(at), u(at + 1)));
            }
        } else {
            self.glue(&m.key, m.key_span);
        }
        let v = &m.value;
        self.glue(" = ", Span::new(v.span.start, v.span.start + 1));
        self.expr(v, Mode::Attribute);
        self.glue("\n", Span::new(v.span.end.saturating_sub(1), v.span.end));
    }

    /// A JSON value in expression mode.
    fn expr(&mut self, node: &Node, mode: Mode) {
        let span = node.span;
        let first = Span::new(span.start, span.start + 1);
        let last = Span::new(span.end.saturating_sub(1), span.end);
        match &node.value {
            Value::Null => self.glue("null", span),
            Value::Bool(b) => self.glue(if *b { "true" } else { "false" }, span),
            Value::Number(n) => self.glue(n, span),
            Value::String(s) => self.string(s, span, mode),
            Value::Array(items) => {
                self.glue("[", first);
                for item in items {
                    self.expr(item, Mode::Value);
                    self.glue(", ", Span::new(item.span.end, item.span.end));
                }
                self.glue("]", last);
            }
            Value::Object(members) => {
                self.glue("{\n", first);
                for m in members {
                    self.string(&m.key, m.key_span, Mode::Key);
                    let v = &m.value;
                    self.glue(" = ", Span::new(v.span.start, v.span.start + 1));
                    self.expr(v, Mode::Value);
                    self.glue("\n", Span::new(v.span.end, v.span.end));
                }
                self.glue("}", last);
            }
        }
    }

    /// A string: a template, read as Terraform reads JSON strings.
    fn string(&mut self, text: &str, span: Span, mode: Mode) {
        let lit = self.lit(text, span);
        let start = self.hcl.len();
        let template = text.contains("${") || text.contains("%{");
        let parsed = if template {
            if let Some(offset) = too_deep(text) {
                self.errors.push((
                    lit.unit(offset),
                    "template expressions nested too deeply".to_string(),
                ));
                return self.placeholder(span, mode);
            }
            match hcl_edit::parser::parse_template(text) {
                Ok(t) => Some(t),
                Err(e) => {
                    let message = e.message().trim().replace('\n', "; ");
                    self.errors.push((
                        lit.unit(e.location().offset()),
                        format!("Terraform template syntax error: {message}"),
                    ));
                    return self.placeholder(span, mode);
                }
            }
        } else {
            None
        };
        let heredoc = mode == Mode::Attribute
            && text.trim_start().starts_with('{')
            && !text.contains('\r')
            && !text.lines().any(|l| l.trim() == HEREDOC);
        if heredoc {
            // Policy JSON: parsed in place by the HCL front end.
            self.glue(&format!("<<{HEREDOC}\n"), lit.open());
            self.push_units(&lit, 0..text.len());
            self.glue(&format!("\n{HEREDOC}\n"), lit.close());
        } else if let Some(t) = parsed {
            let elements: Vec<&Element> = t.iter().collect();
            let alone = match elements.as_slice() {
                [Element::Interpolation(i)] if mode != Mode::Key => i.expr.span(),
                _ => None,
            };
            match alone {
                Some(r) => self.push_units(&lit, r),
                None => {
                    self.glue("\"", lit.open());
                    for el in elements {
                        let Some(r) = el.span() else {
                            self.truncate(start);
                            return self.placeholder(span, mode);
                        };
                        if el.is_literal() {
                            self.push_escaped(&lit, r);
                        } else {
                            self.push_units(&lit, r);
                        }
                    }
                    self.glue("\"", lit.close());
                }
            }
        } else {
            self.glue("\"", lit.open());
            self.push_escaped(&lit, 0..text.len());
            self.glue("\"", lit.close());
            return;
        }
        // What HCL cannot read back (a construct only valid in a JSON string)
        // is unknown rather than a parse error of the whole file.
        // Checked as an attribute's value: where a heredoc may stand.
        let written = self.hcl.get(start..).unwrap_or_default();
        if hcl_edit::parser::parse_body(&format!("a = {written}\n")).is_err() {
            self.truncate(start);
            self.placeholder(span, mode);
        }
    }

    fn placeholder(&mut self, span: Span, mode: Mode) {
        if mode == Mode::Key {
            self.glue(&format!("({PLACEHOLDER})"), span);
        } else {
            self.glue(PLACEHOLDER, span);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hcl(src: &str) -> Converted {
        convert(src, &json::parse(src).unwrap())
    }

    #[test]
    fn a_template_alone_is_its_expression_and_maps_back_through_escapes() {
        let src = r#"{"resource": {"aws_iam_role": {"r": {"//": "x",
  "assume_role_policy": "${jsonencode({\"a\" = \"p:g/*\"})}", "name": "n"}}}}"#;
        let c = hcl(src);
        assert!(
            c.hcl
                .contains(r#"assume_role_policy = jsonencode({"a" = "p:g/*"})"#),
            "{}",
            c.hcl
        );
        assert!(!c.hcl.contains("name"), "{}", c.hcl);
        let at = c.hcl.find(r#""p:g/*""#).unwrap();
        let m = SpanMap::new(&c.map).span(Span::new(at, at + 7));
        assert_eq!(&src[m.start..m.end], r#"\"p:g/*\""#);
        assert!(hcl_edit::parser::parse_body(&c.hcl).is_ok());
    }

    #[test]
    fn blocks_may_be_arrays_and_templates_with_text_stay_templates() {
        let src = r#"{"data": {"aws_iam_policy_document": {"t": [{"statement": [
  {"condition": {"test": "StringLike", "variable": "a", "values": ["x:${var.p}:\"y\""]}},
  {"effect": "Allow"}]}]}},
  "locals": [{"k": {"${var.k}": 1, "b": [true, null, 2]}}],
  "variable": {"p": {"type": "string", "default": "v"}}}"#;
        let c = hcl(src);
        let body =
            hcl_edit::parser::parse_body(&c.hcl).unwrap_or_else(|e| panic!("{e}\n{}", c.hcl));
        assert_eq!(body.get_blocks("data").count(), 1);
        assert!(c.hcl.contains(r#""x:${var.p}:\"y\"""#), "{}", c.hcl);
        assert!(c.hcl.contains("default = \"v\""), "{}", c.hcl);
        assert!(!c.hcl.contains("type"), "{}", c.hcl);
        assert!(c.errors.is_empty());
    }

    #[test]
    fn a_broken_template_is_an_error_at_its_place() {
        let src = r#"{"locals": {"x": "a ${ b"}}"#;
        let c = hcl(src);
        assert_eq!(c.errors.len(), 1);
        assert!(c.hcl.contains(PLACEHOLDER));
        assert!(hcl_edit::parser::parse_body(&c.hcl).is_ok());
    }
}
