//! `oidc-doctor explain`: from pasted AWS error text (or a rule name) to the
//! catalogue entries that explain it.
//!
//! Pure: no I/O. Matching order — a rule name; else every catalogue wording found
//! on some line of the input (SDK and CLI wrappers need no stripping, since a
//! wording is searched *inside* each line, placeholders standing for any text);
//! else the error codes named in the text; else the closest entries by word
//! similarity. Work is bounded: the input is cut at [`MAX_INPUT`] bytes and the
//! similarity search looks at most at [`MAX_WORDS`] distinct words.

pub mod catalogue;

pub use catalogue::{CATALOGUE, Cause, Entry};

use crate::rules;

/// Input beyond this many bytes is ignored (a pasted CI log rarely needs more
/// to show its error, and matching stays fast).
pub const MAX_INPUT: usize = 1 << 20;

/// Distinct words of the input the similarity search compares (the first ones).
pub const MAX_WORDS: usize = 400;

/// A placeholder may stand for at most this many characters of one line.
const MAX_GAP: usize = 4096;

/// How many entries "closest" proposes.
const CLOSEST: usize = 3;

/// What the input was recognised as.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// A rule name; `summary` is `None` for a pending check rule.
    Rule {
        name: &'static str,
        summary: Option<&'static str>,
    },
    /// A catalogue wording was found in the text.
    Message,
    /// Only the error code(s) were recognised, not the message.
    Code { codes: Vec<&'static str> },
    /// Nothing matched; the entries are the closest by word similarity.
    /// `rule` is a rule name the input looks like a misspelling of.
    Closest { rule: Option<&'static str> },
}

impl Query {
    pub fn kind(&self) -> &'static str {
        match self {
            Query::Rule { .. } => "rule",
            Query::Message => "message",
            Query::Code { .. } => "code",
            Query::Closest { .. } => "closest",
        }
    }
}

/// One catalogue entry the input maps to.
#[derive(Debug, Clone)]
pub struct Match {
    pub entry: &'static Entry,
    /// Certain: the wording was found, or the entry lists the rule asked for.
    /// False for code-only and closest matches.
    pub exact: bool,
    /// The 1-based input line the wording was found on.
    pub line: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Explanation {
    pub query: Query,
    pub matches: Vec<Match>,
    /// The input was longer than [`MAX_INPUT`] and was cut.
    pub truncated: bool,
}

/// Explains `text`; `None` when it is empty or blank.
pub fn explain(text: &str) -> Option<Explanation> {
    let (text, truncated) = cap(text);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    let (query, matches) = classify(trimmed);
    Some(Explanation {
        query,
        matches,
        truncated,
    })
}

/// The first [`MAX_INPUT`] bytes, cut at a character boundary.
fn cap(text: &str) -> (&str, bool) {
    if text.len() <= MAX_INPUT {
        return (text, false);
    }
    let mut end = MAX_INPUT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

fn classify(text: &str) -> (Query, Vec<Match>) {
    if let Some(name) = rule_name(text) {
        let summary = rules::by_name(name).map(|r| r.summary);
        let matches = entries_listing(name, true);
        return (Query::Rule { name, summary }, matches);
    }
    let found = by_message(text);
    if !found.is_empty() {
        return (Query::Message, found);
    }
    let codes = codes_in(text);
    if !codes.is_empty() {
        let words = words(text);
        let mut matches: Vec<(f64, usize, &'static Entry)> = CATALOGUE
            .iter()
            .enumerate()
            .filter(|(_, e)| codes.contains(&e.code))
            .map(|(i, e)| (similarity(&words, e), i, e))
            .collect();
        matches.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let matches = matches
            .into_iter()
            .map(|(_, _, entry)| Match {
                entry,
                exact: false,
                line: None,
            })
            .collect();
        return (Query::Code { codes }, matches);
    }
    let rule = misspelt_rule(text);
    let mut matches = rule.map(|r| entries_listing(r, false)).unwrap_or_default();
    if matches.is_empty() {
        matches = closest(text);
    }
    (Query::Closest { rule }, matches)
}

/// The registered rule `text` names exactly.
fn rule_name(text: &str) -> Option<&'static str> {
    rules::ALL.iter().map(|r| r.name).find(|n| *n == text)
}

/// A single kebab-case word within a few edits of a rule name.
fn misspelt_rule(text: &str) -> Option<&'static str> {
    if text.len() > 64 || text.contains(char::is_whitespace) || !text.contains('-') {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    rules::ALL
        .iter()
        .map(|r| r.name)
        .map(|n| (strsim::levenshtein(&lower, n), n))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, n)| n)
}

/// Entries whose causes name `rule`, in catalogue order.
pub fn entries_listing(rule: &str, exact: bool) -> Vec<Match> {
    CATALOGUE
        .iter()
        .filter(|e| e.causes.iter().any(|c| c.rules.contains(&rule)))
        .map(|entry| Match {
            entry,
            exact,
            line: None,
        })
        .collect()
}

/// Entries whose message or an alternate wording occurs on a line of `text`,
/// ordered by the first line they occur on, then catalogue order.
fn by_message(text: &str) -> Vec<Match> {
    let unescaped = unescape(text);
    // Compiled once: per entry, the fragments of each wording.
    let compiled: Vec<Vec<Vec<String>>> = CATALOGUE
        .iter()
        .map(|e| wordings(e).map(fragments).collect())
        .collect();
    let mut found: Vec<(usize, usize, &'static Entry)> = Vec::new();
    for (n, raw) in unescaped.lines().enumerate() {
        let line = normalise(raw);
        if line.is_empty() {
            continue;
        }
        let mut on_line: Vec<(usize, &'static Entry)> = CATALOGUE
            .iter()
            .enumerate()
            .filter(|(_, e)| !found.iter().any(|f| f.2.id == e.id))
            .filter(|(i, _)| compiled[*i].iter().any(|w| matches_wording(&line, w)))
            .filter(|(_, e)| !needs_code(e) || line.contains(&e.code.to_ascii_lowercase()))
            .collect();
        // A wording matched only through its code (placeholder-led) yields to
        // a precise wording on the same line.
        if on_line.iter().any(|(_, e)| !needs_code(e)) {
            on_line.retain(|(_, e)| !needs_code(e));
        }
        found.extend(on_line.into_iter().map(|(i, e)| (n + 1, i, e)));
    }
    found.sort_by_key(|f| (f.0, f.1));
    found
        .into_iter()
        .map(|(line, _, entry)| Match {
            entry,
            exact: true,
            line: Some(line),
        })
        .collect()
}

fn wordings(e: &'static Entry) -> impl Iterator<Item = &'static str> {
    std::iter::once(e.message).chain(e.alternates.iter().copied())
}

/// An entry whose message starts with a placeholder has a short, generic
/// literal part; it only counts next to its error code.
fn needs_code(e: &Entry) -> bool {
    e.message.starts_with('{')
}

/// Whether the literal parts of a wording ([`fragments`]) occur in `line` in
/// order, each placeholder spanning at most [`MAX_GAP`] bytes. `line` is normalised.
fn matches_wording(line: &str, fragments: &[String]) -> bool {
    if fragments.is_empty() {
        return false;
    }
    let mut pos = 0;
    for (i, f) in fragments.iter().enumerate() {
        let Some(at) = line.get(pos..).and_then(|rest| rest.find(f.as_str())) else {
            return false;
        };
        if i > 0 && at > MAX_GAP {
            return false;
        }
        pos += at + f.len();
    }
    true
}

/// The normalised literal parts of a wording between `{placeholders}`; the
/// final full stop is optional in pasted text, so it is dropped.
fn fragments(wording: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = wording;
    loop {
        let (lit, after) = match rest.find('{') {
            Some(open) => match rest[open..].find('}') {
                Some(close) => (&rest[..open], Some(&rest[open + close + 1..])),
                None => (rest, None),
            },
            None => (rest, None),
        };
        let lit = normalise(lit);
        if !lit.is_empty() {
            out.push(lit);
        }
        match after {
            Some(a) => rest = a,
            None => break,
        }
    }
    if let Some(last) = out.last_mut() {
        let trimmed = last.trim_end_matches('.').trim_end().to_string();
        *last = trimmed;
    }
    out.retain(|f| !f.is_empty());
    out
}

/// Lower case, typographic quotes made plain, whitespace runs made one space.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '`' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            c => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Undoes the escaping of Debug dumps and JSON logs (`\"`, `\\`, `\n`, `\t`),
/// so `message: Some(\"…\")` and `caused by: …\n\tstatus code` read as pasted.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => {}
            _ => {
                out.push('\\');
                continue;
            }
        }
        chars.next();
    }
    out
}

/// Spellings of the error codes across the CLI and SDKs (the JS and Java SDKs
/// append `Exception`), and the canonical code each stands for.
const CODE_ALIASES: &[(&str, &str)] = &[
    ("accessdenied", "AccessDenied"),
    ("accessdeniedexception", "AccessDenied"),
    ("invalididentitytoken", "InvalidIdentityToken"),
    ("invalididentitytokenexception", "InvalidIdentityToken"),
    ("expiredtoken", "ExpiredTokenException"),
    ("expiredtokenexception", "ExpiredTokenException"),
    ("idpcommunicationerror", "IDPCommunicationError"),
    ("idpcommunicationerrorexception", "IDPCommunicationError"),
    ("idprejectedclaim", "IDPRejectedClaim"),
    ("idprejectedclaimexception", "IDPRejectedClaim"),
    ("validationerror", "ValidationError"),
    ("validationexception", "ValidationError"),
    ("malformedpolicydocument", "MalformedPolicyDocument"),
    (
        "malformedpolicydocumentexception",
        "MalformedPolicyDocument",
    ),
    ("packedpolicytoolarge", "PackedPolicyTooLarge"),
    ("packedpolicytoolargeexception", "PackedPolicyTooLarge"),
    ("regiondisabledexception", "RegionDisabledException"),
    ("regiondisabled", "RegionDisabledException"),
    ("limitexceeded", "LimitExceeded"),
    ("limitexceededexception", "LimitExceeded"),
];

/// The error codes named in `text`, in order of first appearance.
fn codes_in(text: &str) -> Vec<&'static str> {
    let mut codes = Vec::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.len() < 10 || word.len() > 40 {
            continue;
        }
        let lower = word.to_ascii_lowercase();
        if let Some((_, code)) = CODE_ALIASES.iter().find(|(a, _)| *a == lower)
            && !codes.contains(code)
        {
            codes.push(*code);
        }
    }
    codes
}

/// Words too common to say anything about which error is meant.
const STOPWORDS: &[&str] = &[
    "the",
    "and",
    "for",
    "not",
    "with",
    "this",
    "that",
    "from",
    "your",
    "you",
    "was",
    "are",
    "error",
    "occurred",
    "when",
    "calling",
    "operation",
    "status",
    "code",
    "request",
    "service",
    "sts",
    "aws",
    "https",
    "http",
    "com",
    "api",
    "response",
];

/// Distinct lower-case words of at least three characters, camelCase split
/// too (`InvalidIdentityToken` → `invalid`, `identity`, `token`), at most
/// [`MAX_WORDS`].
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in text.split(|c: char| !c.is_alphanumeric()) {
        if out.len() >= MAX_WORDS {
            break;
        }
        for w in std::iter::once(raw.to_string()).chain(camel_parts(raw)) {
            let w = w.to_lowercase();
            if w.chars().count() >= 3
                && w.len() <= 40
                && !STOPWORDS.contains(&w.as_str())
                && !out.contains(&w)
            {
                out.push(w);
            }
        }
    }
    out
}

fn camel_parts(word: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    for c in word.chars() {
        if c.is_uppercase() && !cur.is_empty() && !cur.chars().all(char::is_uppercase) {
            parts.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !parts.is_empty() {
        parts.push(cur);
    }
    parts
}

/// The vocabulary an entry is known by: code, title, wordings.
fn vocabulary(e: &Entry) -> Vec<String> {
    let mut text = format!("{} {} {}", e.code, e.title, e.message);
    for a in e.alternates {
        text.push(' ');
        text.push_str(a);
    }
    words(&text)
}

/// How much of `input` the entry's vocabulary covers: each input word scores
/// 1 for an identical word, its normalised Levenshtein similarity for a close
/// one (≥ 0.75, so typos count), else 0; averaged over the input words.
fn similarity(input: &[String], e: &Entry) -> f64 {
    if input.is_empty() {
        return 0.0;
    }
    let vocab = vocabulary(e);
    let total: f64 = input
        .iter()
        .map(|w| {
            vocab
                .iter()
                .map(|v| {
                    if v == w {
                        1.0
                    } else {
                        strsim::normalized_levenshtein(w, v)
                    }
                })
                .filter(|s| *s >= 0.75)
                .fold(0.0, f64::max)
        })
        .sum();
    total / input.len() as f64
}

/// The [`CLOSEST`] most similar entries; when nothing in the text resembles
/// any entry, the most common failures (the catalogue's first entries).
fn closest(text: &str) -> Vec<Match> {
    let words = words(text);
    let mut scored: Vec<(f64, usize, &'static Entry)> = CATALOGUE
        .iter()
        .enumerate()
        .map(|(i, e)| (similarity(&words, e), i, e))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(CLOSEST)
        .map(|(_, _, entry)| Match {
            entry,
            exact: false,
            line: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<&'static str> {
        explain(text)
            .map(|e| e.matches.iter().map(|m| m.entry.id).collect())
            .unwrap_or_default()
    }

    #[test]
    fn explain_blank_input_is_none() {
        assert!(explain("").is_none());
        assert!(explain(" \n\t ").is_none());
    }

    #[test]
    fn explain_placeholders_stand_for_values() {
        assert_eq!(
            ids(
                "No OpenIDConnect provider found in your account for https://gitlab.example.com/gitlab"
            ),
            ["provider-not-found"]
        );
        assert_eq!(
            ids(
                "Token expired: current date/time 1767230000 must be before the expiration date/time 1767229200"
            ),
            ["expired-token"]
        );
    }

    #[test]
    fn explain_fragments_drop_placeholders_and_final_stop() {
        assert_eq!(fragments("a {x} B. C."), ["a", "b. c"]);
        assert_eq!(fragments("{…}packed size{…}"), ["packed size"]);
    }

    #[test]
    fn explain_unescapes_debug_dumps() {
        assert_eq!(
            unescape(r#"Some(\"x\")\n\tstatus"#),
            "Some(\"x\")\n\tstatus"
        );
        assert_eq!(unescape(r"[\\w+=]"), r"[\w+=]");
        assert_eq!(unescape(r"[\w+=]"), r"[\w+=]");
    }

    #[test]
    fn explain_codes_are_recognised_in_sdk_spellings() {
        assert_eq!(
            codes_in("InvalidIdentityTokenException: nope; AccessDenied"),
            ["InvalidIdentityToken", "AccessDenied"]
        );
    }

    #[test]
    fn explain_a_generic_wording_needs_its_code() {
        let x = explain("my policy says gitlab.com:sub").expect("not blank");
        assert!(x.matches.iter().all(|m| !m.exact), "only a closest guess");
        assert_eq!(
            ids("MalformedPolicyDocument: trust policy must constrain gitlab.com:sub"),
            ["malformed-policy-missing-sub"]
        );
    }

    #[test]
    fn explain_input_is_capped() {
        let big = format!("{}Incorrect token audience", "é".repeat(MAX_INPUT));
        let e = explain(&big).expect("not blank");
        assert!(e.truncated);
        assert!(
            !matches!(e.query, Query::Message),
            "the tail beyond the cap is ignored"
        );
    }

    #[test]
    fn explain_misspelt_rule_name_is_suggested() {
        let e = explain("wildcard-in-exact-operater").expect("not blank");
        assert_eq!(
            e.query,
            Query::Closest {
                rule: Some("wildcard-in-exact-operator")
            }
        );
        assert_eq!(e.matches[0].entry.id, "access-denied");
    }
}
