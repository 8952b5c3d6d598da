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

/// The byte offset of the first character of `s` that `unsafe_char` (one of
/// [`is_unsafe`], [`is_unsafe_inline`]) accepts: `s.find(unsafe_char)`, faster.
/// Every such character begins with an ASCII control, DEL, or one of three
/// two-byte prefixes — 0xC2 0x80–0x9F (C1 controls), 0xD8 0x9C (U+061C), 0xE2
/// 0x80–0x81 (U+2000–U+207F: bidi controls, line separators) — so bytes are
/// compared and a character decoded only there (no prefix starts with a
/// continuation byte, so a match is a character boundary; the box drawing of a
/// report, 0xE2 0x94–0x95, is passed over without decoding). Every line of
/// every human report, and every JSON string, passes through here.
pub fn find_unsafe(s: &str, unsafe_char: fn(char) -> bool) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut from = 0;
    loop {
        from = skip_plain_words(bytes, from);
        let at = from
            + bytes
                .get(from..)?
                .iter()
                .position(|&b| b < 0x20 || b == 0x7f || b == 0xc2 || b == 0xd8 || b == 0xe2)?;
        let second = bytes.get(at + 1).copied().unwrap_or(0);
        let candidate = match bytes.get(at) {
            Some(0xc2) => (0x80..=0x9f).contains(&second),
            Some(0xd8) => second == 0x9c,
            Some(0xe2) => second == 0x80 || second == 0x81,
            _ => true,
        };
        if candidate && s.get(at..)?.chars().next().is_some_and(unsafe_char) {
            return Some(at);
        }
        from = at + 1;
    }
}

/// `from` moved past every following 8-byte word of printable ASCII (0x20–0x7E),
/// decided eight bytes at a time: most of a report is such text.
fn skip_plain_words(bytes: &[u8], mut from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = bytes.get(from..from + 8) {
        let mut array = [0u8; 8];
        array.copy_from_slice(word);
        let x = u64::from_le_bytes(array);
        // A byte below 0x20, or one above 0x7E (its high bit set, or 0x7F
        // carrying into it): the whole-word answers are exact.
        let below = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let above = (x.wrapping_add(ONES) | x) & HIGH;
        if below | above != 0 {
            break;
        }
        from += 8;
    }
    from
}

fn escape_with(s: &str, unsafe_char: fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = find_unsafe(s, unsafe_char) else {
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
    if find_unsafe(s, is_unsafe).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s;
    while let Some(i) = find_unsafe(rest, is_unsafe) {
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
/// controls, bidi controls, line separators) written as `\u` escapes (see
/// [`write_json`]).
pub fn json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and these plain structs always serialise.
    let _ = write_json(value, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes `value` as pretty JSON into `out` as it is serialised (a report of
/// 100,000 findings is never held as one string), with the characters JSON
/// allows raw but a terminal acts on written as `\u` escapes. Every one of them
/// is outside ASCII punctuation, so it can only stand inside a string, where the
/// escape means the same character.
pub fn write_json<T: Serialize + ?Sized, W: std::io::Write>(
    value: &T,
    out: W,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, SafeFormatter::default());
    value.serialize(&mut ser)
}

/// serde_json's pretty layout, plus escapes for [`is_unsafe`] characters in the
/// unescaped fragments of strings (serde_json already escapes C0 controls).
#[derive(Default)]
struct SafeFormatter(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for SafeFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some(at) = find_unsafe(rest, is_unsafe) {
            let (clean, tail) = rest.split_at(at);
            writer.write_all(clean.as_bytes())?;
            let mut chars = tail.chars();
            if let Some(c) = chars.next() {
                write!(writer, "\\u{:04x}", u32::from(c))?;
            }
            rest = chars.as_str();
        }
        writer.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Serialises the items of an iterator as a JSON array, each made only when it
/// is written: a report of 100,000 findings is never held in memory at once
/// (the iterator lints the files as the report is written). Serialised once;
/// a second time it is an empty array.
pub struct Streamed<I>(std::cell::RefCell<Option<I>>);

/// A [`Streamed`] array of `items`.
pub fn streamed<I: Iterator>(items: I) -> Streamed<I> {
    Streamed(std::cell::RefCell::new(Some(items)))
}

impl<I: Iterator<Item = T>, T: Serialize> Serialize for Streamed<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items = self.0.borrow_mut().take();
        serializer.collect_seq(items.into_iter().flatten())
    }
}

/// A value made when it is written: a summary that counts what the
/// [`Streamed`] array before it wrote (struct fields are written in order).
pub struct Lazy<F>(pub F);

impl<T: Serialize, F: Fn() -> T> Serialize for Lazy<F> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.0)().serialize(serializer)
    }
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
    fn find_unsafe_agrees_with_find_on_every_character_of_the_first_planes() {
        for code in (0..0x3_0000u32).chain(0xe_0000..0xe_0100) {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            for pred in [is_unsafe as fn(char) -> bool, is_unsafe_inline] {
                for s in [
                    format!("{c}"),
                    format!("ab\u{e9}{c}x{c}"),
                    format!("\u{2029}{c}"),
                    // Past the eight-byte words of plain text.
                    format!("0123456789abcdefg{c}0123456789{c}"),
                ] {
                    assert_eq!(find_unsafe(&s, pred), s.find(pred), "U+{code:04X} in {s:?}");
                }
            }
        }
    }

    #[test]
    fn plain_words_are_skipped_exactly() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut word = *b"abcdefgh";
                word[pos] = b;
                let plain = (0x20..=0x7e).contains(&b);
                let mut bytes = word.to_vec();
                bytes.extend_from_slice(b"ijklmnop\n");
                assert_eq!(
                    skip_plain_words(&bytes, 0),
                    if plain { 16 } else { 0 },
                    "byte {b:#x} at {pos}"
                );
            }
        }
    }

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
