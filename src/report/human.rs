//! Human output: findings as annotated source snippets (miette), verdicts in words.
//!
//! A finding's snippet is a [`Snippet`]: the lines around its span only, each cut
//! to the output width around the span, with input characters a terminal would act
//! on escaped ([`super::terminal`]). Its cost is proportional to the snippet, not to
//! the file, and no column miette formats can exceed the width (miette's formatter
//! panics on a width past 65,535). The `[path:line:column]` header is exact: the
//! snippet reports the real line and column to miette.

use std::fmt::Write as _;
use std::sync::OnceLock;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use unicode_width::UnicodeWidthChar;

use super::terminal::{self, Terminal};
use crate::finding::{Finding, Location, Severity};
use crate::iam::evaluate::Decision;
use crate::json::SourceText;
use crate::policy::Effect;
use crate::simulate::{CheckStatus, ClaimsOrigin, SimulateReport};

/// Widest line a finding's snippet produces, gutter and label included, when stdout
/// is not a terminal (a CI log): wide enough for a pretty-printed policy line, narrow
/// enough to read in a job log. On a narrower terminal its width is used.
pub const SNIPPET_WIDTH: usize = 120;

/// Lines of one span shown in its snippet: a statement spread over more lines is
/// shown from its first line, and the label says where the span ends.
pub const SNIPPET_SPAN_LINES: usize = 8;

/// Characters taken from one source line for a snippet, zero-width ones included
/// (a line of combining marks has no display width to stop at): four per column.
pub const SNIPPET_LINE_CHARS: usize = 4 * SNIPPET_WIDTH;

/// Characters of a finding's message, and of its help, shown in human output; a
/// message quoting a megabyte value is cut here (JSON output carries it whole).
pub const MESSAGE_MAX_CHARS: usize = 4_096;

/// Narrowest snippet width used, however narrow the terminal says it is.
const MIN_WIDTH: usize = 40;
/// Lines of context around a span (miette's default).
const CONTEXT_LINES: usize = 1;
/// Columns of a tab (miette's default, set explicitly so the cut agrees with it).
const TAB_WIDTH: usize = 4;
/// Width miette wraps messages and help to.
const WRAP_WIDTH: usize = 100;

/// Rendering options.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

/// The output width: [`SNIPPET_WIDTH`], or the terminal's when stdout is a narrower terminal.
fn output_width() -> usize {
    static WIDTH: OnceLock<usize> = OnceLock::new();
    *WIDTH.get_or_init(|| {
        use std::io::IsTerminal as _;
        let stdout = std::io::stdout();
        if !stdout.is_terminal() {
            return SNIPPET_WIDTH;
        }
        terminal_size::terminal_size_of(&stdout)
            .map(|(w, _)| usize::from(w.0))
            .filter(|w| *w > 0)
            .map_or(SNIPPET_WIDTH, |w| w.clamp(MIN_WIDTH, SNIPPET_WIDTH))
    })
}

/// Renders one finding; with the file's source, as a snippet pointing at the place.
/// Everything from the input is escaped; with colour, the only escape sequences
/// in the result are miette's own.
pub fn finding(f: &Finding, source: Option<&SourceText>, style: Style) -> String {
    finding_at_width(f, source, style, output_width())
}

fn finding_at_width(
    f: &Finding,
    source: Option<&SourceText>,
    style: Style,
    width: usize,
) -> String {
    let width = width.max(MIN_WIDTH);
    let severity = match f.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    };
    let mut diag = MietteDiagnostic::new(capped(&f.message))
        .with_code(f.rule)
        .with_severity(severity);
    let mut help = f.help.clone();
    if let Some(e) = &f.aws_error {
        help.push_str(&format!("\nAWS: {e}"));
    }
    if let Some(ex) = &f.example {
        help.push_str(&format!("\nexample: {ex}"));
    }
    if !help.is_empty() {
        diag = diag.with_help(capped(&help));
    }
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WRAP_WIDTH.min(width))
        .with_links(false)
        .with_context_lines(CONTEXT_LINES)
        .tab_width(TAB_WIDTH);
    let mut out = String::new();
    let snippet = match (&f.location, source) {
        (Some(loc), Some(src)) => loc.span.map(|span| Snippet::new(loc, span, src, width)),
        _ => None,
    };
    let rendered = match snippet {
        Some(snippet) => {
            let diag = diag.with_label(snippet.label());
            handler.render_report(
                &mut out,
                &WithSnippet {
                    diag: &diag,
                    snippet: &snippet,
                },
            )
        }
        None => handler.render_report(&mut out, &diag),
    };
    if rendered.is_err() {
        out = plain(f);
    }
    let mut out = if style.color {
        terminal::keep_sgr(&out).into_owned()
    } else {
        terminal::layout(&out).into_owned()
    };
    // IaC sources: the resource, and places in other declarations (a provider's
    // client IDs for an audience drift, …). Same-file related places of policy
    // JSON (an earlier duplicate key) are already clear from the message.
    if let Some(loc) = &f.location {
        let mut t = Terminal::new(false);
        if let Some(r) = &loc.resource {
            let _ = writeln!(t, "  resource: {r}");
        }
        for rel in &f.related {
            if rel.path != loc.path || rel.resource.is_some() {
                let _ = write!(t, "  see also: {}:{}:{}", rel.path, rel.line, rel.column);
                match &rel.resource {
                    Some(r) => {
                        let _ = writeln!(t, " ({r})");
                    }
                    None => {
                        let _ = writeln!(t);
                    }
                }
            }
        }
        out.push_str(&t.into_string());
    }
    out
}

/// A diagnostic with its snippet as source code. `miette::Report::new(…)
/// .with_source_code(…)` does the same but builds miette's default handler for
/// every report (environment variables, terminal queries): at 200,000 findings
/// that was a fifth of the human report's time.
struct WithSnippet<'a> {
    diag: &'a MietteDiagnostic,
    snippet: &'a Snippet,
}

impl std::fmt::Debug for WithSnippet<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.diag, f)
    }
}

impl std::fmt::Display for WithSnippet<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.diag, f)
    }
}

impl std::error::Error for WithSnippet<'_> {}

impl miette::Diagnostic for WithSnippet<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.diag.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.diag.severity()
    }
    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.diag.help()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.diag.labels()
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.snippet)
    }
}

/// A message or help text for miette: escaped, and cut at [`MESSAGE_MAX_CHARS`].
fn capped(text: &str) -> String {
    let mut s = match text.char_indices().nth(MESSAGE_MAX_CHARS) {
        Some((i, _)) => {
            let (shown, rest) = text.split_at_checked(i).unwrap_or((text, ""));
            let rest = rest.chars().count();
            format!("{shown}… ({rest} more characters; --format json has the whole text)")
        }
        None => text.to_string(),
    };
    if terminal::find_unsafe(&s, terminal::is_unsafe).is_some() {
        s = terminal::layout(&s).into_owned();
    }
    s
}

/// The one-line rendering used when miette refuses a finding.
fn plain(f: &Finding) -> String {
    let mut s = format!(
        "{}[{}]: {}\n",
        f.severity.as_str(),
        f.rule,
        terminal::inline(&capped(&f.message))
    );
    if let Some(l) = &f.location {
        let _ = writeln!(
            s,
            "  --> {}:{}:{}",
            terminal::inline(&l.path),
            l.line,
            l.column
        );
    }
    if !f.help.is_empty() {
        let _ = writeln!(s, "  help: {}", terminal::layout(&capped(&f.help)));
    }
    s
}

/// The part of a file miette is shown for one finding: a few lines around the span,
/// each cut around the span to the output width (`…` marks a cut) and escaped. It
/// is miette's [`SourceCode`]: offsets are into [`Snippet::text`], lines and the
/// header's column are the file's.
#[derive(Debug)]
struct Snippet {
    /// The file's path, escaped.
    name: String,
    /// The shown lines, each followed by `\n`.
    text: String,
    lines: Vec<SnippetLine>,
    /// The label's byte range in `text`.
    label: (usize, usize),
    label_text: String,
    /// 0-based line and column (in characters) of the span's start in the file.
    at: (usize, usize),
}

#[derive(Debug, Clone, Copy)]
struct SnippetLine {
    /// Byte range in `Snippet::text`, without the `\n`.
    start: usize,
    end: usize,
    /// 0-based line number in the file.
    number: usize,
}

/// One source line cut for the snippet.
struct Cut {
    text: String,
    /// Where the requested byte offsets of the line landed in `text`, with their
    /// display columns; `None` when outside the shown part.
    marks: [Option<(usize, usize)>; 2],
    /// End of the shown source text in `text` (before a trailing `…`), and its column.
    content_end: (usize, usize),
}

/// Display width of a character as miette counts it.
fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Display width of a character as it is shown (escaped when unsafe); tabs count
/// [`TAB_WIDTH`] (their most).
fn shown_width(c: char) -> usize {
    if matches!(c, ' '..='~') {
        1 // printable ASCII: most of every snippet
    } else if c == '\t' {
        TAB_WIDTH
    } else if terminal::is_unsafe(c) {
        terminal::escaped(c).len()
    } else {
        char_width(c)
    }
}

/// Columns of `s` as shown, or `None` past `limit` columns or past half of
/// [`SNIPPET_LINE_CHARS`] characters (a line of zero-width characters).
fn width_within(s: &str, limit: usize) -> Option<usize> {
    width_within_with(s, limit, true)
}

/// [`width_within`]; `ascii_shortcut`: printable ASCII (most snippets) is a
/// column per byte, decided on the bytes — the same result, which the tests
/// check against `false`.
fn width_within_with(s: &str, limit: usize, ascii_shortcut: bool) -> Option<usize> {
    let half = SNIPPET_LINE_CHARS / 2;
    let probe = s.len().min(limit.min(half) + 1);
    if ascii_shortcut
        && s.as_bytes()
            .get(..probe)
            .is_some_and(|b| b.iter().all(|c| (b' '..=b'~').contains(c)))
    {
        return (s.len() <= limit && s.len() <= half).then_some(s.len());
    }
    let mut cols = 0;
    for (n, c) in s.chars().enumerate() {
        cols += shown_width(c);
        if cols > limit || n >= SNIPPET_LINE_CHARS / 2 {
            return None;
        }
    }
    Some(cols)
}

/// Where the shown part of `line` starts so that byte `anchor` is in view: the
/// line's start when the whole line fits the budget or the anchor is within its
/// first two thirds; else a third of the budget before the anchor, or up to two
/// fifths when the line ends soon after it (the rest leaves room for the label).
/// The work is bounded by the budget, not by the line.
fn cut_start(line: &str, anchor: usize, budget: usize) -> usize {
    if anchor == 0
        || width_within(line, budget).is_some()
        || width_within(line.get(..anchor).unwrap_or(""), budget * 2 / 3).is_some()
    {
        return 0;
    }
    let lead = match width_within(line.get(anchor..).unwrap_or(""), budget) {
        Some(tail) => (budget / 3).max(budget.saturating_sub(tail + 2)),
        None => budget / 3,
    }
    .min(budget * 2 / 5);
    let mut cols = 0;
    let mut at = anchor;
    for (back, (i, c)) in line
        .get(..anchor)
        .unwrap_or("")
        .char_indices()
        .rev()
        .enumerate()
    {
        let w = shown_width(c);
        if cols + w > lead || back >= SNIPPET_LINE_CHARS / 3 {
            break;
        }
        cols += w;
        at = i;
    }
    at
}

/// Cuts `line` (one source line without its break) to `budget` columns around
/// `anchor` (a byte offset in it), mapping the byte offsets in `marks`.
fn cut_line(line: &str, anchor: Option<usize>, marks: [Option<usize>; 2], budget: usize) -> Cut {
    cut_line_with(line, anchor, marks, budget, true)
}

/// [`cut_line`]; `ascii_run`: the leading run of printable ASCII that fits is
/// copied at once (a column per byte) instead of character by character — the
/// same result, which the tests check against `false`.
fn cut_line_with(
    line: &str,
    anchor: Option<usize>,
    marks: [Option<usize>; 2],
    budget: usize,
    ascii_run: bool,
) -> Cut {
    let budget = budget.max(8);
    let start = anchor.map_or(0, |a| cut_start(line, a.min(line.len()), budget));
    let mut text = String::new();
    let mut col = 0;
    if start > 0 {
        text.push('…');
        col = 1;
    }
    let mut out_marks = [None, None];
    let mut end = start;
    let mut cut_right = false;
    let rest = line.get(start..).unwrap_or("");
    // Characters that fit whatever follows them: one column each, and one
    // column kept for the `…`.
    let run = if ascii_run {
        let fits = (budget - 1).saturating_sub(col).min(SNIPPET_LINE_CHARS);
        rest.bytes()
            .take(fits)
            .take_while(|b| (b' '..=b'~').contains(b))
            .count()
    } else {
        0
    };
    if run > 0 {
        for (out, m) in out_marks.iter_mut().zip(marks) {
            if let Some(m) = m.filter(|m| (start..start + run).contains(m)) {
                *out = Some((text.len() + (m - start), col + (m - start)));
            }
        }
        text.push_str(rest.get(..run).unwrap_or(""));
        col += run;
        end = start + run;
    }
    for (taken, (i, c)) in rest
        .get(run..)
        .unwrap_or("")
        .char_indices()
        .enumerate()
        .map(|(n, (i, c))| (n + run, (i + run, c)))
    {
        let at = start + i;
        for (out, m) in out_marks.iter_mut().zip(marks) {
            if m == Some(at) {
                *out = Some((text.len(), col));
            }
        }
        let w = if c == '\t' {
            TAB_WIDTH - col % TAB_WIDTH
        } else {
            shown_width(c)
        };
        // Keep one column for the `…` unless this is the line's last character.
        let is_last = at + c.len_utf8() == line.len();
        let room = if is_last { budget } else { budget - 1 };
        if col + w > room || taken >= SNIPPET_LINE_CHARS {
            cut_right = true;
            break;
        }
        if terminal::is_unsafe(c) {
            terminal::escape_char(c, &mut text);
        } else {
            text.push(c);
        }
        col += w;
        end = at + c.len_utf8();
    }
    if !cut_right {
        for (out, m) in out_marks.iter_mut().zip(marks) {
            if m == Some(line.len()) {
                *out = Some((text.len(), col));
            }
        }
    }
    let content_end = (text.len(), col);
    if cut_right && end < line.len() {
        text.push('…');
    }
    Cut {
        text,
        marks: out_marks,
        content_end,
    }
}

/// The byte offset in `text` at display column `target` or before it.
fn offset_at_column(text: &str, from: usize, from_col: usize, target: usize) -> usize {
    let mut col = from_col;
    for (i, c) in text.get(from..).unwrap_or("").char_indices() {
        let w = if c == '\t' {
            TAB_WIDTH - col % TAB_WIDTH
        } else {
            char_width(c)
        };
        if col + w > target {
            return from + i;
        }
        col += w;
    }
    text.len()
}

/// The display column of byte `to` of `text`, counting from byte `from` at `from_col`.
fn offset_column(text: &str, from: usize, from_col: usize, to: usize) -> usize {
    let mut col = from_col;
    for c in text.get(from..to).unwrap_or("").chars() {
        col += if c == '\t' {
            TAB_WIDTH - col % TAB_WIDTH
        } else {
            char_width(c)
        };
    }
    col
}

/// Cuts `text` to `max` display columns, ending with `…` when cut.
fn cut_label(text: &str, max: usize) -> String {
    let max = max.max(2);
    let mut out = String::new();
    let mut col = 0;
    for c in text.chars() {
        let w = char_width(c);
        if col + w > max - 1 {
            out.push('…');
            return out;
        }
        out.push(c);
        col += w;
    }
    out
}

/// The largest offset `<= i` on a character boundary of `s`.
fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest offset `>= i` on a character boundary of `s`.
fn ceil_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

impl Snippet {
    fn new(loc: &Location, span: crate::json::Span, src: &SourceText, width: usize) -> Snippet {
        let file = src.text();
        let s = floor_boundary(file, span.start);
        let e = ceil_boundary(file, span.end.max(s));
        let first_line = src.line_index(s);
        let last_line = src.line_index(if e > s {
            floor_boundary(file, e - 1)
        } else {
            s
        });
        let shown_last = last_line.min(first_line + SNIPPET_SPAN_LINES - 1);
        let from = first_line.saturating_sub(CONTEXT_LINES);
        // The empty "line" after a final line break is no line of the file (but
        // is shown when the span is there: the end of the input).
        let mut last_in_file = src.line_count().saturating_sub(1);
        if file.ends_with('\n') {
            last_in_file = last_in_file.saturating_sub(1);
        }
        let to = (shown_last + CONTEXT_LINES)
            .min(last_in_file)
            .max(shown_last);
        let multi = shown_last > first_line;
        let linum_width = (to + 1).to_string().len();
        let gutter = linum_width + 4 + if multi { 4 } else { 0 };
        let budget = width.saturating_sub(gutter);

        let mut text = String::new();
        let mut lines = Vec::with_capacity(to + 1 - from);
        let mut label_start = None;
        let mut label_end = None;
        for number in from..=to {
            let range = src.line_range(number).unwrap_or(file.len()..file.len());
            let line = file.get(range.clone()).unwrap_or("");
            // A byte offset of this line (its break included) in the line's text.
            let local = |o: usize| (o >= range.start).then(|| o.min(range.end) - range.start);
            let (anchor, marks) = if number == first_line {
                (
                    local(s),
                    [
                        local(s),
                        if last_line == first_line {
                            local(e)
                        } else {
                            None
                        },
                    ],
                )
            } else if number == last_line && number <= shown_last {
                (local(e), [None, local(e)])
            } else {
                (None, [None, None])
            };
            let cut = cut_line(line, anchor, marks, budget);
            let base = text.len();
            if number == first_line {
                label_start = Some(cut.marks[0].map_or((base, 0), |(o, c)| (base + o, c)));
            }
            if number == shown_last {
                let (o, c) = cut.marks[1].unwrap_or(cut.content_end);
                label_end = Some((base + o, c));
            }
            text.push_str(&cut.text);
            lines.push(SnippetLine {
                start: base,
                end: text.len(),
                number,
            });
            text.push('\n');
        }
        let (start, start_col) = label_start.unwrap_or((0, 0));
        let (mut end, mut end_col) = label_end.unwrap_or((start, start_col));
        if e == s || end < start {
            end = start;
        }
        let mut label_text = match &loc.pointer {
            Some(p) if !p.is_empty() => p.clone(),
            _ => "here".to_string(),
        };
        if last_line > shown_last {
            let _ = write!(label_text, " (the span goes on to line {})", last_line + 1);
        }
        let label_text = terminal::inline(&label_text).into_owned();
        let label_width: usize = label_text.chars().map(char_width).sum();
        // The label hangs from the middle of the underline: keep the underline short
        // enough for the label to fit, else cut the label.
        let room = if multi {
            budget.saturating_sub(4)
        } else {
            let mid = |end_col: usize| (start_col + end_col.max(start_col + 1)) / 2;
            let want = label_width.min(budget / 2);
            let max_mid = budget.saturating_sub(4 + want);
            if end > start && mid(end_col) > max_mid {
                let target = (2 * max_mid).saturating_sub(start_col).max(start_col + 1);
                end = offset_at_column(&text, start, start_col, target)
                    .max(ceil_boundary(&text, start + 1))
                    .min(end);
                end_col = offset_column(&text, start, start_col, end);
            }
            budget.saturating_sub(mid(end_col) + 4)
        };
        let label_text = if label_width > room {
            cut_label(&label_text, room)
        } else {
            label_text
        };
        let at = if src.line_index(s) + 1 == loc.line && loc.column > 0 {
            (loc.line - 1, loc.column - 1)
        } else {
            let lc = src.line_col(s);
            (lc.line - 1, lc.column - 1)
        };
        Snippet {
            name: terminal::inline(&loc.path).into_owned(),
            text,
            lines,
            label: (start, end),
            label_text,
            at,
        }
    }

    fn label(&self) -> LabeledSpan {
        LabeledSpan::new_primary_with_span(
            Some(self.label_text.clone()),
            SourceSpan::from(self.label.0..self.label.1),
        )
    }

    /// Index of the shown line holding byte `offset` of the snippet's text.
    fn line_of(&self, offset: usize) -> usize {
        self.lines
            .partition_point(|l| l.start <= offset)
            .saturating_sub(1)
    }
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset();
        let end = start + span.len();
        if end > self.text.len() || self.lines.is_empty() {
            return Err(MietteError::OutOfBounds);
        }
        let first = self.line_of(start);
        let last = self.line_of(if end > start { end - 1 } else { start });
        let from = first.saturating_sub(context_lines_before);
        let to = (last + context_lines_after).min(self.lines.len() - 1);
        let (Some(from_line), Some(to_line)) = (self.lines.get(from), self.lines.get(to)) else {
            return Err(MietteError::OutOfBounds);
        };
        // Each shown line is followed by `\n` in the text.
        let data_end = (to_line.end + 1).min(self.text.len());
        let data = self
            .text
            .get(from_line.start..data_end)
            .ok_or(MietteError::OutOfBounds)?;
        // miette reads the header's line and column from the contents of the
        // primary label alone: those are the file's. The label is the only span
        // handed to miette, so other spans only need their line.
        let (line, column) = match self.lines.get(self.line_of(self.label.0)) {
            Some(l) if context_lines_before == 0 && l.number == from_line.number => self.at,
            _ => (from_line.number, 0),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data.as_bytes(),
            SourceSpan::from(from_line.start..data_end),
            line,
            column,
            to - from + 1,
        )))
    }
}

pub fn simulate(r: &SimulateReport, style: Style) -> String {
    let mut o = Terminal::new(style.color);
    let _ = writeln!(o, "Policy: {}", r.path);
    if let Some(req) = &r.request {
        let issuer = req.issuer.as_deref().unwrap_or("(none)");
        let _ = writeln!(o, "Issuer: {issuer}");
        let mut keys: Vec<_> = req.context.entries().collect();
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        for e in keys {
            let _ = writeln!(
                o,
                "  {} = {}",
                e.name,
                e.value
                    .values()
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let origin = match r.claims_origin {
            ClaimsOrigin::Given => "claims from --claim",
            ClaimsOrigin::Token => "claims from the token, signature not verified",
        };
        let _ = writeln!(o, "  ({origin})");
    }
    for n in &r.notes {
        let _ = writeln!(o, "note: {n}");
    }

    o.push_str(&statements(r));

    if !r.findings.is_empty() {
        let _ = writeln!(o);
        for f in &r.findings {
            o.push_rendered(&finding(f, Some(&r.source), style));
        }
    }

    let v = &r.verdict;
    let _ = writeln!(o);
    let word = match v.decision {
        Decision::Allowed => "ALLOWED",
        Decision::ImplicitDeny | Decision::ExplicitDeny => "DENIED",
        Decision::Indeterminate => "INDETERMINATE",
    };
    let _ = writeln!(o, "Verdict: {word}: {}", v.summary);
    match &v.predicted_error {
        Some(e) => {
            let _ = writeln!(o, "AWS will answer: {e}");
        }
        None if v.decision == Decision::Allowed => {
            let _ = writeln!(o, "AWS will accept the trust policy for these claims.");
        }
        None => {}
    }
    if !v.depends_on.is_empty() {
        let _ = writeln!(
            o,
            "This depends on request keys that were not given: {} (pass them with --context KEY=VALUE)",
            v.depends_on.join(", ")
        );
    }
    let skipped: Vec<&str> = r
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Skipped && c.name != "trust-policy")
        .map(|c| c.name)
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(
            o,
            "Not checked: {} (`simulate` evaluates the trust policy only)",
            skipped.join(", ")
        );
    }
    let _ = writeln!(
        o,
        "Scope: organization resource control policies (RCPs) can also deny this call; they are outside this tool's view."
    );
    o.into_string()
}

/// The per-statement, per-condition trace of an evaluation (empty without one).
pub fn statements(r: &SimulateReport) -> String {
    let mut o = Terminal::new(false);
    if let Some(e) = &r.evaluation {
        for t in &e.statements {
            let _ = writeln!(o);
            let sid = t
                .sid
                .as_deref()
                .map(|s| format!(" {s:?}"))
                .unwrap_or_default();
            let effect = t.effect.map(Effect::as_str).unwrap_or("invalid Effect");
            let applies = match t.applies {
                Some(true) => "applies",
                Some(false) => "does not apply",
                None => "cannot be evaluated",
            };
            let _ = writeln!(o, "Statement {}{sid} ({effect}): {applies}", t.index);
            if let Some(why) = &t.invalid {
                let _ = writeln!(o, "  ✗ {why}");
            }
            let _ = writeln!(
                o,
                "  {} principal: {}",
                mark(Some(t.principal.matched)),
                t.principal.reason
            );
            let _ = writeln!(
                o,
                "  {} action: {}",
                mark(Some(t.action.matched)),
                t.action.reason
            );
            for c in &t.conditions {
                let _ = writeln!(
                    o,
                    "  {} {} {}: {}",
                    mark(c.outcome.result),
                    c.operator,
                    c.key,
                    c.outcome.reason
                );
                for (_, _, note) in r
                    .condition_notes
                    .iter()
                    .filter(|(s, i, _)| *s == t.index && *i == c.condition_index)
                {
                    let _ = writeln!(o, "      → {note}");
                }
            }
        }
    }
    o.into_string()
}

fn mark(result: Option<bool>) -> &'static str {
    match result {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "?",
    }
}

/// `who`: who can assume the role, in words, with verified counterexamples.
pub fn who(r: &crate::who::WhoReport, style: Style) -> String {
    let mut o = Terminal::new(style.color);
    let _ = writeln!(o, "Policy: {}", r.path);
    let Some(a) = &r.analysis else {
        let _ = writeln!(
            o,
            "\nThe policy cannot be read, so it admits nobody until it is fixed:\n"
        );
        for f in &r.findings {
            o.push_rendered(&finding(f, Some(&r.source), style));
        }
        return o.into_string();
    };
    match (&a.issuer, &a.provider_arn) {
        (Some(i), Some(arn)) => {
            let _ = writeln!(o, "Issuer: {i} (trusted through {arn})");
        }
        (Some(i), None) => {
            let _ = writeln!(o, "Issuer: {i}");
        }
        (None, _) if a.subjects.len() > 1 => {
            let _ = writeln!(o, "Issuer: several providers (named per statement)");
        }
        (None, _) => {}
    }
    let _ = writeln!(o);
    if a.subjects.is_empty() {
        let _ = writeln!(
            o,
            "Nobody: no Allow statement trusts a GitLab OIDC provider for sts:AssumeRoleWithWebIdentity."
        );
    } else {
        if let Some(example) = &a.everyone_example {
            let host = a
                .everyone_issuer
                .as_deref()
                .or(a.issuer.as_deref())
                .map(|i| i.trim_start_matches("https://"))
                .unwrap_or("the instance");
            let _ = writeln!(
                o,
                "ANYONE on {host} can assume this role: a project of their own, e.g. sub {example}\n"
            );
        }
        let _ = writeln!(o, "Who can assume this role:");
        let mut last_statement = None;
        for s in &a.subjects {
            if last_statement != Some(s.statement) {
                last_statement = Some(s.statement);
                let _ = writeln!(o);
                let sid = s
                    .sid
                    .as_deref()
                    .map(|x| format!(" {x:?}"))
                    .unwrap_or_default();
                let what = if s.operator == "none" {
                    "no condition on sub".to_string()
                } else {
                    format!("{} {}", s.operator, s.key)
                };
                let issuer = match (&a.issuer, &s.issuer) {
                    (None, Some(i)) => format!(" (issuer {i})"),
                    _ => String::new(),
                };
                let _ = writeln!(o, "  Statement {}{sid} — {what}{issuer}", s.statement);
            }
            if s.operator != "none" && s.restriction == crate::subjects::Restriction::Value {
                let _ = writeln!(o, "    {:?}", s.pattern.text);
                let _ = writeln!(o, "      {}", s.description);
            } else {
                let _ = writeln!(o, "    {}", s.description);
            }
            let next_is_same = a
                .subjects
                .iter()
                .skip_while(|x| !std::ptr::eq(*x, s))
                .nth(1)
                .is_some_and(|n| n.statement == s.statement);
            if !next_is_same && !s.guards.is_empty() {
                let _ = writeln!(o, "    only when:");
                for (k, v) in &s.guards {
                    let _ = writeln!(o, "      {k}: {}", v.join(", "));
                }
            }
        }
    }
    if !a.exclusions.is_empty() {
        let _ = writeln!(o, "\nRemoved by Deny statements:");
        for e in &a.exclusions {
            let what = if e.operator == "none" {
                String::new()
            } else {
                format!(" — {} {:?}", e.operator, e.pattern)
            };
            let sid = e
                .sid
                .as_deref()
                .map(|x| format!(" {x:?}"))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  Statement {}{sid}{what}: {}",
                e.statement, e.description
            );
        }
    }
    let examples: Vec<(&crate::subjects::Admitted, &crate::subjects::Breadth)> = a
        .subjects
        .iter()
        .flat_map(|s| s.breadth.iter().map(move |b| (s, b)))
        .collect();
    if !examples.is_empty() {
        let _ = writeln!(
            o,
            "\nAdmitted, and probably not meant (each checked with the evaluation engine):"
        );
        let mut seen = Vec::new();
        for (s, b) in examples {
            if seen.contains(&&b.example) {
                continue;
            }
            seen.push(&b.example);
            let _ = writeln!(o, "  {}", b.example);
            let _ = writeln!(o, "    statement {}: {}", s.statement, b.why);
        }
    }
    if !r.findings.is_empty() {
        let _ = writeln!(
            o,
            "\nFindings (`oidc-doctor lint {}` shows them in the source):",
            r.path
        );
        for f in &r.findings {
            let at = f
                .location
                .as_ref()
                .map(|l| format!(" {}:{}", l.line, l.column))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  {:<7} {}{at}: {}",
                f.severity.as_str(),
                f.rule,
                f.message
            );
        }
    }
    o.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_run_of_cut_line_changes_nothing() {
        let lines = [
            String::new(),
            "a".repeat(300),
            format!("{}é{}", "x".repeat(50), "y".repeat(200)),
            format!("\t{}\u{1b}[2J{}", "k".repeat(90), "日本".repeat(40)),
            format!("{}\t{}", "v".repeat(7), "w".repeat(7)),
            "short".into(),
        ];
        for line in &lines {
            let n = line.len();
            let offsets: Vec<usize> = (0..=n).filter(|i| line.is_char_boundary(*i)).collect();
            for budget in [8, 9, 40, 119, 120, 400] {
                for &anchor in offsets.iter().step_by(7).chain(std::iter::once(&n)) {
                    for &m in offsets.iter().step_by(11).chain(std::iter::once(&n)) {
                        let marks = [Some(anchor), Some(m)];
                        let fast = cut_line_with(line, Some(anchor), marks, budget, true);
                        let slow = cut_line_with(line, Some(anchor), marks, budget, false);
                        assert_eq!(
                            (fast.text, fast.marks, fast.content_end),
                            (slow.text, slow.marks, slow.content_end),
                            "{line:?} anchor {anchor} mark {m} budget {budget}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_ascii_shortcut_of_width_within_changes_nothing() {
        let half = SNIPPET_LINE_CHARS / 2;
        for len in [0, 1, 7, 8, 9, half - 1, half, half + 1, half + 5] {
            for tail in ["", "é", "\u{1b}", "\t", "日"] {
                let s = format!("{}{tail}", "a".repeat(len));
                for limit in [
                    0,
                    1,
                    8,
                    len.saturating_sub(1),
                    len,
                    len + 1,
                    half,
                    half + 10,
                ] {
                    assert_eq!(
                        width_within_with(&s, limit, true),
                        width_within_with(&s, limit, false),
                        "{len} {tail:?} {limit}"
                    );
                }
            }
        }
    }
    use crate::finding::{Category, Finding, Location};
    use crate::json::Span;

    fn finding_at(path: &str, src: &SourceText, span: Span, pointer: &str) -> Finding {
        Finding {
            rule: "test-rule",
            severity: Severity::Error,
            category: Category::Correctness,
            message: "something is wrong here".into(),
            help: "fix it".into(),
            aws_error: None,
            location: Some(Location::from_span(path, src, span, Some(pointer))),
            related: Vec::new(),
            example: None,
        }
    }

    const PLAIN: Style = Style { color: false };

    /// Display width as a terminal shows it (the cut's own measure, tabs at 4).
    fn widest(out: &str) -> usize {
        out.lines()
            .map(|l| {
                l.chars().fold(0, |col, c| {
                    col + if c == '\t' {
                        TAB_WIDTH - col % TAB_WIDTH
                    } else {
                        char_width(c)
                    }
                })
            })
            .max()
            .unwrap_or(0)
    }

    /// The upper bound of a snippet's text: a few lines, each at most
    /// `SNIPPET_LINE_CHARS` characters of at most 4 bytes, or escapes of 10.
    const SNIPPET_BOUND: usize =
        (SNIPPET_SPAN_LINES + 2 * CONTEXT_LINES) * (SNIPPET_LINE_CHARS * 10 + 8);

    fn header(out: &str) -> &str {
        out.lines()
            .find(|l| l.contains("╭─["))
            .unwrap_or_else(|| panic!("no header in\n{out}"))
    }

    #[test]
    fn the_snippet_does_not_grow_with_the_file() {
        // One line of n statements-worth of text, the span in its middle.
        let mut sizes = Vec::new();
        for n in [1usize, 8, 64] {
            let pad = "x".repeat(8_000 * n);
            let text = format!("{{\"a\":\"{pad}\",\"b\":\"bad value\",\"c\":\"{pad}\"}}");
            let src = SourceText::new(text.clone());
            let at = text.find("bad value").unwrap_or(0);
            let loc = Location::from_span("p.json", &src, Span::new(at, at + 9), Some("/b"));
            let snip = Snippet::new(&loc, Span::new(at, at + 9), &src, SNIPPET_WIDTH);
            assert!(snip.text.len() <= SNIPPET_BOUND, "{}", snip.text.len());
            sizes.push(snip.text.len());
            // The whole line as the span: still a window.
            let whole = Snippet::new(&loc, Span::new(0, text.len()), &src, SNIPPET_WIDTH);
            assert!(whole.text.len() <= SNIPPET_BOUND);
        }
        assert!(sizes.windows(2).all(|w| w[0] == w[1]), "{sizes:?}");

        // Many lines, a span over all of them: the snippet shows the first few.
        for n in [1usize, 8] {
            let text = "  \"k\": \"v\",\n".repeat(10_000 * n);
            let src = SourceText::new(text.clone());
            let loc = Location::from_span("p.json", &src, Span::new(0, text.len()), None);
            let snip = Snippet::new(&loc, Span::new(0, text.len()), &src, SNIPPET_WIDTH);
            assert!(snip.lines.len() <= SNIPPET_SPAN_LINES + 2 * CONTEXT_LINES);
            assert!(snip.text.len() <= SNIPPET_BOUND);
            assert!(
                snip.label_text
                    .contains(&format!("goes on to line {}", 10_000 * n)),
                "{}",
                snip.label_text
            );
        }
    }

    #[test]
    fn a_finding_past_column_65535_renders_with_the_exact_column_and_fits_the_width() {
        let pad = " ".repeat(70_000);
        let text = format!("{{\"a\":{pad}\"project_path:*\"}}");
        let src = SourceText::new(text.clone());
        let at = text.find("\"project_path").unwrap_or(0);
        let f = finding_at("big.json", &src, Span::new(at, at + 16), "/a");
        let out = finding(&f, Some(&src), PLAIN);
        assert!(
            header(&out).contains(&format!("[big.json:1:{}]", at + 1)),
            "{out}"
        );
        assert!(out.contains(" …  "), "{out}");
        assert!(out.contains("\"project_path:*\"}"), "{out}");
        assert!(widest(&out) <= SNIPPET_WIDTH, "{out}");
        // The caret is under the value: the underline starts where the value does.
        let lines: Vec<&str> = out.lines().collect();
        let src_line = lines
            .iter()
            .position(|l| l.contains("\"project_path:*\""))
            .unwrap_or(0);
        let col = lines[src_line].find('"').unwrap_or(0);
        let under = lines[src_line + 1];
        assert_eq!(
            under.char_indices().position(|(_, c)| c == '─' || c == '┬'),
            Some(lines[src_line][..col].chars().count()),
            "{out}"
        );
    }

    #[test]
    fn narrow_widths_are_kept_too() {
        let text = format!("{{\"a\":\"{}\",\"b\":\"x\"}}", "y".repeat(5_000));
        let src = SourceText::new(text.clone());
        let at = text.find("\"x\"").unwrap_or(0);
        let f = finding_at("p.json", &src, Span::new(at, at + 3), "/b");
        for width in [40, 60, 80, 120] {
            let out = finding_at_width(&f, Some(&src), PLAIN, width);
            assert!(widest(&out) <= width, "{width}:\n{out}");
            assert!(header(&out).contains(&format!("[p.json:1:{}]", at + 1)));
        }
    }

    #[test]
    fn hostile_spans_and_unicode_never_panic_and_stay_in_the_width() {
        let texts = [
            String::new(),
            "\n".to_string(),
            "\r\n\r\n".to_string(),
            "日本語".repeat(30_000),
            format!("a{}b", "\u{301}".repeat(100_000)),
            "é".repeat(50_000) + "\n" + &"😀".repeat(10),
            "\t".repeat(1_000) + "x",
            format!("{}\u{1b}[2J{}", "a".repeat(70_000), "b".repeat(10)),
            "x".repeat(4 << 20),
        ];
        for text in &texts {
            let src = SourceText::new(text.clone());
            let n = text.len();
            let mut spans = vec![
                (0, 0),
                (0, n),
                (n, n),
                (n, n + 10),
                (n + 5, n + 1),
                (n / 2, n / 2 + 1),
                (n / 2 + 1, n / 2 + 2),
                (n.saturating_sub(1), n + 100),
                (1, 0),
                (usize::MAX - 1, usize::MAX),
            ];
            spans.push((n / 3, 2 * n / 3 + 1));
            for (s, e) in spans {
                let f = finding_at("u.txt", &src, Span::new(s, e), "/p");
                for width in [40, 120] {
                    let out = finding_at_width(&f, Some(&src), PLAIN, width);
                    assert!(out.contains("test-rule"), "{out}");
                    assert!(widest(&out) <= width, "{width} {s}..{e}:\n{out}");
                    let loc = f.location.as_ref().map(|l| (l.line, l.column));
                    if let Some((line, col)) = loc {
                        assert!(
                            out.contains(&format!("[u.txt:{line}:{col}]")),
                            "{s}..{e} {line}:{col}\n{out}"
                        );
                    }
                    assert!(!out.contains('\u{1b}'), "{out}");
                }
            }
        }
    }

    #[test]
    fn random_text_spans_and_widths_never_panic_and_keep_the_place_and_the_width() {
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
        let palette = [
            "a", "{", "\"", " ", "\t", "\n", "\r\n", "\r", "語", "\u{301}", "é", "😀", "\u{1b}",
            "\u{7}", "\u{0}", "\u{7f}", "\u{9b}", "\u{202e}", "\u{2066}",
        ];
        for round in 0..3_000 {
            let pieces = rng.random_range(0..if round % 10 == 0 { 4_000 } else { 200 });
            let text: String = (0..pieces)
                .map(|_| {
                    let p = palette[rng.random_range(0..palette.len())];
                    // Long runs of one piece: long lines, long zero-width runs.
                    p.repeat(if rng.random_bool(0.1) {
                        rng.random_range(1..400)
                    } else {
                        1
                    })
                })
                .collect();
            let src = SourceText::new(text.clone());
            let n = text.len();
            let a = rng.random_range(0..=n + 2);
            let b = rng.random_range(0..=n + 2);
            let (s, e) = if rng.random_bool(0.9) {
                (a.min(b), a.max(b))
            } else {
                (a, b)
            };
            let f = finding_at("r.json", &src, Span::new(s, e), "/Statement/0/Condition");
            let width = rng.random_range(20..=160);
            let out = finding_at_width(&f, Some(&src), PLAIN, width);
            let limit = width.clamp(MIN_WIDTH, usize::MAX);
            assert!(widest(&out) <= limit, "round {round} width {width}:\n{out}");
            let (line, col) = f.location.as_ref().map_or((0, 0), |l| (l.line, l.column));
            assert!(
                out.contains(&format!("[r.json:{line}:{col}]")),
                "round {round} {s}..{e}: {line}:{col}\n{out}"
            );
            assert!(!out.contains(terminal::is_unsafe), "round {round}:\n{out}");
        }
    }

    #[test]
    fn the_plain_fallback_is_escaped_too() {
        let src = SourceText::new("{\"a\": 1}");
        let mut f = finding_at("p\u{1b}[2J.json", &src, Span::new(1, 4), "/a");
        f.message = "bad \u{7}value\nsecond line".into();
        let out = plain(&f);
        assert_eq!(
            out,
            "error[test-rule]: bad \\u{7}value\\u{a}second line\n  --> p\\u{1b}[2J.json:1:2\n  help: fix it\n"
        );
    }

    #[test]
    fn a_line_that_fits_is_never_cut() {
        // 50 wide characters: 100 columns, 150 bytes; the span at its end.
        let text = format!("{}\"x\"", "語".repeat(50));
        let src = SourceText::new(text.clone());
        let at = text.find('"').unwrap_or(0);
        let f = finding_at("w.json", &src, Span::new(at, at + 3), "/x");
        let out = finding(&f, Some(&src), PLAIN);
        assert!(out.contains(&format!(" 1 │ {text}\n")), "{out}");
        assert!(!out.contains('…'), "{out}");
    }

    #[test]
    fn escaped_controls_keep_the_caret_under_the_value_and_the_column_exact() {
        let text = "{\"a\": \"x\u{1b}[31my\u{7}\", \"b\": \"\u{202e}bad\"}";
        let src = SourceText::new(text);
        let at = text.find("\"\u{202e}bad").unwrap_or(0);
        let f = finding_at("c.json", &src, Span::new(at, at + 7), "/b");
        let out = finding(&f, Some(&src), PLAIN);
        let col = text[..at].chars().count() + 1;
        assert!(header(&out).contains(&format!("[c.json:1:{col}]")), "{out}");
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{202e}'));
        let lines: Vec<&str> = out.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.contains("\\u{202e}bad"))
            .unwrap_or(0);
        let value_col = lines[i]
            .find("\"\\u{202e}")
            .map(|b| lines[i][..b].chars().count());
        let caret_col = lines[i + 1]
            .char_indices()
            .position(|(_, c)| c == '─' || c == '┬');
        assert_eq!(value_col, caret_col, "{out}");
        assert!(lines[i].contains("x\\u{1b}[31my\\u{7}"), "{out}");
    }

    #[test]
    fn a_long_message_and_a_hostile_path_are_cut_and_escaped() {
        let src = SourceText::new("{}");
        let mut f = finding_at("dir\u{1b}]0;owned\u{7}/p.json", &src, Span::new(0, 2), "");
        f.message = format!("value {}", "v".repeat(1 << 20));
        let out = finding(&f, Some(&src), PLAIN);
        assert!(out.len() < 3 * MESSAGE_MAX_CHARS, "{}", out.len());
        let words = out
            .split_whitespace()
            .filter(|w| *w != "│")
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            words.contains("more characters; --format json has the whole text"),
            "{out}"
        );
        assert!(out.contains("dir\\u{1b}]0;owned\\u{7}/p.json:1:1"), "{out}");
        // With colour, the only escape sequences left are colour codes.
        let out = finding(&f, Some(&src), Style { color: true });
        assert!(out.contains("\u{1b}[31m"), "{out}");
        assert!(out.contains("dir\\u{1b}]0;owned"), "{out}");
        assert_eq!(terminal::keep_sgr(&out), out);
    }
}
