//! Which shell variables have one value a reader can be sure of.
//!
//! `$NAME` is known only when the script sets it exactly once, at its top level (not in a
//! branch, loop, function or command substitution), to a literal (`NAME=1`, `export NAME=1`,
//! `readonly NAME=1`), before the use, the name appears nowhere else in the script (no
//! `read NAME`, `for NAME in`, `NAME+=…`, `local NAME`, …), and nothing after the assignment
//! can set it unseen (`source`, `.`, `eval`). Every other variable is unknown: its value
//! comes from the environment, a command's output or an order mirrorguard does not follow.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::scan::{Command, Word, is_name};
use crate::model::{Alt, Loc, Origin};
use crate::source::Span;

/// What a sure variable holds.
#[derive(Debug)]
enum Value {
    /// A literal.
    Literal(String),
    /// The id a command of the script prints when it creates something: that thing's
    /// identity (`$(create-traffic-mirror-target #1)`).
    Created(String),
}

/// The variables of one script with a known value.
#[derive(Debug, Default)]
pub(crate) struct Variables {
    known: HashMap<String, Known>,
}

#[derive(Debug)]
struct Known {
    value: Value,
    /// The value as written in the assignment.
    span: Span,
    /// Where the assignment ends: a use before it is unknown.
    after: usize,
}

impl Variables {
    /// Finds the variables of `commands` (of `text`) that have one sure value. `created`
    /// gives the identity of what the command substitutions that create something create,
    /// by the substitution's span (`$(…)` as written).
    pub(crate) fn of(text: &str, commands: &[Command], created: &HashMap<Span, String>) -> Self {
        let mut candidates: HashMap<String, Option<Known>> = HashMap::new();
        let mut reruns: Vec<usize> = Vec::new();
        for c in commands {
            let mut words = c.words.iter().peekable();
            let first = words.peek().map(|w| w.text.as_str());
            if matches!(first, Some("source" | "." | "eval")) {
                reruns.push(c.words.first().map_or(0, |w| w.span.start));
                continue;
            }
            let declares = matches!(first, Some("export" | "readonly"));
            if declares {
                words.next();
            }
            let all_assignments = c
                .words
                .iter()
                .skip(usize::from(declares))
                .all(Word::is_assignment);
            for w in words.filter(|w| w.is_assignment()) {
                let Some((name, _)) = w.text.split_once('=') else {
                    continue;
                };
                let start = name.len() + 1;
                let span = w.span_of(start, w.text.len());
                let value = match w.dynamic {
                    None => Some(Value::Literal(w.text[start..].to_owned())),
                    // `ID=$(aws ec2 create-… --output text)`: the id of what it creates.
                    Some(_) => created.get(&span).cloned().map(Value::Created),
                };
                let sure =
                    all_assignments && c.branches.is_empty() && !c.nested && !w.text.contains("+=");
                let known = value.filter(|_| sure).map(|value| Known {
                    value,
                    span,
                    after: w.span.end,
                });
                candidates
                    .entry(name.to_owned())
                    .and_modify(|k| *k = None)
                    .or_insert(known);
            }
        }
        let known = candidates
            .into_iter()
            .filter_map(|(name, k)| Some((name, k?)))
            .filter(|(name, k)| {
                !reruns.iter().any(|&r| r > k.after) && occurrences(text, name) == 1
            })
            .collect();
        Self { known }
    }

    /// The variables that hold the id of what `identity` names (`$(create-… #1)`).
    pub(crate) fn holding(&self, identity: &str) -> impl Iterator<Item = &str> {
        self.known
            .iter()
            .filter_map(move |(name, k)| match &k.value {
                Value::Created(id) if id == identity => Some(name.as_str()),
                _ => None,
            })
    }

    /// The value of a word (from byte `skip` of its text on): a literal, a variable with a
    /// sure value (the assignment is its origin), or unknown.
    pub(crate) fn value(&self, w: &Word, skip: usize, items: &[Item<'_>]) -> Alt {
        let loc = |span| Loc { file: 0, span };
        let here = loc(if skip == 0 {
            w.span
        } else {
            w.span_of(skip, w.text.len())
        });
        // The innermost loop of a name wins.
        if skip == 0
            && let Some(name) = &w.variable
            && let Some(item) = items.iter().rev().find(|i| i.name == name)
        {
            let mut alt = Alt::known(here, Json::String(item.word.text.clone()));
            alt.origin = Some(Origin::at(
                loc(item.word.span),
                format!("item of the `for` loop at line {}", item.line),
            ));
            return alt;
        }
        if w.dynamic.is_none() {
            return Alt::known(
                here,
                Json::String(w.text.get(skip..).unwrap_or("").to_owned()),
            );
        }
        if skip == 0
            && let Some(name) = &w.variable
            && let Some(k) = self.known.get(name).filter(|k| k.after <= w.span.start)
        {
            return match &k.value {
                Value::Literal(v) => {
                    let mut alt = Alt::known(here, Json::String(v.clone()));
                    alt.origin = Some(Origin::at(loc(k.span), format!("shell variable {name}")));
                    alt
                }
                Value::Created(id) => Alt::symbol(
                    here,
                    id.clone(),
                    format!(
                        "${name} is the id the script's {} prints when it runs",
                        creator(id)
                    ),
                ),
            };
        }
        Alt::unknown(here, w.unknown_reason(skip).unwrap_or_default())
    }
}

/// The identity of what the command at `address` (`create-traffic-mirror-target #1`)
/// creates: the id it prints, `$(create-traffic-mirror-target #1)`.
pub(crate) fn created_by(address: &str) -> String {
    format!("$({address})")
}

/// The address of the command that creates what `identity` names (see [`created_by`]).
fn creator(identity: &str) -> &str {
    identity
        .strip_prefix("$(")
        .and_then(|i| i.strip_suffix(')'))
        .unwrap_or(identity)
}

/// The item a `for` loop gives its variable in one copy of a command.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item<'a> {
    pub(crate) name: &'a str,
    pub(crate) word: &'a Word,
    /// The line of the loop.
    pub(crate) line: usize,
}

/// How often `name` appears in `text` as a whole word, not counting its expansions (`$NAME`,
/// `${NAME}`).
pub(super) fn occurrences(text: &str, name: &str) -> usize {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, name.as_bytes())
        .filter(|&at| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + name.len()).copied();
            let expansion =
                before == Some(b'$') || (before == Some(b'{') && at >= 2 && bytes[at - 2] == b'$');
            !before.is_some_and(is_name) && !after.is_some_and(is_name) && !expansion
        })
        .count()
}
