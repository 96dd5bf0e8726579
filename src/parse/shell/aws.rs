//! `aws ec2 create-traffic-mirror-session` and `modify-traffic-mirror-session` command
//! lines into sessions: the options as the AWS CLI reads them (`--name value`,
//! `--name=value`, global options anywhere, list options taking every word up to the next
//! option), tag specifications in the CLI's shorthand or JSON.

use serde_json::Value as Json;

use super::scan::{Command, Word};
use super::vars::{Item, Variables};
use crate::model::{Alt, Loc, Provider, Session, TagItem, TagSet};
use crate::parse::numeric;

/// The two requests that declare a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Create,
    Modify,
}

impl Operation {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Create => "create-traffic-mirror-session",
            Self::Modify => "modify-traffic-mirror-session",
        }
    }
}

/// Options of the `aws` command itself that take a value.
const GLOBAL_WITH_VALUE: &[&str] = &[
    "--region",
    "--profile",
    "--output",
    "--query",
    "--endpoint-url",
    "--color",
    "--ca-bundle",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--cli-binary-format",
];

/// Options that take no value.
const FLAGS: &[&str] = &[
    "--debug",
    "--no-verify-ssl",
    "--no-paginate",
    "--no-sign-request",
    "--no-cli-pager",
    "--cli-auto-prompt",
    "--no-cli-auto-prompt",
    "--dry-run",
    "--no-dry-run",
];

/// Options whose value is a list: every word up to the next option.
const LISTS: &[&str] = &["--tag-specifications", "--remove-fields"];

/// Commands that print their arguments rather than run them.
const PRINTERS: &[&str] = &["echo", "printf", "print", "cat", "logger"];

/// An option as written: its name, and its value words (`--name=value` gives one word
/// whose value starts after the `=`: `skip` bytes).
pub(crate) struct Opt<'a> {
    name: &'a Word,
    values: Vec<(&'a Word, usize)>,
}

/// The operation a command runs and its options, when it is one of the two.
pub(crate) fn call(command: &Command) -> Option<(Operation, &Word, Vec<Opt<'_>>)> {
    // The AWS CLI run directly or by another command (`sudo`, `env A=b`, `timeout 60`,
    // `xargs -I{}`), never one printed (`echo aws …`).
    let mut words = command.words.iter().skip_while(|w| is_assignment(w));
    if words
        .clone()
        .next()
        .is_some_and(|w| PRINTERS.contains(&w.text.as_str()))
    {
        return None;
    }
    let is_cli = |w: &&Word| {
        w.dynamic.is_none()
            && ["aws", "awslocal"]
                .iter()
                .any(|p| w.text == *p || w.text.strip_suffix(p).is_some_and(|d| d.ends_with('/')))
    };
    words.find(is_cli)?;
    let rest: Vec<&Word> = words.collect();
    let mut i = 0;
    let mut positional = Vec::new();
    let mut options: Vec<Opt<'_>> = Vec::new();
    while let Some(w) = rest.get(i) {
        i += 1;
        let Some(name) = w
            .text
            .strip_prefix("--")
            .filter(|_| w.dynamic.is_none() || w.text.contains('='))
        else {
            positional.push(*w);
            continue;
        };
        if let Some(eq) = name.find('=') {
            options.push(Opt {
                name: w,
                values: vec![(w, eq + 3)],
            });
            continue;
        }
        let full = w.text.as_str();
        let takes = |n: &Word| !n.text.starts_with("--");
        let mut values = Vec::new();
        if FLAGS.contains(&full) {
        } else if full == "--generate-cli-skeleton" {
            // It prints a skeleton and creates nothing.
            return None;
        } else if LISTS.contains(&full) {
            while let Some(v) = rest.get(i).filter(|v| takes(v)) {
                values.push((*v, 0));
                i += 1;
            }
        } else if let Some(v) = rest
            .get(i)
            .filter(|v| takes(v) || GLOBAL_WITH_VALUE.contains(&full))
        {
            values.push((*v, 0));
            i += 1;
        }
        options.push(Opt { name: w, values });
    }
    let [service, op, more @ ..] = positional.as_slice() else {
        return None;
    };
    // `aws ec2 create-traffic-mirror-session help` prints the manual.
    if more.first().is_some_and(|w| w.text == "help") {
        return None;
    }
    if service.dynamic.is_some() || service.text != "ec2" || op.dynamic.is_some() {
        return None;
    }
    let operation = match op.text.as_str() {
        "create-traffic-mirror-session" => Operation::Create,
        "modify-traffic-mirror-session" => Operation::Modify,
        _ => return None,
    };
    Some((operation, *op, options))
}

/// `NAME=value`.
pub(crate) fn is_assignment(w: &Word) -> bool {
    let Some(eq) = w.text.find('=') else {
        return false;
    };
    let name = &w.text[..eq];
    !name.is_empty()
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The session one command declares.
pub(crate) fn session(
    command: &Command,
    operation: Operation,
    op: &Word,
    options: &[Opt<'_>],
    address: String,
    vars: &Variables,
    items: &[Item<'_>],
) -> Session {
    let loc = |span| Loc { file: 0, span };
    let mut s = Session::new(address, "aws-cli-command", Provider::Aws, loc(op.span));
    s.partial = operation == Operation::Modify;
    s.conditions = command.branches.clone();
    // What the command line leaves out may come from an input file or the prompt.
    let input_file = options.iter().find(|o| {
        matches!(
            o.name.text.split('=').next(),
            Some("--cli-input-json" | "--cli-input-yaml" | "--cli-auto-prompt")
        )
    });
    let option = |name: &str| {
        options.iter().rev().find(|o| {
            o.name.text == name || o.name.text.split_once('=').is_some_and(|(n, _)| n == name)
        })
    };
    let field = |name: &str| -> Vec<Alt> {
        match option(name) {
            Some(o) => match o.values.first() {
                Some((w, skip)) => vec![vars.value(w, *skip, items)],
                None => vec![Alt::unknown(
                    loc(o.name.span),
                    format!("{name} is given no value"),
                )],
            },
            None => input_file
                .map(|f| {
                    vec![Alt::unknown(
                        loc(f.name.span),
                        format!("given by {}", f.name.text.split('=').next().unwrap_or("")),
                    )]
                })
                .unwrap_or_default(),
        }
    };
    s.network_interface_id = field("--network-interface-id");
    s.traffic_mirror_target_id = field("--traffic-mirror-target-id");
    s.traffic_mirror_filter_id = field("--traffic-mirror-filter-id");
    s.session_number = numeric(field("--session-number"));
    s.packet_length = numeric(field("--packet-length"));
    s.virtual_network_id = numeric(field("--virtual-network-id"));
    s.description = field("--description");
    if let Some(o) = option("--tag-specifications") {
        for (w, skip) in &o.values {
            if let Some(tags) = tag_set(w, *skip) {
                s.tags.push(tags);
            }
        }
    }
    s
}

/// The tags a `--tag-specifications` value gives the session (`None` for another resource
/// type's, or a value that is not literal).
fn tag_set(w: &Word, skip: usize) -> Option<TagSet> {
    let loc = |span| Loc { file: 0, span };
    let text = w.text.get(skip..)?;
    if w.dynamic.is_some() {
        return Some(TagSet {
            loc: loc(w.span),
            when: Vec::new(),
            items: None,
            why: format!("{} ({text})", w.dynamic.unwrap_or_default()),
        });
    }
    if text.trim_start().starts_with(['[', '{']) {
        let json: Json = serde_json::from_str(text).ok()?;
        let specs = match json {
            Json::Array(a) => a,
            other => vec![other],
        };
        let spec = specs.into_iter().find(|s| {
            s.get("ResourceType")
                .and_then(Json::as_str)
                .is_none_or(|t| t == "traffic-mirror-session")
        })?;
        let items = spec
            .get("Tags")
            .and_then(Json::as_array)
            .map(|tags| {
                tags.iter()
                    .map(|t| TagItem {
                        loc: loc(w.span),
                        key: Alt::known(loc(w.span), t.get("Key").cloned().unwrap_or(Json::Null)),
                        value: Alt::known(
                            loc(w.span),
                            t.get("Value")
                                .cloned()
                                .unwrap_or(Json::String(String::new())),
                        ),
                    })
                    .collect()
            })
            .unwrap_or_default();
        return Some(TagSet {
            loc: loc(w.span),
            when: Vec::new(),
            items: Some(items),
            why: String::new(),
        });
    }
    // Shorthand: ResourceType=traffic-mirror-session,Tags=[{Key=a,Value=b},{Key=c,Value=d}]
    let resource_type = shorthand_member(text, "ResourceType").map(|(s, e)| &text[s..e]);
    if resource_type.is_some_and(|t| t != "traffic-mirror-session") {
        return None;
    }
    let (start, end) = shorthand_member(text, "Tags")?;
    let list = &text[start..end];
    let body = list
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .unwrap_or(list);
    let body_start = start + usize::from(list.starts_with('['));
    let mut items = Vec::new();
    let mut offset = 0;
    for item in split_top(body, ',') {
        let at = body_start + offset;
        offset += item.len() + 1;
        let inner = item.trim().trim_start_matches('{').trim_end_matches('}');
        let inner_at = at + item.find(inner).unwrap_or(0);
        let member =
            |name: &str| shorthand_member(inner, name).map(|(s, e)| (inner_at + s, inner_at + e));
        let span_at = |(s, e): (usize, usize)| loc(w.span_of(s + skip, e + skip));
        let key =
            member("Key").map(|r| Alt::known(span_at(r), Json::String(text[r.0..r.1].to_owned())));
        let value = member("Value")
            .map(|r| Alt::known(span_at(r), Json::String(text[r.0..r.1].to_owned())));
        let here = span_at((at, at + item.len()));
        items.push(TagItem {
            loc: here,
            key: key.unwrap_or_else(|| Alt::known(here, Json::Null)),
            value: value.unwrap_or_else(|| Alt::known(here, Json::String(String::new()))),
        });
    }
    Some(TagSet {
        loc: loc(w.span),
        when: Vec::new(),
        items: Some(items),
        why: String::new(),
    })
}

/// The byte range of `name=VALUE` among the top-level comma-separated members of `text`.
fn shorthand_member(text: &str, name: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for part in split_top(text, ',') {
        let at = offset;
        offset += part.len() + 1;
        let lead = part.len() - part.trim_start().len();
        if let Some(v) = part
            .trim_start()
            .strip_prefix(name)
            .and_then(|r| r.strip_prefix('='))
        {
            let start = at + lead + name.len() + 1;
            return Some((start, start + v.trim_end().len()));
        }
    }
    None
}

/// `text` cut at each `sep` outside brackets and braces.
fn split_top(text: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut level = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '[' | '{' => level += 1,
            ']' | '}' => level -= 1,
            c if c == sep && level == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}
