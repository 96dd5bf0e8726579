//! Where the comments of a file are, so that a suppression marker counts only in a real
//! comment: never inside a quoted string, a YAML block scalar or a heredoc.

use crate::source::{SourceFile, Span};

/// The comment spans of a file, by its syntax (JSON has none).
pub(crate) fn comment_spans(source: &SourceFile) -> Vec<Span> {
    let name = source
        .path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let text: &str = &source.text;
    if name.ends_with(".json") || text.trim_start().starts_with('{') {
        Vec::new()
    } else if name.ends_with(".tf") || name.ends_with(".tfvars") || name.ends_with(".hcl") {
        hcl(text)
    } else if name.ends_with(".iql") || name.ends_with(".sql") {
        sql(text)
    } else if super::shell::is_script(&name) {
        super::shell::comment_spans(text)
    } else {
        yaml(text)
    }
}

/// YAML: `#` at the start of a line or after a blank, outside quoted scalars and block
/// scalars (`|`, `>`), to the end of the line.
fn yaml(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut quote: Option<u8> = None;
    let mut block_indent: Option<usize> = None;
    for line in text.split_inclusive(['\n', '\r']) {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        if let Some(min) = block_indent {
            if body.trim().is_empty() || indent > min {
                continue;
            }
            block_indent = None;
        }
        let bytes = body.as_bytes();
        let mut i = 0;
        let mut comment = None;
        while i < bytes.len() {
            let b = bytes[i];
            match quote {
                Some(q) => {
                    if q == b'"' && b == b'\\' {
                        i += 1;
                    } else if b == q {
                        if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            quote = None;
                        }
                    }
                }
                None => match b {
                    b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => {
                        comment = Some(i);
                        break;
                    }
                    b'"' | b'\''
                        if i == 0
                            || matches!(
                                bytes[i - 1],
                                b' ' | b'\t' | b'[' | b'{' | b',' | b':' | b'-'
                            ) =>
                    {
                        quote = Some(b)
                    }
                    _ => {}
                },
            }
            i += 1;
        }
        let value = &body[..comment.unwrap_or(body.len())];
        if quote.is_none() && is_block_indicator(value) {
            block_indent = Some(indent);
        }
        if let Some(at) = comment {
            out.push(Span::new(start + at, start + body.len()));
        }
    }
    out
}

/// Whether a line's value opens a block scalar (`key: |`, `- >-`, `|2`).
fn is_block_indicator(value: &str) -> bool {
    let v = value.trim_end();
    let Some(pos) = v.rfind(['|', '>']) else {
        return false;
    };
    let (before, after) = (&v[..pos], &v[pos + 1..]);
    let before = before.trim_end();
    let last = before.rsplit([' ', '\t']).next().unwrap_or("");
    after
        .chars()
        .all(|c| matches!(c, '-' | '+') || c.is_ascii_digit())
        && (before.is_empty()
            || before.ends_with(':')
            || before.ends_with('-')
            || last.starts_with('!')
            || last.starts_with('&'))
}

/// HCL: `#`, `//` and `/* */` outside strings and heredocs.
fn hcl(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_string = false;
    let mut interpolation = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                    in_string = false;
                    interpolation += 1;
                    i += 1;
                }
                b'\n' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'}' if interpolation > 0 => {
                interpolation -= 1;
                in_string = true;
            }
            b'#' => {
                let end = line_end(bytes, i);
                out.push(Span::new(i, end));
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = line_end(bytes, i);
                out.push(Span::new(i, end));
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text
                    .get(i + 2..)
                    .and_then(|r| r.find("*/"))
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                out.push(Span::new(i, end));
                i = end;
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                i = heredoc_end(text, i).unwrap_or(i + 1);
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// SQL: `--` and `/* */` outside single-quoted strings.
fn sql(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if b == b'\'' {
                in_string = false;
            }
        } else if b == b'\'' {
            in_string = true;
        } else if b == b'-' && bytes.get(i + 1) == Some(&b'-') {
            let end = line_end(bytes, i);
            out.push(Span::new(i, end));
            i = end;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            let end = text
                .get(i + 2..)
                .and_then(|r| r.find("*/"))
                .map_or(bytes.len(), |e| i + 2 + e + 2);
            out.push(Span::new(i, end));
            i = end;
        }
        i += 1;
    }
    out
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(bytes.len(), |p| from + p)
}

/// The last byte of a heredoc starting at `<<`, if it is one that ends.
fn heredoc_end(text: &str, at: usize) -> Option<usize> {
    let rest = text.get(at + 2..)?;
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let id: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if id.is_empty() {
        return None;
    }
    let body = at + text.get(at..)?.find('\n')? + 1;
    let mut offset = body;
    for line in text.get(body..)?.split_inclusive('\n') {
        if line.trim() == id {
            return Some(offset + line.len() - 1);
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(name: &str, text: &str) -> Vec<String> {
        let src = SourceFile::in_memory(name, text);
        comment_spans(&src)
            .into_iter()
            .map(|s| text[s.start..s.end].to_owned())
            .collect()
    }

    #[test]
    fn yaml_comments_are_not_in_quotes_or_block_scalars() {
        let text = "a: 1 # real\nb: \"# not\"\nc: '# not ''either'''\nd: |\n  # inside a block\n  text\ne: 2 # real too\n";
        assert_eq!(marked("t.yaml", text), ["# real", "# real too"]);
        assert_eq!(marked("t.yaml", "url: http://x#frag\n# line\n"), ["# line"]);
    }

    #[test]
    fn hcl_comments_are_not_in_strings_or_heredocs() {
        let text =
            "a = \"# not\" # real\nb = <<EOF\n// inside\nEOF\n/* block */ c = \"${x} // not\"\n";
        assert_eq!(marked("m.tf", text), ["# real", "/* block */"]);
    }

    #[test]
    fn sql_comments_are_not_in_strings() {
        assert_eq!(marked("q.iql", "SELECT '-- not' -- real\n"), ["-- real"]);
    }
}
