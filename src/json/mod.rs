//! A strict JSON (RFC 8259) parser that keeps byte spans and duplicate keys.
//!
//! Hand-written on purpose: IAM policy linting needs three things at once that the
//! JSON crates we looked at do not give together — (1) every duplicate object key kept
//! (serde_json keeps only the last), (2) exact byte spans for keys *and* values, and
//! (3) RFC 8259 strictness with no JSONC leniency (comments, trailing commas, single
//! quotes, hex numbers), because IAM rejects those. It also bounds nesting depth so
//! hostile input cannot overflow the stack, and it reports errors with a byte offset
//! that the caller turns into line and column.

pub mod literal;
mod source;

pub use source::{LineCol, SourceText};

/// A half-open byte range `start..end` into the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// A parsed JSON value with the span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number exactly as written (IAM compares condition values as text).
    Number(String),
    String(String),
    Array(Vec<Node>),
    /// Members in source order, duplicates included.
    Object(Vec<Member>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Value {
    /// A short name for messages: "a string", "an object", …
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// A syntax error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// Byte offset where the problem was found.
    pub offset: usize,
    /// Length in bytes of the offending token (at least 1 when there is one).
    pub len: usize,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Deepest nesting accepted. IAM policies nest four or five levels; anything near
/// this limit is hostile or not a policy.
pub const MAX_DEPTH: usize = 64;

/// Parses `src` as one strict JSON value (surrounding whitespace allowed).
pub fn parse(src: &str) -> Result<Node, ParseError> {
    let mut p = Parser {
        src,
        bytes: src.as_bytes(),
        pos: 0,
    };
    if src.starts_with('\u{feff}') {
        return Err(p.error_at(
            0,
            3,
            "the file starts with a byte order mark (U+FEFF); IAM policy JSON must not",
        ));
    }
    p.skip_ws()?;
    if p.pos >= p.bytes.len() {
        return Err(p.error_at(p.pos, 0, "expected a JSON value, found end of input"));
    }
    let node = p.value(0)?;
    p.skip_ws()?;
    if p.pos < p.bytes.len() {
        return Err(p.error_here("unexpected content after the end of the JSON document"));
    }
    Ok(node)
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error_at(&self, offset: usize, len: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            offset,
            len,
        }
    }

    /// An error at the current position covering the current character.
    fn error_here(&self, message: impl Into<String>) -> ParseError {
        let len = self.src[self.pos..]
            .chars()
            .next()
            .map(char::len_utf8)
            .unwrap_or(0);
        self.error_at(self.pos, len, message)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) -> Result<(), ParseError> {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'/' if matches!(self.bytes.get(self.pos + 1), Some(b'/') | Some(b'*')) => {
                    return Err(self.error_at(
                        self.pos,
                        2,
                        "comments are not allowed: IAM reads policies as strict JSON",
                    ));
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(self.error_here(format!(
                "nesting deeper than {MAX_DEPTH} levels; this is not an IAM policy"
            )));
        }
        let start = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b'\'') => {
                return Err(
                    self.error_here("strings must use double quotes (\"), not single quotes")
                );
            }
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => Value::Number(self.number()?),
            Some(b'+') => return Err(self.error_here("a number must not start with `+`")),
            Some(b',') => return Err(self.error_here("expected a value, found `,`")),
            Some(b'}') | Some(b']') => {
                return Err(self.error_here(format!(
                    "expected a value, found `{}`",
                    self.bytes[self.pos] as char
                )));
            }
            Some(_) => return Err(self.unexpected_word("expected a JSON value")),
            None => {
                return Err(self.error_at(
                    self.pos,
                    0,
                    "unexpected end of input; expected a value",
                ));
            }
        };
        Ok(Node {
            value,
            span: Span::new(start, self.pos),
        })
    }

    /// Reports a bare word (e.g. `True`, `undefined`, an unquoted key) as one token.
    fn unexpected_word(&self, what: &str) -> ParseError {
        let rest = &self.src[self.pos..];
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            .collect();
        if word.is_empty() {
            let c = rest.chars().next().unwrap_or(' ');
            return self.error_here(format!("{what}, found `{}`", c.escape_debug()));
        }
        let hint = match word.as_str() {
            "True" | "TRUE" => "; JSON booleans are lowercase: `true`",
            "False" | "FALSE" => "; JSON booleans are lowercase: `false`",
            "None" | "NULL" | "Null" | "undefined" => "; JSON's null is `null`",
            _ => "; strings must be in double quotes",
        };
        self.error_at(
            self.pos,
            word.len(),
            format!("{what}, found `{word}`{hint}"),
        )
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, ParseError> {
        if self.src[self.pos..].starts_with(word) {
            let end = self.pos + word.len();
            let next = self.bytes.get(end).copied();
            if !matches!(next, Some(b) if b.is_ascii_alphanumeric() || b == b'_') {
                self.pos = end;
                return Ok(value);
            }
        }
        Err(self.unexpected_word("expected a JSON value"))
    }

    fn number(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(self.error_at(
                        start,
                        self.pos + 1 - start,
                        "numbers must not have leading zeros",
                    ));
                }
                if matches!(self.peek(), Some(b'x' | b'X')) {
                    return Err(self.error_at(start, 2, "hexadecimal numbers are not JSON"));
                }
            }
            Some(b'1'..=b'9') => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.pos += 1;
                }
            }
            _ => {
                return Err(self.error_at(
                    start,
                    self.pos - start + 1,
                    "invalid number: expected a digit",
                ));
            }
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error_at(
                    start,
                    self.pos - start,
                    "invalid number: expected a digit after `.`",
                ));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error_at(
                    start,
                    self.pos - start,
                    "invalid number: expected a digit in the exponent",
                ));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        Ok(self.src[start..self.pos].to_string())
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let start = self.pos;
        let digits = self.bytes.get(self.pos..self.pos + 4);
        let parsed = digits
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok());
        match parsed {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(self.error_at(
                start.saturating_sub(2),
                2,
                "invalid \\u escape: expected four hex digits",
            )),
        }
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error_at(open, 1, "unterminated string: missing closing `\"`"));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    let esc_start = self.pos;
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.error_at(
                            open,
                            1,
                            "unterminated string: missing closing `\"`",
                        ));
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                    return Err(self.error_at(
                                        esc_start,
                                        6,
                                        "unpaired surrogate in \\u escape",
                                    ));
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.error_at(
                                        esc_start,
                                        12,
                                        "unpaired surrogate in \\u escape",
                                    ));
                                }
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            } else if (0xDC00..0xE000).contains(&hi) {
                                None
                            } else {
                                char::from_u32(hi)
                            };
                            match c {
                                Some(c) => out.push(c),
                                None => {
                                    return Err(self.error_at(
                                        esc_start,
                                        6,
                                        "unpaired surrogate in \\u escape",
                                    ));
                                }
                            }
                        }
                        _ => {
                            let len = 1 + self.src[self.pos - 1..]
                                .chars()
                                .next()
                                .map(char::len_utf8)
                                .unwrap_or(1);
                            return Err(self.error_at(
                                esc_start,
                                len,
                                "invalid escape; JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
                            ));
                        }
                    }
                }
                0x00..=0x1f => {
                    let what = match b {
                        b'\n' => "a line break",
                        b'\t' => "a tab",
                        _ => "a control character",
                    };
                    return Err(self.error_at(
                        self.pos,
                        1,
                        format!(
                            "{what} inside a string must be escaped (is a closing `\"` missing?)"
                        ),
                    ));
                }
                _ => {
                    // Copy the run of ordinary characters in one go.
                    let run_start = self.pos;
                    while let Some(c) = self.peek() {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.push_str(&self.src[run_start..self.pos]);
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.pos += 1; // [
        let mut items = Vec::new();
        self.skip_ws()?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws()?;
            items.push(self.value(depth + 1)?);
            self.skip_ws()?;
            match self.peek() {
                Some(b',') => {
                    let comma = self.pos;
                    self.pos += 1;
                    self.skip_ws()?;
                    if self.peek() == Some(b']') {
                        return Err(self.error_at(
                            comma,
                            1,
                            "trailing comma before `]` is not allowed in JSON",
                        ));
                    }
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                None => {
                    return Err(self.error_at(
                        self.pos,
                        0,
                        "unexpected end of input; expected `,` or `]`",
                    ));
                }
                _ => return Err(self.error_here("expected `,` or `]` after an array element")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.pos += 1; // {
        let mut members = Vec::new();
        self.skip_ws()?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws()?;
            let key_start = self.pos;
            let key = match self.peek() {
                Some(b'"') => self.string()?,
                Some(b'\'') => {
                    return Err(self
                        .error_here("object keys must use double quotes (\"), not single quotes"));
                }
                Some(b'}') => return Err(self.error_here("expected an object key, found `}`")),
                None => {
                    return Err(self.error_at(
                        self.pos,
                        0,
                        "unexpected end of input; expected an object key",
                    ));
                }
                Some(_) => {
                    return Err(self.unexpected_word("expected an object key in double quotes"));
                }
            };
            let key_span = Span::new(key_start, self.pos);
            self.skip_ws()?;
            match self.peek() {
                Some(b':') => self.pos += 1,
                None => {
                    return Err(self.error_at(
                        self.pos,
                        0,
                        "unexpected end of input; expected `:`",
                    ));
                }
                _ => return Err(self.error_here("expected `:` after the object key")),
            }
            self.skip_ws()?;
            let value = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_span,
                value,
            });
            self.skip_ws()?;
            match self.peek() {
                Some(b',') => {
                    let comma = self.pos;
                    self.pos += 1;
                    self.skip_ws()?;
                    if self.peek() == Some(b'}') {
                        return Err(self.error_at(
                            comma,
                            1,
                            "trailing comma before `}` is not allowed in JSON",
                        ));
                    }
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                None => {
                    return Err(self.error_at(
                        self.pos,
                        0,
                        "unexpected end of input; expected `,` or `}`",
                    ));
                }
                Some(b'"') => return Err(self.error_here("expected `,` between object members")),
                _ => return Err(self.error_here("expected `,` or `}` after an object member")),
            }
        }
    }
}

/// `parent` + `/` + the escaped `token`, built in one allocation: the policy model
/// makes a pointer for every value it reads, and `format!` costs several times this.
pub fn child_pointer(parent: &str, token: &str) -> String {
    let mut out = String::with_capacity(parent.len() + 1 + token.len());
    out.push_str(parent);
    out.push('/');
    if token.contains(['~', '/']) {
        for c in token.chars() {
            match c {
                '~' => out.push_str("~0"),
                '/' => out.push_str("~1"),
                c => out.push(c),
            }
        }
    } else {
        out.push_str(token);
    }
    out
}

/// `parent` + `/` + an array index, without the formatting machinery.
pub fn index_pointer(parent: &str, index: usize) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = index;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(parent.len() + 1 + digits.len() - at);
    out.push_str(parent);
    out.push('/');
    for &d in &digits[at..] {
        out.push(d as char);
    }
    out
}

/// Escapes one reference token for an RFC 6901 JSON pointer.
pub fn pointer_token(token: &str) -> String {
    if !token.contains(['~', '/']) {
        return token.to_string(); // the usual case: nothing to escape
    }
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests;
