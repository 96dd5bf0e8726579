//! Keeping secrets and over-long values out of what reports show.

/// Keeps a unit's secrets and long values out of report texts.
pub(crate) struct Redactor<'u> {
    pub(super) secrets: &'u std::collections::BTreeSet<String>,
    pub(super) long_values: Vec<String>,
}

impl Redactor<'_> {
    /// Whether there is anything to redact at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.secrets.is_empty() && self.long_values.is_empty()
    }

    /// The text with secrets replaced by `(sensitive)` and long values shortened.
    pub(crate) fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in self.secrets {
            out = replace_whole(&out, secret, "(sensitive)");
        }
        if out.chars().count() > MAX_SHOWN_VALUE {
            for value in &self.long_values {
                if out.contains(value.as_str()) {
                    let short: String = value.chars().take(MAX_SHOWN_VALUE - 1).collect();
                    out = out.replace(value.as_str(), &format!("{short}…"));
                }
            }
        }
        out
    }
}

/// Longest literal value shown in a report, in characters.
pub(crate) const MAX_SHOWN_VALUE: usize = 64;

/// Replaces `needle` in `text` where it stands as a whole value: not inside a longer word
/// or number (`1` is not replaced in `1..32766` or `MG001`).
pub(crate) fn replace_whole(text: &str, needle: &str, with: &str) -> String {
    if needle.is_empty() || !text.contains(needle) {
        return text.to_owned();
    }
    let glued =
        |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(needle) {
        let before = rest[..at]
            .chars()
            .next_back()
            .or_else(|| out.chars().next_back());
        let after = rest[at + needle.len()..].chars().next();
        out.push_str(&rest[..at]);
        if glued(before) || glued(after) {
            out.push_str(needle);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    out
}
