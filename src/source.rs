//! Source files and positions.
//!
//! Every value mirrorguard reports on carries a byte [`Span`] into the file the user wrote.
//! Byte offsets are the canonical form (miette labels are byte ranges); [`LineIndex`] turns
//! them into the 1-based line and column numbers shown to people and written to SARIF.
//! SARIF columns are UTF-16 code units (its default `columnKind`); the human renderer and
//! the JSON output use 1-based character columns.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file that was read for checking: its path as given, the path shown in reports and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path used to read the file.
    pub path: PathBuf,
    /// Path shown in reports: relative to the working directory when possible, `/`-separated.
    pub display: String,
    /// The file's text (valid UTF-8; other files are rejected before this is built).
    pub text: Arc<str>,
    /// Made on first need: most files of a repository are skipped after a byte scan and
    /// never need a position.
    lines: std::sync::OnceLock<LineIndex>,
}

impl SourceFile {
    /// Builds a source file (its line table is computed when a position is first asked for).
    pub fn new(path: PathBuf, display: String, text: Arc<str>) -> Self {
        Self {
            path,
            display,
            text,
            lines: std::sync::OnceLock::new(),
        }
    }

    fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// A source file that exists only in memory (tests, examples, rule examples).
    pub fn in_memory(display: &str, text: &str) -> Self {
        Self::new(PathBuf::from(display), display.to_owned(), Arc::from(text))
    }

    /// Line/column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        self.lines().position(&self.text, offset)
    }

    /// The number of UTF-16 code units before byte `offset` (SARIF's `charOffset`).
    pub(crate) fn utf16_offset(&self, offset: usize) -> usize {
        self.lines().utf16_offset(&self.text, offset)
    }

    /// Byte offset of the start of a 1-based line.
    pub(crate) fn line_start(&self, line: usize) -> Option<usize> {
        self.lines().starts.get(line.checked_sub(1)?).copied()
    }

    /// Converts a 1-based line and a 0-based character column into a byte offset.
    pub(crate) fn offset_of_line_char(&self, line: usize, char_col: usize) -> usize {
        let Some(start) = self.line_start(line) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        let line_text = rest.split(['\n', '\r']).next().unwrap_or("");
        if line_text.is_ascii() {
            return (start + char_col)
                .min(start + line_text.len() + 1)
                .min(self.text.len());
        }
        match line_text.char_indices().nth(char_col) {
            Some((b, _)) => start + b,
            None => (start + line_text.len() + (char_col - line_text.chars().count()))
                .min(self.text.len()),
        }
    }

    /// The directory the file is in.
    pub(crate) fn dir(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }
}

/// A half-open byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (swapped if given backwards).
    pub fn new(start: usize, end: usize) -> Self {
        if end < start {
            Self {
                start: end,
                end: start,
            }
        } else {
            Self { start, end }
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// A position shown to people: 1-based line, 1-based columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column counted in Unicode scalar values.
    pub column: usize,
    /// 1-based column counted in UTF-16 code units (SARIF's default).
    pub utf16_column: usize,
}

/// Byte offsets of line starts, and for a file that is not all ASCII their UTF-16 offsets
/// (SARIF's `charOffset` of every fix would otherwise count from the start of the file: a
/// quadratic cost on one large template with many fixes).
#[derive(Debug, Clone)]
struct LineIndex {
    starts: Vec<usize>,
    utf16_starts: Option<Vec<usize>>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        // `\n`, `\r\n` and a lone `\r` (classic Mac OS) each end a line, as YAML and HCL
        // count them.
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        let utf16_starts = (!text.is_ascii()).then(|| {
            let mut at = 0;
            let mut units = 0;
            starts
                .iter()
                .map(|&start| {
                    units += text.get(at..start).map_or(0, |s| s.encode_utf16().count());
                    at = start;
                    units
                })
                .collect()
        });
        Self {
            starts,
            utf16_starts,
        }
    }

    /// The number of UTF-16 code units before byte `offset`.
    fn utf16_offset(&self, text: &str, offset: usize) -> usize {
        let offset = offset.min(text.len());
        let Some(utf16_starts) = &self.utf16_starts else {
            return offset;
        };
        let (line_idx, prefix) = self.line_prefix(text, offset);
        utf16_starts.get(line_idx).copied().unwrap_or(0) + prefix.encode_utf16().count()
    }

    /// The 0-based line holding byte `offset`, and the text of that line before it (clamped
    /// to a char boundary at or before the offset).
    fn line_prefix<'t>(&self, text: &'t str, offset: usize) -> (usize, &'t str) {
        let offset = offset.min(text.len());
        let line_idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line_idx).copied().unwrap_or(0);
        let mut end = offset;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        (line_idx, text.get(start..end).unwrap_or(""))
    }

    fn position(&self, text: &str, offset: usize) -> Position {
        let (line_idx, prefix) = self.line_prefix(text, offset);
        let (chars, utf16) = if prefix.is_ascii() {
            (prefix.len(), prefix.len())
        } else {
            (
                prefix.chars().count(),
                prefix.chars().map(char::len_utf16).sum(),
            )
        };
        Position {
            line: line_idx + 1,
            column: chars + 1,
            utf16_column: utf16 + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_count_code_units_before_a_byte() {
        for text in ["ab\ncd\nef", "\u{e9}t\u{e9}\n\u{1f600}x\r\ny\u{e9}z\n"] {
            let file = SourceFile::in_memory("t", text);
            for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
                let expected = text[..offset].encode_utf16().count();
                assert_eq!(file.utf16_offset(offset), expected, "{text:?} at {offset}");
            }
        }
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let f = SourceFile::in_memory("t", "a: 1\rb: 2\r\nc: 3\n");
        let b = f.text.find('b').unwrap_or(0);
        let c = f.text.find('c').unwrap_or(0);
        assert_eq!((f.position(b).line, f.position(b).column), (2, 1));
        assert_eq!((f.position(c).line, f.position(c).column), (3, 1));
        assert_eq!(f.offset_of_line_char(2, 3), b + 3);
    }

    #[test]
    fn positions_count_characters_and_utf16_units() {
        let f = SourceFile::in_memory("t", "ab\né✓😀x: 1\n");
        let x = f.text.find('x').unwrap_or(0);
        let p = f.position(x);
        assert_eq!(p.line, 2);
        assert_eq!(p.column, 4);
        assert_eq!(p.utf16_column, 5);
        assert_eq!(f.offset_of_line_char(2, 3), x);
        assert_eq!(f.position(0).line, 1);
    }
}
