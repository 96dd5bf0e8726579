//! A linear pre-scan of HCL text: brackets must balance and nest at most so deep.
//!
//! hcl-edit's parser backtracks: on unclosed or deeply nested `{`, `[` and `(` it can take
//! exponential time (found by fuzzing: 350 bytes with 26 unclosed braces took a minute).
//! This scanner knows HCL's comments (`#`, `//`, `/* */`), quoted strings with `${ }`
//! interpolations (which may hold strings of their own) and heredocs, so it only counts
//! real brackets; input it rejects would fail to parse anyway, with a clearer message.

/// What is wrong with the brackets: the byte offset and the message.
pub(crate) type Problem = (usize, String);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Code,
    String,
}

/// Checks bracket balance and nesting depth.
pub(crate) fn check(text: &str, max_depth: usize) -> Result<(), Problem> {
    let bytes = text.as_bytes();
    // Open brackets: (byte, offset, the mode to return to when it closes an interpolation).
    let mut stack: Vec<(u8, usize, bool)> = Vec::new();
    let mut mode = Mode::Code;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match mode {
            Mode::String => match b {
                b'\\' => i += 1,
                b'"' => mode = Mode::Code,
                // `${` opens an interpolation; `$${` is an escaped, literal `${`.
                b'$' | b'%'
                    if bytes.get(i + 1) == Some(&b'{')
                        && bytes.get(i.wrapping_sub(1)) != Some(&b) =>
                {
                    stack.push((b'{', i + 1, true));
                    mode = Mode::Code;
                    i += 1;
                }
                b'\n' => return Err((i, "string is not closed on its line".into())),
                _ => {}
            },
            Mode::Code => match b {
                b'"' => mode = Mode::String,
                b'#' => i = skip_line(bytes, i),
                b'/' if bytes.get(i + 1) == Some(&b'/') => i = skip_line(bytes, i),
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    match text.get(i + 2..).and_then(|rest| rest.find("*/")) {
                        Some(end) => i += end + 3,
                        None => return Err((i, "`/*` comment is never closed".into())),
                    }
                }
                // Each heredoc is scanned once: one that never ends is an error now, instead
                // of a rescan from every later `<<` (quadratic on hostile input).
                b'<' if bytes.get(i + 1) == Some(&b'<') => match heredoc_end(text, i) {
                    Heredoc::End(end) => i = end,
                    Heredoc::NotOne => {}
                    Heredoc::Unterminated(id) => {
                        return Err((i, format!("heredoc <<{id} is never closed")));
                    }
                },
                b'{' | b'[' | b'(' => {
                    stack.push((b, i, false));
                    if stack.len() > max_depth {
                        return Err((i, format!("HCL nested deeper than {max_depth} levels")));
                    }
                }
                b'}' | b']' | b')' => {
                    let want = match b {
                        b'}' => b'{',
                        b']' => b'[',
                        _ => b'(',
                    };
                    match stack.pop() {
                        Some((open, _, interpolation)) if open == want => {
                            if interpolation {
                                mode = Mode::String;
                            }
                        }
                        Some((open, at, _)) => {
                            return Err((
                                i,
                                format!(
                                    "`{}` closes `{}` opened at byte {at}",
                                    char::from(b),
                                    char::from(open)
                                ),
                            ));
                        }
                        None => return Err((i, format!("`{}` closes nothing", char::from(b)))),
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    if mode == Mode::String {
        return Err((bytes.len(), "string is not closed".into()));
    }
    match stack.last() {
        Some((open, at, _)) => Err((*at, format!("`{}` is never closed", char::from(*open)))),
        None => Ok(()),
    }
}

fn skip_line(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| i + p)
}

/// What follows a `<<`.
enum Heredoc {
    /// A heredoc whose last byte is at this offset.
    End(usize),
    /// Not a heredoc (no identifier).
    NotOne,
    /// A heredoc whose closing line never comes.
    Unterminated(String),
}

/// The end of a heredoc starting at `<<` (`<<EOF`, `<<-EOF`).
fn heredoc_end(text: &str, at: usize) -> Heredoc {
    let Some(rest) = text.get(at + 2..) else {
        return Heredoc::NotOne;
    };
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let id: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if id.is_empty() {
        return Heredoc::NotOne;
    }
    let Some(body_start) = text
        .get(at..)
        .and_then(|t| t.find('\n'))
        .map(|n| at + n + 1)
    else {
        return Heredoc::Unterminated(id);
    };
    let mut offset = body_start;
    for line in text.get(body_start..).unwrap_or("").split_inclusive('\n') {
        if line.trim() == id {
            return Heredoc::End(offset + line.len() - 1);
        }
        offset += line.len();
    }
    Heredoc::Unterminated(id)
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn real_hcl_passes() {
        let text = "# { in a comment\nresource \"a\" \"b\" { // ( too\n  x = \"${lookup(var.m, \"k}\")}\"\n  y = [1, (2)]\n  /* ] */\n  z = <<-EOF\n    {{{ unbalanced in a heredoc\n  EOF\n  w = \"%{ if true }x%{ endif }\"\n}\n";
        assert_eq!(check(text, 64), Ok(()));
    }

    #[test]
    fn many_unterminated_heredocs_are_one_error_found_at_once() {
        let text = "x = <<EOF\n".repeat(100_000);
        let start = std::time::Instant::now();
        let err = check(&text, 64).expect_err("unterminated");
        assert!(err.1.contains("never closed"), "{}", err.1);
        assert_eq!(err.0, 4);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn unclosed_and_mismatched_brackets_are_found_fast() {
        assert!(check("a = {b+{c", 64).is_err_and(|(at, m)| at == 7 && m.contains("never closed")));
        assert!(check("a = [1)", 64).is_err());
        assert!(check("a = }", 64).is_err());
        assert!(check(&"{".repeat(100), 64).is_err_and(|(_, m)| m.contains("deeper")));
        let fuzzed =
            "toms=saau+l*{sav%aveau+l*{s=saau+l*{sav%aveau+l*{sms=sa*vav%{m*evava%".repeat(20);
        assert!(check(&fuzzed, 64).is_err());
    }
}
