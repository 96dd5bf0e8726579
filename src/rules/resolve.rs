//! Maps a violation back to what the user wrote.
//!
//! A violation's `path` walks the rule input; the deepest object on the way that carries a
//! `ref` gives the span (the value itself, or the resource when a property is missing).
//! Conditions found on the way (`when` of an alternative, `conditions` of a session) are
//! appended to the message, so a finding in one `Fn::If` branch says which branch. The
//! input walked is the engine's value for the shipped rules (no JSON copy of a large unit
//! is kept) and the JSON for user rules: both are a [`Tree`].

use serde_json::Value as Json;

use crate::model::{Loc, Unit};
use crate::report::{Finding, Location, Related, stable_hash};

/// What resolving a path reads of the rule input.
pub(crate) trait Tree {
    /// The value at `key` of an object.
    fn key(&self, key: &str) -> Option<&Self>;
    /// The item at `index` of an array.
    fn item(&self, index: u64) -> Option<&Self>;
    /// The items of an array.
    fn items(&self) -> Option<Vec<&Self>>;
    fn text(&self) -> Option<&str>;
    fn number(&self) -> Option<u64>;
    fn boolean(&self) -> Option<bool>;
}

impl Tree for Json {
    fn key(&self, key: &str) -> Option<&Self> {
        self.get(key)
    }
    fn item(&self, index: u64) -> Option<&Self> {
        self.get(usize::try_from(index).ok()?)
    }
    fn items(&self) -> Option<Vec<&Self>> {
        Some(self.as_array()?.iter().collect())
    }
    fn text(&self) -> Option<&str> {
        self.as_str()
    }
    fn number(&self) -> Option<u64> {
        self.as_u64()
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
}

impl Tree for regorus::Value {
    fn key(&self, key: &str) -> Option<&Self> {
        match self {
            Self::Object(o) => o.get(&Self::from(key)),
            _ => None,
        }
    }
    fn item(&self, index: u64) -> Option<&Self> {
        match self {
            Self::Array(a) => a.get(usize::try_from(index).ok()?),
            _ => None,
        }
    }
    fn items(&self) -> Option<Vec<&Self>> {
        match self {
            Self::Array(a) => Some(a.iter().collect()),
            _ => None,
        }
    }
    fn text(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
    fn number(&self) -> Option<u64> {
        match self {
            Self::Number(n) => n.as_u64(),
            _ => None,
        }
    }
    fn boolean(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// A rule input and the location table its `ref` numbers index.
#[derive(Debug)]
pub(crate) struct Located<'a, T> {
    pub(crate) tree: &'a T,
    pub(crate) locs: &'a [Loc],
    /// When the input is a part of the unit's (see `parts`): which sessions it holds and
    /// the locations numbered after `locs`. Violation paths still name the unit's sessions.
    pub(crate) part: Option<Part<'a>>,
}

/// A part of a unit's rule input: some of its sessions, each at its place in `sessions`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Part<'a> {
    /// The unit's index of each session the part holds, in increasing order.
    pub(crate) sessions: &'a [usize],
    /// The locations of the part's sessions, numbered from the end of the shared table.
    pub(crate) locs: &'a [Loc],
}

impl<'a, T: Tree> Located<'a, T> {
    /// The whole input of a unit.
    pub(crate) fn whole(tree: &'a T, locs: &'a [Loc]) -> Self {
        Self {
            tree,
            locs,
            part: None,
        }
    }

    /// The location numbered `n`.
    fn loc(&self, n: u64) -> Option<Loc> {
        let n = usize::try_from(n).ok()?;
        match (self.locs.get(n), &self.part) {
            (Some(loc), _) => Some(*loc),
            (None, Some(part)) => part.locs.get(n - self.locs.len()).copied(),
            (None, None) => None,
        }
    }

    /// The item of the list `kind` that a path names by the unit's index `i`.
    fn item(&self, kind: &str, i: u64) -> Option<&'a T> {
        let i = match (&self.part, kind) {
            (Some(part), "sessions") => {
                let unit_index = usize::try_from(i).ok()?;
                part.sessions.binary_search(&unit_index).ok()? as u64
            }
            _ => i,
        };
        self.tree.key(kind)?.item(i)
    }
}

impl<T> Clone for Located<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Located<'_, T> {}

/// A resolved path: span, resource address, property text and conditions on the way.
struct Resolved {
    loc: crate::model::Loc,
    address: String,
    property: String,
    conditions: Vec<String>,
    /// Where the literal was written, when not at `loc`, and how it got there.
    origin: Option<crate::model::Origin>,
}

fn resolve<T: Tree>(unit: &Unit, input: Located<'_, T>, path: &[Json]) -> Result<Resolved, String> {
    let mut node = input.tree;
    let mut loc = None;
    let mut address = unit.name.clone();
    let mut property = Vec::new();
    let mut conditions = Vec::new();
    let mut origin = None;
    let note = |node: &T, conditions: &mut Vec<String>| {
        for key in ["when", "conditions"] {
            if let Some(cs) = node.key(key).and_then(T::items) {
                for c in cs {
                    let name = c.key("name").and_then(T::text).unwrap_or("");
                    let value = c.key("value");
                    let text = if value.and_then(T::boolean) == Some(false) {
                        format!("not {name}")
                    } else if let Some(v) = value.and_then(T::text) {
                        format!("{name} = {v}")
                    } else {
                        name.to_owned()
                    };
                    if !conditions.contains(&text) {
                        conditions.push(text);
                    }
                }
            }
        }
    };
    for (depth, step) in path.iter().enumerate() {
        let next = match (step, path.first()) {
            (Json::Number(n), Some(Json::String(kind))) if depth == 1 => {
                n.as_u64().and_then(|i| input.item(kind, i))
            }
            (Json::String(k), _) => node.key(k),
            (Json::Number(n), _) => n.as_u64().and_then(|i| node.item(i)),
            _ => None,
        };
        let Some(next) = next else {
            return Err(format!("path step {step} does not exist in the input"));
        };
        node = next;
        if depth == 1 && matches!(path.first(), Some(Json::String(s)) if s == "references") {
            // The session's address is read from the model: a part of the input need not
            // hold the session a reference is in.
            let owner = match node.key("session").and_then(T::number) {
                Some(i) => usize::try_from(i)
                    .ok()
                    .and_then(|i| unit.sessions.get(i))
                    .map(|s| s.address.as_str()),
                None => node
                    .key("resource")
                    .and_then(|r| {
                        let kind = r.key("kind").and_then(T::text)?;
                        let index = r.key("index").and_then(T::number)?;
                        input.item(kind, index)
                    })
                    .and_then(|o| o.key("address"))
                    .and_then(T::text),
            };
            if let Some(a) = owner {
                a.clone_into(&mut address);
            }
            property.push(format!(
                "reference {}",
                node.key("name").and_then(T::text).unwrap_or("")
            ));
        } else if depth == 1 {
            if let Some(a) = node.key("address").and_then(T::text) {
                a.clone_into(&mut address);
            }
        } else if depth >= 2 {
            match step {
                Json::String(k) => property.push(k.clone()),
                Json::Number(n) => {
                    if let Some(last) = property.last_mut() {
                        last.push_str(&format!("[{n}]"));
                    }
                }
                _ => {}
            }
        }
        note(node, &mut conditions);
        if let Some(r) = node.key("ref").and_then(T::number) {
            loc = input.loc(r);
            origin = node.key("origin").and_then(T::text).map(|how| {
                let at = node
                    .key("origin_ref")
                    .and_then(T::number)
                    .and_then(|i| input.loc(i));
                crate::model::Origin {
                    at,
                    how: how.to_owned(),
                    used: node.key("origin_used").and_then(T::boolean) == Some(true),
                }
            });
        }
    }
    let loc = loc.ok_or("path does not lead to a located value")?;
    Ok(Resolved {
        loc,
        address,
        property: property.join("."),
        conditions,
        origin,
    })
}

/// Whether a violation is about a live (existing, read-only) session or resource.
pub(super) fn about_live<T: Tree>(input: Located<'_, T>, v: &Json) -> bool {
    let Some(Json::Array(path)) = v.get("path") else {
        return false;
    };
    match path.as_slice() {
        [Json::String(kind), Json::Number(i), ..] => i
            .as_u64()
            .and_then(|i| input.item(kind, i))
            .and_then(|x| x.key("live"))
            .and_then(T::boolean)
            .unwrap_or(false),
        _ => false,
    }
}

/// The session a violation path starts at (`["sessions", 3, ...]`).
fn session_of(path: &[Json]) -> Option<usize> {
    match path {
        [Json::String(s), Json::Number(i), ..] if s == "sessions" => {
            usize::try_from(i.as_u64()?).ok()
        }
        _ => None,
    }
}

pub(super) fn path_of(v: &Json) -> Result<Vec<Json>, String> {
    match v.get("path") {
        Some(Json::Array(p)) => Ok(p.clone()),
        Some(_) => Err("`path` must be an array".into()),
        None => Err("`path` is missing".into()),
    }
}

pub(super) fn to_finding<T: Tree>(
    rule: &crate::rules::Rule,
    unit: &Unit,
    input: Located<'_, T>,
    v: &Json,
) -> Result<Finding, String> {
    let msg = v
        .get("msg")
        .and_then(Json::as_str)
        .ok_or("`msg` is missing")?;
    let r = resolve(unit, input, &path_of(v)?)?;
    let source = unit
        .files
        .get(r.loc.file)
        .cloned()
        .ok_or("bad file index")?;
    let mut message = msg.to_owned();
    let mut related = Vec::new();
    match &r.origin {
        Some(crate::model::Origin {
            at: Some(at),
            how,
            used,
        }) => {
            if let Some(src) = unit.files.get(at.file).cloned() {
                related.push(Related {
                    location: Location::new(src, at.span),
                    message: if *used {
                        how.clone()
                    } else {
                        format!("the value is written here ({how})")
                    },
                });
            }
        }
        Some(crate::model::Origin { at: None, how, .. }) => {
            message.push_str(&format!(" (from {how})"))
        }
        None => {}
    }
    // A finding that relates two declarations holds only when both exist: its conditions are
    // those of the offending value and of every related one.
    let related_items: Vec<(&Json, Resolved)> = match v.get("related") {
        Some(Json::Array(items)) => items
            .iter()
            .map(|item| Ok((item, resolve(unit, input, &path_of(item)?)?)))
            .collect::<Result<_, String>>()?,
        _ => Vec::new(),
    };
    let mut conditions = r.conditions.clone();
    for c in related_items.iter().flat_map(|(_, rr)| &rr.conditions) {
        if !conditions.contains(c) {
            conditions.push(c.clone());
        }
    }
    if !conditions.is_empty() {
        message.push_str(&format!(" (only when {})", conditions.join(" and ")));
    }
    for (item, rr) in related_items {
        let src = unit
            .files
            .get(rr.loc.file)
            .cloned()
            .ok_or("bad file index")?;
        let mut text = item
            .get("msg")
            .and_then(Json::as_str)
            .unwrap_or("related")
            .to_owned();
        if !rr.conditions.is_empty() {
            text.push_str(&format!(" (only when {})", rr.conditions.join(" and ")));
        }
        // Instances of one `count` resource share a span: one label listing them all.
        if let Some(same) = related
            .iter_mut()
            .find(|r| r.location.span == rr.loc.span && r.location.file() == src.display)
        {
            same.message.push_str("; ");
            same.message.push_str(&text);
        } else {
            related.push(Related {
                location: Location::new(src, rr.loc.span),
                message: text,
            });
        }
    }
    // A declaration inside a Terraform module: the calls that lead to it.
    if let Some(session) = session_of(&path_of(v)?).and_then(|i| unit.sessions.get(i)) {
        for call in &session.calls {
            if let Some(src) = unit.files.get(call.loc.file).cloned() {
                related.push(Related {
                    location: Location::new(src, call.loc.span),
                    message: format!("{} is called here", call.address),
                });
            }
        }
    }
    let fingerprint = stable_hash(&[&rule.meta.id, &source.display, &r.address, &r.property]);
    Ok(Finding {
        rule_id: rule.meta.id.clone(),
        severity: rule.meta.severity,
        message,
        location: Some(Location::new(source, r.loc.span)),
        address: r.address,
        property: r.property,
        related,
        fingerprint,
        suppression: None,
        fix: None,
        scope: None,
    })
}
