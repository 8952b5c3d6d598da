//! Text for a terminal or a CI log. Token claims and headers, policy values, file
//! names, URLs and certificate names come from whoever wrote the input; a raw
//! control character among them (ESC, BEL, CR, BS, …) or a bidirectional override
//! would let a merge request rewrite what the job log shows. Human output passes
//! every such character through [`escape_char`] (`ESC` is shown as `\u{1b}`), keeps
//! the layout's own newlines and tabs, and keeps colour codes only where the
//! renderer made them ([`keep_sgr`], on a terminal). JSON output keeps its escapes
//! (serde_json) and [`json`] adds `\u` escapes for the few characters JSON allows
//! raw but a terminal acts on (DEL, C1 controls, bidi controls).

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

/// Whether `c` must not reach a terminal as it is: C0 controls (but `\n` and `\t`,
/// which [`layout`] keeps), DEL, C1 controls, the bidirectional embeddings,
/// overrides, isolates and marks, and the Unicode line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}'
        | '\u{b}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// Whether `c` is shown escaped by [`inline`]: the unsafe ones, and line breaks
/// and tabs, which inside a value would forge a line of the report.
pub fn is_unsafe_inline(c: char) -> bool {
    is_unsafe(c) || c == '\n' || c == '\t'
}

/// Appends the visible escape of `c`: `\u{1b}` (Rust's notation; hexadecimal, no padding).
pub fn escape_char(c: char, out: &mut String) {
    use std::fmt::Write as _;
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// The visible escape of `c` as a new string.
pub fn escaped(c: char) -> String {
    let mut s = String::new();
    escape_char(c, &mut s);
    s
}

fn escape_with(s: &str, unsafe_char: fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = s.find(unsafe_char) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if unsafe_char(c) {
            escape_char(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` with every unsafe character escaped; newlines and tabs are kept (layout).
pub fn layout(s: &str) -> Cow<'_, str> {
    escape_with(s, is_unsafe)
}

/// `s` as one line of a report: unsafe characters, newlines and tabs escaped.
pub fn inline(s: &str) -> Cow<'_, str> {
    escape_with(s, is_unsafe_inline)
}

/// Output of the colour renderer: the SGR sequences it wrote (`ESC [ digits;… m`)
/// are kept, every other unsafe character is escaped. The renderer's inputs are
/// escaped before it sees them, so an SGR sequence here is the renderer's own.
pub fn keep_sgr(s: &str) -> Cow<'_, str> {
    if !s.contains(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s;
    while let Some(i) = rest.find(is_unsafe) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let sgr = tail.strip_prefix("\u{1b}[").and_then(|params| {
            let n = params
                .bytes()
                .take_while(|b| b.is_ascii_digit() || *b == b';')
                .count();
            (params.as_bytes().get(n) == Some(&b'm')).then_some(2 + n + 1)
        });
        match sgr {
            Some(len) => {
                out.push_str(&tail[..len]);
                rest = &tail[len..];
            }
            None => {
                let c = tail.chars().next().unwrap_or('\u{fffd}');
                escape_char(c, &mut out);
                rest = &tail[c.len_utf8()..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Pretty JSON with the characters JSON allows raw but a terminal acts on (DEL, C1
/// controls, bidi controls, line separators) written as `\u` escapes. Every one of
/// them is outside ASCII punctuation, so it can only stand inside a string, where
/// the escape means the same character.
pub fn json<T: Serialize + ?Sized>(value: &T) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    if !text.contains(is_unsafe) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// A human report being written: everything written through [`fmt::Write`] or
/// [`Terminal::push_str`] is escaped with [`layout`]; the finding renderer's output,
/// which carries its own colour codes, goes in through [`Terminal::push_rendered`].
#[derive(Debug, Default)]
pub struct Terminal {
    buf: String,
    color: bool,
}

impl Terminal {
    pub fn new(color: bool) -> Terminal {
        Terminal {
            buf: String::new(),
            color,
        }
    }

    /// Appends text from anywhere, escaped.
    pub fn push_str(&mut self, s: &str) {
        self.buf.push_str(&layout(s));
    }

    /// Appends a rendered finding (`human::finding`): with colour, its SGR codes
    /// are kept; anything else unsafe is still escaped.
    pub fn push_rendered(&mut self, s: &str) {
        if self.color {
            self.buf.push_str(&keep_sgr(s));
        } else {
            self.buf.push_str(&layout(s));
        }
    }

    pub fn into_string(self) -> String {
        self.buf
    }
}

impl fmt::Write for Terminal {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn every_unsafe_class_is_escaped_and_layout_is_kept() {
        let raw = "a\u{1b}[2Jb\u{7}c\rd\u{8}e\u{0}f\u{7f}g\u{9b}h\u{202e}i\u{2066}j\n\tk";
        let out = layout(raw);
        assert_eq!(
            out,
            "a\\u{1b}[2Jb\\u{7}c\\u{d}d\\u{8}e\\u{0}f\\u{7f}g\\u{9b}h\\u{202e}i\\u{2066}j\n\tk"
        );
        assert_eq!(inline("x\ny\tz"), "x\\u{a}y\\u{9}z");
        assert!(matches!(layout("plain ✓ 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn escaping_is_idempotent() {
        let once = layout("\u{1b}\u{202e}\r").into_owned();
        assert_eq!(layout(&once), once);
        assert_eq!(inline(&once), once);
    }

    #[test]
    fn colour_codes_survive_only_as_sgr() {
        let s = "\u{1b}[31mred\u{1b}[0m \u{1b}]0;title\u{7} \u{1b}[2J \u{1b}[";
        assert_eq!(
            keep_sgr(s),
            "\u{1b}[31mred\u{1b}[0m \\u{1b}]0;title\\u{7} \\u{1b}[2J \\u{1b}["
        );
    }

    #[test]
    fn json_escapes_what_serde_json_leaves_raw() {
        let out = json(&serde_json::json!({"v": "a\u{7f}\u{85}\u{202d}\u{1b}"}));
        assert!(out.contains(r#""a\u007f\u0085\u202d\u001b""#), "{out}");
        let back: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(back["v"], "a\u{7f}\u{85}\u{202d}\u{1b}");
    }

    #[test]
    fn terminal_escapes_what_is_written_and_keeps_rendered_colour() {
        let mut t = Terminal::new(true);
        let value = "x\u{1b}[2Ky";
        let _ = writeln!(t, "sub {value}");
        t.push_rendered("\u{1b}[1mbold\u{1b}[0m\u{7}");
        assert_eq!(
            t.into_string(),
            "sub x\\u{1b}[2Ky\n\u{1b}[1mbold\u{1b}[0m\\u{7}"
        );
        let mut t = Terminal::new(false);
        t.push_rendered("\u{1b}[1m");
        assert_eq!(t.into_string(), "\\u{1b}[1m");
    }
}
