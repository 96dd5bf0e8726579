//! Sessions from `aws ec2 create-traffic-mirror-session` and `modify-traffic-mirror-session`
//! command lines: every option of the request, tag specifications in the CLI's shorthand
//! or JSON.

use serde_json::Value as Json;

use super::aws::{Call, Operation, shorthand_member, split_top};
use super::scan::{Command, Word};
use super::vars::{Item, Variables};
use crate::model::{Alt, Loc, Provider, Session, TagItem, TagSet};
use crate::parse::tree::{Node, NodeKind};
use crate::source::SourceFile;

/// The session a `create-traffic-mirror-session` (or `modify-…`) command declares.
pub(crate) fn session(
    command: &Command,
    call: &Call<'_>,
    address: String,
    vars: &Variables,
    items: &[Item<'_>],
) -> Session {
    let loc = |span| Loc { file: 0, span };
    let mut s = Session::new(address, "aws-cli-command", Provider::Aws, loc(call.op.span));
    s.partial = call.operation == Operation::ModifySession;
    s.conditions = command.branches.clone();
    crate::parse::cli_input::fill(&mut s, |_, option| call.field(option, vars, items));
    if let Some(o) = call.option("--tag-specifications") {
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
    if let Some(why) = w.unknown_reason(skip) {
        return Some(TagSet {
            loc: loc(w.span),
            when: Vec::new(),
            items: None,
            why,
        });
    }
    // JSON: read as `--cli-input-json` reads its `TagSpecifications`, each tag in place.
    if text.trim_start().starts_with(['[', '{']) {
        let json = SourceFile::in_memory("tag-specifications.json", text);
        let root = crate::parse::json::parse(&json).ok().flatten()?;
        let specs = match &root.kind {
            NodeKind::Seq(specs) => specs.as_slice(),
            _ => std::slice::from_ref(&root),
        };
        let at = |n: &Node| loc(w.span_of(skip + n.span.start, skip + n.span.end));
        return crate::parse::cli_input::tag_sets(specs, &at)
            .into_iter()
            .next();
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
