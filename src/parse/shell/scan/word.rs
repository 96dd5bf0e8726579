//! Words: quoting, escapes, `\`-continued lines and expansions, as the shell reads them.
//! A command substitution's commands are read as commands of the script.

use super::Scanner;
use crate::source::Span;

/// One word of a command.
#[derive(Debug, Clone)]
pub(crate) struct Word {
    /// The word as written.
    pub(crate) span: Span,
    /// Its value with quoting removed (expansions as written).
    pub(crate) text: String,
    /// The source offset of each byte of `text`.
    pub(crate) offsets: Vec<usize>,
    /// Why the shell would pass something else than `text` (an expansion, a glob); `None`
    /// for a literal.
    pub(crate) dynamic: Option<&'static str>,
    /// The parameter the word is exactly (`$X`, `${X}`, `"$X"`), if it is one.
    pub(crate) variable: Option<String>,
}

impl Word {
    /// The span of `text[range]` in the source.
    pub(crate) fn span_of(&self, start: usize, end: usize) -> Span {
        match (
            self.offsets.get(start),
            end.checked_sub(1).and_then(|e| self.offsets.get(e)),
        ) {
            (Some(&s), Some(&e)) if end > start => Span::new(s, e + 1),
            _ => self.span,
        }
    }

    /// `NAME=value`.
    pub(crate) fn is_assignment(&self) -> bool {
        let name = self.text.split_once('=').map_or("", |(name, _)| name);
        is_name_word(name)
    }

    /// Why the value from byte `skip` on is not known, with that text as written
    /// (`a shell variable ($ENI)`); `None` for a literal.
    pub(crate) fn unknown_reason(&self, skip: usize) -> Option<String> {
        let written = self.text.get(skip..).unwrap_or("");
        self.dynamic.map(|why| format!("{why} ({written})"))
    }
}

/// Whether `b` ends an unquoted word.
fn is_meta(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// A byte of a shell name (`[A-Za-z0-9_]`).
pub(crate) fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `text` is a shell name (`SESSION_NUMBER`, `_x1`).
fn is_name_word(text: &str) -> bool {
    text.bytes().next().is_some_and(is_name_start) && text.bytes().all(is_name)
}

impl Scanner<'_> {
    /// Reads one word (the cursor is on its first byte).
    pub(super) fn word(&mut self, end: Option<u8>) -> Word {
        let start = self.pos;
        let mut w = Word {
            span: Span::new(start, start),
            text: String::new(),
            offsets: Vec::new(),
            dynamic: None,
            variable: None,
        };
        let mut parts = 0usize;
        let mut sole_variable: Option<String> = None;
        while let Some(b) = self.peek() {
            if is_meta(b) || (b == b'`' && end == Some(b'`')) {
                break;
            }
            match b {
                b'\\' => {
                    match self.continuation() {
                        0 => {
                            self.pos += 1;
                            if self.peek().is_some() {
                                self.push_char(&mut w);
                            }
                        }
                        n => self.pos += n,
                    }
                    parts += 1;
                }
                b'\'' => {
                    let quote = self.pos;
                    self.pos += 1;
                    while let Some(c) = self.peek() {
                        if c == b'\'' {
                            break;
                        }
                        self.push_char(&mut w);
                    }
                    if self.peek().is_none() {
                        self.fail_at(quote, "this single quote is never closed");
                    }
                    self.pos += 1;
                    parts += 1;
                }
                b'"' => {
                    let quote = self.pos;
                    self.pos += 1;
                    let mut inner = 0usize;
                    loop {
                        match self.peek() {
                            None => {
                                self.fail_at(quote, "this double quote is never closed");
                                break;
                            }
                            Some(b'"') => {
                                self.pos += 1;
                                break;
                            }
                            Some(b'\\') if self.continuation() > 0 => {
                                self.pos += self.continuation()
                            }
                            Some(b'\\')
                                if matches!(
                                    self.bytes.get(self.pos + 1),
                                    Some(b'$' | b'`' | b'"' | b'\\')
                                ) =>
                            {
                                self.pos += 1;
                                self.push_char(&mut w);
                                inner += 1;
                            }
                            Some(b'$') => {
                                let v = self.dollar(&mut w);
                                sole_variable = v;
                                inner += 2;
                            }
                            Some(b'`') => {
                                self.backticks(&mut w);
                                inner += 2;
                            }
                            Some(_) => {
                                self.push_char(&mut w);
                                inner += 1;
                            }
                        }
                    }
                    // `"$X"` is the variable alone; `"a$X"` is not.
                    if inner != 2 {
                        sole_variable = None;
                    }
                    parts += if inner == 2 { 1 } else { 2 };
                }
                b'$' => {
                    sole_variable = self.dollar(&mut w);
                    parts += 1;
                }
                b'`' => {
                    self.backticks(&mut w);
                    parts += 2;
                }
                b'*' | b'?' | b'[' => {
                    w.dynamic
                        .get_or_insert("a pattern the shell expands to file names");
                    self.push_char(&mut w);
                    parts += 1;
                }
                b'~' if self.pos == start => {
                    w.dynamic.get_or_insert("a home folder the shell expands");
                    self.push_char(&mut w);
                    parts += 1;
                }
                b'{' if self.pos > start
                    || !matches!(
                        self.bytes.get(self.pos + 1),
                        None | Some(b' ' | b'\t' | b'\n')
                    ) =>
                {
                    w.dynamic.get_or_insert("a brace expansion");
                    self.push_char(&mut w);
                    parts += 1;
                }
                _ => {
                    self.push_char(&mut w);
                    parts += 1;
                }
            }
        }
        w.span = Span::new(start, self.pos);
        if parts == 1 {
            w.variable = sole_variable;
        }
        w
    }

    /// Copies the character at the cursor into the word.
    fn push_char(&mut self, w: &mut Word) {
        let len = self.text[self.pos..]
            .chars()
            .next()
            .map_or(1, char::len_utf8);
        if let Some(s) = self.text.get(self.pos..self.pos + len) {
            w.text.push_str(s);
            w.offsets.extend(self.pos..self.pos + len);
        }
        self.pos += len;
    }

    /// Copies the source from `start` to the cursor into the word, as written.
    fn push_written(&mut self, w: &mut Word, start: usize) {
        if let Some(s) = self.text.get(start..self.pos) {
            w.text.push_str(s);
            w.offsets.extend(start..self.pos);
        }
    }

    /// A `$` expansion at the cursor; the parameter's name when it is a plain one.
    fn dollar(&mut self, w: &mut Word) -> Option<String> {
        let start = self.pos;
        self.pos += 1;
        let mut name = None;
        match self.peek() {
            Some(b'(') => {
                if self.at("((") {
                    self.skip_balanced(b'(', b')');
                    w.dynamic.get_or_insert("an arithmetic expansion");
                } else {
                    self.pos += 1;
                    self.list(Some(b')'), start);
                    w.dynamic.get_or_insert("the output of a command");
                }
            }
            Some(b'{') => {
                self.skip_balanced(b'{', b'}');
                let inner = self
                    .text
                    .get(start + 2..self.pos.saturating_sub(1))
                    .unwrap_or("");
                if is_name_word(inner) {
                    name = Some(inner.to_owned());
                }
                w.dynamic.get_or_insert("a shell variable");
            }
            Some(b'\'') => {
                self.pos += 1;
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    if c == b'\\' {
                        self.pos += 1;
                    } else if c == b'\'' {
                        break;
                    }
                }
                w.dynamic.get_or_insert("an ANSI-C quoted string");
            }
            Some(c) if is_name_start(c) => {
                while self.peek().is_some_and(is_name) {
                    self.pos += 1;
                }
                name = self.text.get(start + 1..self.pos).map(str::to_owned);
                w.dynamic.get_or_insert("a shell variable");
            }
            Some(c) if c.is_ascii_digit() || b"@*#?$!-".contains(&c) => {
                self.pos += 1;
                w.dynamic.get_or_insert("a shell parameter");
            }
            _ => {
                // A `$` that starts nothing is itself.
                self.push_written(w, start);
                return None;
            }
        }
        self.push_written(w, start);
        name
    }

    /// A backtick command substitution at the cursor.
    fn backticks(&mut self, w: &mut Word) {
        let start = self.pos;
        self.pos += 1;
        self.list(Some(b'`'), start);
        self.push_written(w, start);
        w.dynamic.get_or_insert("the output of a command");
    }

    /// Skips from an `open` byte at the cursor to its matching `close`, over quotes.
    pub(super) fn skip_balanced(&mut self, open: u8, close: u8) {
        let start = self.pos;
        let mut level = 0usize;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'\\' => self.pos += 1,
                b'\'' if open == b'(' => {
                    while self.peek().is_some_and(|c| c != b'\'') {
                        self.pos += 1;
                    }
                    self.pos += 1;
                }
                c if c == open => level += 1,
                c if c == close => {
                    level = level.saturating_sub(1);
                    if level == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
        self.fail_at(start.saturating_sub(1), "this expansion is never closed");
    }
}
