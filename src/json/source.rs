//! Byte offsets → 1-based line and column (in Unicode scalar values), as SPEC §3 asks.

use super::Span;

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Source text with a precomputed index of line starts.
#[derive(Debug, Clone)]
pub struct SourceText {
    text: String,
    line_starts: Vec<usize>,
    /// Whether the text is ASCII: then a column is a byte distance.
    ascii: bool,
    /// For long non-ASCII lines: the number of characters before every
    /// [`CHECKPOINT_BYTES`]-th byte (built on first use), so that a column is
    /// counted from the nearest checkpoint, not from the start of a 4 MiB line
    /// for each of thousands of findings on it.
    checkpoints: std::sync::OnceLock<Vec<usize>>,
}

/// The spacing of [`SourceText`]'s character-count checkpoints.
const CHECKPOINT_BYTES: usize = 4096;

impl SourceText {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        // Every linted file is indexed; memchr finds the line breaks a word at a time.
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let ascii = text.is_ascii();
        SourceText {
            text,
            line_starts,
            ascii,
            checkpoints: std::sync::OnceLock::new(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Line and column of a byte offset (clamped to the text, snapped back to a char boundary).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = self.line_starts[line_idx];
        let column = if self.ascii {
            offset - line_start + 1
        } else if offset - line_start <= CHECKPOINT_BYTES {
            self.text[line_start..offset].chars().count() + 1
        } else {
            self.chars_before(offset) - self.chars_before(line_start) + 1
        };
        LineCol {
            line: line_idx + 1,
            column,
        }
    }

    /// Characters before a byte offset (a char boundary), from the nearest
    /// checkpoint: at most [`CHECKPOINT_BYTES`] bytes are counted.
    fn chars_before(&self, offset: usize) -> usize {
        let checkpoints = self.checkpoints.get_or_init(|| {
            let bytes = self.text.as_bytes();
            let mut out = Vec::with_capacity(bytes.len() / CHECKPOINT_BYTES + 1);
            let mut chars = 0;
            for chunk in bytes.chunks(CHECKPOINT_BYTES) {
                out.push(chars);
                // A character starts at every byte that is not a continuation byte.
                chars += chunk.iter().filter(|b| (**b as i8) >= -0x40).count();
            }
            out
        });
        let k = offset / CHECKPOINT_BYTES;
        let base = k * CHECKPOINT_BYTES;
        let before = checkpoints.get(k).copied().unwrap_or_default();
        before
            + self.text.as_bytes()[base..offset]
                .iter()
                .filter(|b| (**b as i8) >= -0x40)
                .count()
    }

    /// Start and end (exclusive end turned into the position just after the last character).
    pub fn span_line_cols(&self, span: Span) -> (LineCol, LineCol) {
        (self.line_col(span.start), self.line_col(span.end))
    }

    /// The text of one 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let end = self
            .line_starts
            .get(line)
            .map(|e| e - 1)
            .unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches('\r'))
    }
}

impl SourceText {
    /// 0-based index of the line holding byte `offset` (clamped to the text): a
    /// binary search of the line index, never a scan of the text.
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Number of lines (an empty text has one, empty, line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte range of the 0-based line `index`, without its `\n` or `\r\n`.
    pub fn line_range(&self, index: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(index)?;
        let mut end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        if self.text.as_bytes().get(end.wrapping_sub(1)) == Some(&b'\r') && end > start {
            end -= 1;
        }
        Some(start..end)
    }
}
