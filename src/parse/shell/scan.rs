//! A shell script cut into simple commands of words, as a POSIX shell (and bash) reads it:
//! quoting, `\`-continued lines, comments, here-documents, command substitutions (whose
//! commands count too: `ID=$(aws ec2 create-traffic-mirror-session …)`), and the branch of
//! an `if` or `case` each command is in.
//!
//! Nothing is expanded: a word is literal when the shell would pass it as written (quotes
//! removed), and otherwise keeps the text as written with the reason it is not known.
//! One pass over the text, nesting bounded by [`MAX_NESTING`].

mod word;

use crate::model::Condition;
use crate::source::Span;
pub(crate) use word::{Word, is_name};

/// Most nested command substitutions, subshells and compound commands followed.
pub(crate) const MAX_NESTING: usize = 64;

/// One simple command: its words, and the branches it runs in.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub(crate) words: Vec<Word>,
    /// The `if`/`case` branches around it, outermost first.
    pub(crate) branches: Vec<Condition>,
    /// Inside a loop, a function or a command substitution (not run once, in order, at the
    /// top of the script).
    pub(crate) nested: bool,
    /// The `for` loops around it (indices into [`Script::loops`]), outermost first.
    pub(crate) loops: Vec<usize>,
    /// The command substitution it is in (`$(…)` or backticks, as written), innermost.
    pub(crate) inside: Option<Span>,
}

/// A `for NAME in WORDS; do … done` loop.
#[derive(Debug, Clone)]
pub(crate) struct ForLoop {
    pub(crate) name: String,
    /// The words it runs over (`None` without `in`: the script's arguments).
    pub(crate) items: Option<Vec<Word>>,
    /// From the end of its header to its `done` (the end of the text while open).
    pub(crate) body: Span,
    pub(crate) line: usize,
}

/// What a script is made of.
#[derive(Debug, Default)]
pub(crate) struct Script {
    pub(crate) commands: Vec<Command>,
    pub(crate) comments: Vec<Span>,
    pub(crate) loops: Vec<ForLoop>,
    /// The bodies of its here-documents (text, not commands; they may expand variables).
    pub(crate) heredocs: Vec<Span>,
    /// Why the script could not be read to its end, and where.
    pub(crate) error: Option<(usize, String)>,
}

/// An open `if`, `case`, loop, group or function.
#[derive(Debug)]
enum Open {
    /// An `if`: its arm (0 for `if … then`, then one per `elif`) and whether the cursor is
    /// in the arm's condition or its body; `else` is the last arm's body.
    If {
        line: usize,
        arm: usize,
        body: bool,
        otherwise: bool,
    },
    Case {
        line: usize,
        branch: Option<String>,
        pattern_next: bool,
    },
    /// A loop; a `for` loop's index into [`Script::loops`].
    Loop(Option<usize>),
    Group,
}

struct Scanner<'a> {
    text: &'a str,
    /// The offset of every line break.
    breaks: Vec<usize>,
    bytes: &'a [u8],
    pos: usize,
    heredocs: Vec<(String, bool)>,
    /// Bare parentheses open around the cursor: a subshell, whose assignments do not last.
    subshells: usize,
    /// The command being read follows `&&`, `||` or `|`.
    conditional: bool,
    open: Vec<Open>,
    depth: usize,
    out: Script,
}

/// Cuts `text` into commands.
pub(crate) fn scan(text: &str) -> Script {
    let mut s = Scanner {
        text,
        breaks: memchr::memchr_iter(b'\n', text.as_bytes()).collect(),
        bytes: text.as_bytes(),
        pos: 0,
        heredocs: Vec::new(),
        subshells: 0,
        conditional: false,
        open: Vec::new(),
        depth: 0,
        out: Script::default(),
    };
    s.list(None, 0);
    s.out
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at(&self, s: &str) -> bool {
        self.bytes[self.pos..].starts_with(s.as_bytes())
    }

    /// Stops reading: the script cannot be read past `at`. The command being read is not
    /// kept (its words after `at` are not known).
    fn fail_at(&mut self, at: usize, why: &str) {
        if self.out.error.is_none() {
            self.out.error = Some((at.min(self.text.len()), why.to_owned()));
        }
        self.pos = self.bytes.len();
    }

    fn fail(&mut self, why: &str) {
        self.fail_at(self.pos, why);
    }

    fn line_of(&self, offset: usize) -> usize {
        self.breaks.partition_point(|&b| b < offset) + 1
    }

    /// The length of the line continuation at the cursor (`\` and a line break, `\r\n`
    /// too: a script saved with Windows line endings reads as its author meant), or 0.
    fn continuation(&self) -> usize {
        match self.bytes.get(self.pos..self.pos + 3) {
            Some([b'\\', b'\n', ..]) => 2,
            Some([b'\\', b'\r', b'\n']) => 3,
            None if self.bytes.get(self.pos..) == Some(b"\\\n") => 2,
            _ => 0,
        }
    }

    /// Opens a compound command, unless that nests them deeper than [`MAX_NESTING`].
    fn push_open(&mut self, open: Open) {
        if self.open.len() >= MAX_NESTING {
            self.fail("compound commands nested deeper than mirrorguard follows");
        } else {
            self.open.push(open);
        }
    }

    /// Reads commands until the end of the text or the byte `end` (`)` of `$(`, a
    /// backtick), which it consumes.
    fn list(&mut self, end: Option<u8>, opened: usize) {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            self.fail("nested deeper than mirrorguard follows");
            return;
        }
        let nested = end.is_some();
        let first = self.out.commands.len();
        let mut words: Vec<Word> = Vec::new();
        let mut parens = 0usize;
        let mut redirect = false;
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\\' if self.continuation() > 0 => self.pos += self.continuation(),
                b'#' => {
                    let start = self.pos;
                    let stop = memchr::memchr(b'\n', &self.bytes[start..])
                        .map_or(self.bytes.len(), |i| start + i);
                    self.out.comments.push(Span::new(start, stop));
                    self.pos = stop;
                }
                b'\n' => {
                    self.finish(&mut words, nested);
                    self.conditional = false;
                    self.pos += 1;
                    self.read_heredocs();
                }
                // `a|b)`: one pattern of a `case` item.
                b'|' if self.in_case_pattern() && !self.at("||") => self.pos += 1,
                b';' | b'&' | b'|' => {
                    // A command before `&` or `|` runs in a subshell.
                    let subshell =
                        (self.at("&") && !self.at("&&")) || (self.at("|") && !self.at("||"));
                    self.subshells += usize::from(subshell);
                    self.finish(&mut words, nested);
                    self.subshells -= usize::from(subshell);
                    if self.at(";;") {
                        self.pos += 2;
                        self.end_case_item();
                        if matches!(self.peek(), Some(b'&')) {
                            self.pos += 1;
                        }
                    } else {
                        // After `&&` or `||` a command may not run; in a pipeline it runs in a
                        // subshell: what it sets is not sure either way.
                        self.conditional =
                            self.at("&&") || self.at("||") || self.at("|&") || self.at("|");
                        let two = self.at("&&") || self.at("||") || self.at(";&") || self.at("|&");
                        self.pos += if two { 2 } else { 1 };
                        continue;
                    }
                    self.conditional = false;
                }
                // `NAME=(a b)`: an array, one word whose value is not a literal.
                b'(' if words
                    .last()
                    .is_some_and(|w| w.span.end == self.pos && w.text.ends_with('=')) =>
                {
                    let start = self.pos;
                    self.skip_balanced(b'(', b')');
                    if let Some(w) = words.last_mut() {
                        w.dynamic.get_or_insert("an array");
                        w.text
                            .push_str(self.text.get(start..self.pos).unwrap_or(""));
                        w.span = Span::new(w.span.start, self.pos);
                    }
                }
                b'(' => {
                    self.finish(&mut words, nested);
                    parens += 1;
                    self.subshells += 1;
                    self.pos += 1;
                }
                b')' => {
                    if self.case_pattern_ends(&words) {
                        words.clear();
                        self.pos += 1;
                        continue;
                    }
                    self.finish(&mut words, nested);
                    self.pos += 1;
                    if parens > 0 {
                        parens -= 1;
                        self.subshells -= 1;
                    } else if end == Some(b')') {
                        self.subshells -= parens;
                        self.close(first, opened);
                        return;
                    }
                }
                b'`' if end == Some(b'`') => {
                    self.finish(&mut words, nested);
                    self.pos += 1;
                    self.subshells -= parens;
                    self.close(first, opened);
                    return;
                }
                b'<' | b'>' => {
                    if self.at("<<<") {
                        self.pos += 3;
                    } else if self.at("<<") {
                        self.pos += 2;
                        let strip = self.peek() == Some(b'-');
                        if strip {
                            self.pos += 1;
                        }
                        while matches!(self.peek(), Some(b' ' | b'\t')) {
                            self.pos += 1;
                        }
                        let delimiter = self.word(end);
                        self.heredocs.push((delimiter.text, strip));
                        continue;
                    } else {
                        self.pos += 1;
                        if matches!(self.peek(), Some(b'>' | b'&' | b'|')) {
                            self.pos += 1;
                        }
                        // `<(cmd)`: a process substitution, not a redirection's target.
                        if self.peek() == Some(b'(') {
                            continue;
                        }
                    }
                    redirect = true;
                }
                _ => {
                    let word = self.word(end);
                    let fd = !word.text.is_empty()
                        && word.dynamic.is_none()
                        && word.text.bytes().all(|c| c.is_ascii_digit())
                        && matches!(self.peek(), Some(b'<' | b'>'));
                    if redirect {
                        redirect = false;
                    } else if !fd {
                        words.push(word);
                        // `case WORD in`: what follows is a pattern.
                        if let [case, _, is_in] = words.as_slice()
                            && case.dynamic.is_none()
                            && case.text == "case"
                            && is_in.text == "in"
                        {
                            self.finish(&mut words, nested);
                        }
                    }
                }
            }
        }
        self.finish(&mut words, nested);
        self.subshells -= parens;
        if end.is_some() {
            self.fail_at(opened, "this command substitution is never closed");
        }
        self.depth -= 1;
    }

    fn in_case_pattern(&self) -> bool {
        matches!(
            self.open.last(),
            Some(Open::Case {
                pattern_next: true,
                ..
            })
        )
    }

    /// Ends a command substitution opened at `opened` (the cursor is past its end): the
    /// commands read since command `first` are inside it, unless inside a deeper one.
    fn close(&mut self, first: usize, opened: usize) {
        let span = Span::new(opened, self.pos);
        for c in self.out.commands.iter_mut().skip(first) {
            c.inside.get_or_insert(span);
        }
        self.depth -= 1;
    }

    /// Whether a `)` ends the pattern of a `case` item (`prod)`, `a|b)`).
    fn case_pattern_ends(&mut self, words: &[Word]) -> bool {
        let Some(Open::Case {
            branch,
            pattern_next,
            ..
        }) = self.open.last_mut()
        else {
            return false;
        };
        if !*pattern_next {
            return false;
        }
        let pattern: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        *branch = Some(pattern.join("|"));
        *pattern_next = false;
        true
    }

    fn end_case_item(&mut self) {
        if let Some(Open::Case {
            branch,
            pattern_next,
            ..
        }) = self.open.last_mut()
        {
            *branch = None;
            *pattern_next = true;
        }
    }

    /// Ends the command being read: its reserved words open and close compounds, the rest is
    /// a command.
    fn finish(&mut self, words: &mut Vec<Word>, nested: bool) {
        if self.out.error.is_some() {
            words.clear();
            return;
        }
        let mut rest = std::mem::take(words).into_iter().peekable();
        while let Some(w) = rest.next_if(|w| w.dynamic.is_none() && is_reserved(&w.text)) {
            let line = self.line_of(w.span.start);
            match w.text.as_str() {
                "if" => self.push_open(Open::If {
                    line,
                    arm: 0,
                    body: false,
                    otherwise: false,
                }),
                "then" | "elif" | "else" => {
                    if let Some(Open::If {
                        arm,
                        body,
                        otherwise,
                        ..
                    }) = self.open.last_mut()
                    {
                        match w.text.as_str() {
                            "then" => *body = true,
                            "elif" => {
                                *arm += 1;
                                *body = false;
                            }
                            _ => *otherwise = true,
                        }
                    }
                }
                "while" | "until" | "select" => {
                    self.push_open(Open::Loop(None));
                    // `select NAME in WORDS`: the rest of the line is not a command.
                    if w.text == "select" {
                        rest.by_ref().for_each(drop);
                    }
                }
                "for" => {
                    // `for NAME in WORDS`: the rest of the line is not a command.
                    let header: Vec<Word> = rest.by_ref().collect();
                    let binding = match header.as_slice() {
                        [name, tail @ ..] if name.dynamic.is_none() => {
                            let items = match tail {
                                [] => None,
                                [is_in, items @ ..] if is_in.text == "in" => Some(items.to_vec()),
                                _ => None,
                            };
                            let end = header.last().map_or(w.span.end, |h| h.span.end);
                            self.out.loops.push(ForLoop {
                                name: name.text.clone(),
                                items,
                                body: Span::new(end, self.text.len()),
                                line,
                            });
                            Some(self.out.loops.len() - 1)
                        }
                        _ => None,
                    };
                    self.push_open(Open::Loop(binding));
                }
                "case" => {
                    self.push_open(Open::Case {
                        line,
                        branch: None,
                        pattern_next: false,
                    });
                    if rest.by_ref().any(|w| w.text == "in")
                        && let Some(Open::Case { pattern_next, .. }) = self.open.last_mut()
                    {
                        *pattern_next = true;
                    }
                }
                "function" => {
                    rest.next();
                }
                "{" => self.push_open(Open::Group),
                "fi" | "done" | "esac" | "}" => {
                    if let Some(Open::Loop(Some(i))) = self.open.pop()
                        && let Some(l) = self.out.loops.get_mut(i)
                    {
                        l.body = Span::new(l.body.start, w.span.start);
                    }
                }
                _ => {}
            }
        }
        let words: Vec<Word> = rest.collect();
        if words.is_empty() {
            return;
        }
        // `name() {`: a function definition; its body is a group.
        if words.len() == 1
            && self.peek() == Some(b'(')
            && self.bytes.get(self.pos + 1) == Some(&b')')
        {
            return;
        }
        let branches = self
            .open
            .iter()
            .filter_map(|o| match o {
                // The condition of an `if` always runs; what comes after is one arm.
                Open::If {
                    line,
                    arm,
                    body,
                    otherwise,
                } => {
                    let branch = match (arm, body, otherwise) {
                        (_, _, true) => "else".to_owned(),
                        (0, false, _) => return None,
                        (0, true, _) => "then".to_owned(),
                        (n, _, _) => format!("elif {n}"),
                    };
                    Some(Condition::equals(
                        format!("the `if` at line {line}"),
                        branch,
                    ))
                }
                Open::Case {
                    line,
                    branch: Some(b),
                    ..
                } => Some(Condition::equals(
                    format!("the `case` at line {line}"),
                    b.clone(),
                )),
                _ => None,
            })
            .collect();
        let in_loop = self
            .open
            .iter()
            .any(|o| matches!(o, Open::Loop(_) | Open::Group));
        let loops = self
            .open
            .iter()
            .filter_map(|o| match o {
                Open::Loop(i) => *i,
                _ => None,
            })
            .collect();
        self.out.commands.push(Command {
            words,
            branches,
            nested: nested || in_loop || self.subshells > 0 || self.conditional,
            loops,
            inside: None,
        });
    }

    /// Skips the bodies of the here-documents opened on the line just ended.
    fn read_heredocs(&mut self) {
        for (delimiter, strip) in std::mem::take(&mut self.heredocs) {
            let body = self.pos;
            loop {
                if self.pos >= self.bytes.len() {
                    self.out.heredocs.push(Span::new(body, self.pos));
                    return;
                }
                let start = self.pos;
                let stop = memchr::memchr(b'\n', &self.bytes[start..])
                    .map_or(self.bytes.len(), |i| start + i);
                let line = self
                    .text
                    .get(start..stop)
                    .unwrap_or("")
                    .trim_end_matches('\r');
                let line = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                self.pos = (stop + 1).min(self.bytes.len());
                if line == delimiter {
                    self.out.heredocs.push(Span::new(body, start));
                    break;
                }
            }
        }
    }
}

/// The reserved words that open, continue or close compound commands.
fn is_reserved(word: &str) -> bool {
    matches!(
        word,
        "if" | "then"
            | "elif"
            | "else"
            | "fi"
            | "case"
            | "esac"
            | "for"
            | "select"
            | "while"
            | "until"
            | "do"
            | "done"
            | "function"
            | "{"
            | "}"
            | "!"
            | "time"
    )
}
