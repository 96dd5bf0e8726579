//! Object constructors that repeat a key (`{ http = {…}, http = {…} }`).
//!
//! Terraform accepts them and keeps the last value (HCL's object constructor expression;
//! hashicorp/terraform#28727 asks for a warning), while hcl-edit's parser refuses them, which
//! would make a valid configuration an error. The parse is retried with each repeated key
//! renamed to a placeholder of the same length, so that every span still points into the file
//! as written; then the placeholder's value replaces the earlier one under the real key.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, Object, ObjectKey};
use hcl_edit::parser::Error;
use hcl_edit::structure::Body;
use hcl_edit::visit_mut::{VisitMut, visit_object_mut};
use hcl_edit::{Ident, Span};

/// What hcl-edit says of a repeated key.
const REPEATED_KEY: &str = "found redefined object key";

/// At most this many repeated keys, and placeholder retries, in one file.
pub(super) const MAX_RENAMES: usize = 64;

/// At most this many bytes parsed again, all retries together: a file that repeats keys
/// without end costs a bounded number of parses, then is reported as hcl-edit reports it.
const MAX_REPARSED_BYTES: usize = 64 << 20;

/// Parses `text`, accepting repeated object keys as Terraform does. `offset_of` turns a parse
/// error into the byte offset it points at.
pub(super) fn parse_body(text: &str, offset_of: impl Fn(&Error) -> usize) -> Result<Body, Error> {
    let mut copy: Option<String> = None;
    // Renamed key's offset -> the key as written.
    let mut renamed: BTreeMap<usize, ObjectKey> = BTreeMap::new();
    // Each placeholder is a new one: two renamed keys of one object never collide, and one
    // that is already a key of its object is replaced by the next.
    let mut attempts = 0;
    loop {
        let error = match hcl_edit::parser::parse_body(copy.as_deref().unwrap_or(text)) {
            Ok(mut body) => {
                if !renamed.is_empty() {
                    Restore { renamed: &renamed }.visit_body_mut(&mut body);
                }
                return Ok(body);
            }
            Err(e) => e,
        };
        attempts += 1;
        if !is_repeated_key(&error)
            || attempts > MAX_RENAMES
            || attempts.saturating_mul(text.len()) > MAX_REPARSED_BYTES
        {
            return Err(error);
        }
        let at = offset_of(&error);
        let copy = copy.get_or_insert_with(|| text.to_owned());
        let Some(key) = rename(copy, at, attempts) else {
            return Err(error);
        };
        // A second rename at one offset keeps the key as first written.
        renamed.entry(at).or_insert(key);
    }
}

/// Whether hcl-edit refused a repeated key of an object constructor.
pub(super) fn is_repeated_key(error: &Error) -> bool {
    error.message().contains(REPEATED_KEY)
}

/// Writes a placeholder of the same byte length over the key at `at` in `text`; returns the
/// key as written, or `None` for a key this cannot rename (an expression in parentheses, an
/// empty string).
fn rename(text: &mut String, at: usize, attempt: usize) -> Option<ObjectKey> {
    let bytes = text.as_bytes();
    let (range, key) = match bytes.get(at)? {
        b'"' => {
            let end = string_end(bytes, at)?;
            let Ok(expr @ Expression::String(_)) = hcl_edit::parser::parse_expr(text.get(at..end)?)
            else {
                return None;
            };
            (at + 1..end - 1, ObjectKey::Expression(expr))
        }
        b if b.is_ascii_alphabetic() || *b == b'_' || !b.is_ascii() => {
            let len = bytes[at..]
                .iter()
                .take_while(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-') || !b.is_ascii()
                })
                .count();
            let name = text.get(at..at + len)?;
            (
                at..at + len,
                ObjectKey::Ident(Ident::try_new(name).ok()?.into()),
            )
        }
        _ => return None,
    };
    if range.is_empty() {
        return None;
    }
    let placeholder = placeholder(range.len(), attempt);
    text.replace_range(range, &placeholder);
    Some(key)
}

/// The offset just past the closing quote of the string starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            b'\n' => return None,
            _ => i += 1,
        }
    }
    None
}

/// An identifier of `len` ASCII letters, a different one for each attempt.
fn placeholder(len: usize, attempt: usize) -> String {
    let mut n = attempt;
    let mut out = vec![b'Q'; len];
    for b in out.iter_mut().rev() {
        *b = b'A' + (n % 26) as u8;
        n /= 26;
        if n == 0 {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Moves each renamed key's value under the key as written, replacing the earlier value: the
/// last one wins, as in Terraform.
struct Restore<'a> {
    renamed: &'a BTreeMap<usize, ObjectKey>,
}

impl VisitMut for Restore<'_> {
    fn visit_object_mut(&mut self, node: &mut Object) {
        visit_object_mut(self, node);
        let moved: Vec<(ObjectKey, ObjectKey)> = node
            .iter()
            .filter_map(|(key, _)| {
                let start = match key {
                    ObjectKey::Ident(i) => i.span()?.start,
                    ObjectKey::Expression(e) => e.span()?.start,
                };
                let written = self.renamed.get(&start)?;
                Some((key.clone(), written.clone()))
            })
            .collect();
        for (placeholder, written) in moved {
            if let Some(value) = node.remove(&placeholder) {
                node.insert(written, value);
            }
        }
    }
}
