//! The query files of a manifest: the `/*+ create */` INSERT, its columns and expressions.

use crate::model::Prop;
use crate::source::Span;

use super::TABLES;

/// A query file's `/*+ create */` INSERT into a session table: columns and their expressions.
pub(crate) struct Insert {
    /// The table inserted into (`awscc.ec2.traffic_mirror_sessions`).
    pub(crate) table: &'static str,
    /// (column, expression text, expression span in the `.iql` file)
    pub(crate) columns: Vec<(String, String, Span)>,
}

/// Finds the INSERT INTO a session table in a query file.
pub(crate) fn find_insert(iql: &str) -> Option<Insert> {
    let lower = iql.to_ascii_lowercase();
    let (table_at, table) = TABLES
        .iter()
        .filter_map(|t| {
            let at = lower.find(&format!("insert into {t}"))?;
            // `…traffic_mirror_filters` must not match `…traffic_mirror_filter_rules`.
            let next = lower[at + "insert into ".len() + t.len()..].chars().next();
            (!next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')).then_some((at, *t))
        })
        .min()?;
    let open = table_at + lower[table_at..].find('(')?;
    let close = open + lower[open..].find(')')?;
    let columns: Vec<&str> = iql[open + 1..close].split(',').map(str::trim).collect();
    let select = close + lower[close..].find("select")? + "select".len();
    let end = [";", "returning", "/*+"]
        .iter()
        .filter_map(|stop| lower[select..].find(stop))
        .min()
        .map_or(iql.len(), |e| select + e);
    let exprs = split_top_level(&iql[select..end], select);
    Some(Insert {
        table,
        columns: columns
            .into_iter()
            .zip(exprs)
            .map(|(c, (text, span))| (c.to_owned(), text, span))
            .collect(),
    })
}

/// Splits a SELECT list on commas outside quotes, brackets and `{{ }}`, with spans.
fn split_top_level(text: &str, offset: usize) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let push = |out: &mut Vec<(String, Span)>, s: usize, e: usize| {
        let raw = &text[s..e];
        let trimmed = raw.trim();
        let lead = raw.len() - raw.trim_start().len();
        out.push((
            trimmed.to_owned(),
            Span::new(offset + s + lead, offset + s + lead + trimmed.len()),
        ));
    };
    for &(i, c) in &bytes {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                push(&mut out, start, i);
                start = i + 1;
            }
            _ => {}
        }
    }
    push(&mut out, start, text.len());
    out
}

/// What a column fills: a session property, or the tags.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    Prop(Prop),
    Tags,
}

pub(crate) fn column_of(column: &str) -> Option<Column> {
    if column.eq_ignore_ascii_case("tags") {
        return Some(Column::Tags);
    }
    Prop::from_any_name(column).map(Column::Prop)
}

/// `'{{ name }}'` or `{{ name | filter }}` naming exactly one variable: that name.
pub(crate) fn single_variable(expr: &str) -> Option<&str> {
    let e = expr.trim().trim_matches('\'').trim();
    let inner = e.strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let name = inner.split('|').next()?.trim();
    (!name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && inner.matches("{{").count() == 0)
        .then_some(name)
}
