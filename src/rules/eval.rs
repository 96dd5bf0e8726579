//! Evaluates the rules on one unit and maps what they return back to source spans.
//!
//! A violation's `path` walks the rule input; the deepest object on the way that carries a
//! `ref` gives the span (the value itself, or the resource when a property is missing).
//! Conditions found on the way (`when` of an alternative, `conditions` of a session) are
//! appended to the message, so a finding in one `Fn::If` branch says which branch.

use serde_json::Value as Json;

use super::RuleSet;
use super::engine::{EngineKind, Evaluator};
use crate::error::{RunError, Subject};
use crate::model::{Alt, Prop, RuleInput, Unit, Val};
use crate::report::{Finding, Location, Related, Skipped, stable_hash};

/// What evaluating one unit produced.
#[derive(Debug, Default)]
pub(crate) struct UnitResult {
    pub(crate) findings: Vec<Finding>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) errors: Vec<RunError>,
    /// The rule input, kept when user rules still have to run on it (out of process).
    pub(crate) input: Option<RuleInput>,
}

/// Units with at least this many sessions evaluate their rules in parallel.
const LARGE_UNIT: usize = 256;

/// A worker's evaluators, made on first need: the session rules' and every rule's, on each
/// engine.
#[derive(Default)]
pub(crate) struct Engines {
    slots: [Option<Evaluator>; 4],
}

impl Engines {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The evaluator for a unit: the session rules' when it declares sessions only.
    fn for_unit(
        &mut self,
        rules: &RuleSet,
        sessions_only: bool,
        kind: EngineKind,
    ) -> Result<&mut Evaluator, String> {
        // Slots: session rules on the interpreter, on the VM; all rules on each.
        let slot = usize::from(!sessions_only) * 2 + usize::from(kind == EngineKind::Compiled);
        let cell = self
            .slots
            .get_mut(slot)
            .ok_or_else(|| "no engine".to_owned())?;
        if cell.is_none() {
            *cell = Some(if sessions_only {
                rules.evaluator(kind)?
            } else {
                rules.full_evaluator(kind)?
            });
        }
        cell.as_mut().ok_or_else(|| "no engine".to_owned())
    }
}

/// Inputs of at least this many sessions convert them to the engine's value on every core.
const PARALLEL_VALUES: usize = 1024;

/// The rule input as the engine's value. Converted by reference: a clone of the JSON input
/// would double the peak memory of a large unit (the input of 50,000 sessions is hundreds
/// of megabytes). A large input's sessions are converted in parallel.
fn engine_value(json: &Json) -> regorus::Value {
    let convert =
        |j: &Json| serde::Deserialize::deserialize(j).unwrap_or(regorus::Value::Undefined);
    let Json::Object(top) = json else {
        return convert(json);
    };
    match top.get("sessions") {
        Some(Json::Array(sessions)) if sessions.len() >= PARALLEL_VALUES => {
            use rayon::prelude::*;
            let mut object = std::collections::BTreeMap::new();
            for (key, value) in top.iter().filter(|(k, _)| *k != "sessions") {
                object.insert(regorus::Value::from(key.as_str()), convert(value));
            }
            let sessions: Vec<regorus::Value> = sessions.par_iter().map(convert).collect();
            object.insert(
                regorus::Value::from("sessions"),
                regorus::Value::from(sessions),
            );
            regorus::Value::from(object)
        }
        _ => convert(json),
    }
}

/// Runs every rule of `rules` on `unit` with the worker's engines.
pub(crate) fn evaluate(rules: &RuleSet, engines: &mut Engines, unit: &Unit) -> UnitResult {
    let mut out = UnitResult::default();
    if unit.sessions.is_empty() && unit.resources.is_empty() && unit.references.is_empty() {
        out.skipped.extend(super::unknowns::opaque(rules, unit));
        return out;
    }
    let links = unit.links();
    let input = unit.to_input_with(&links);
    let value = engine_value(&input.json);
    let sessions_only = unit.resources.is_empty();
    let kind = rules.engine_for(unit.sessions.len() + unit.resources.len(), sessions_only);
    let engine = match engines.for_unit(rules, sessions_only, kind) {
        Ok(e) => e,
        Err(e) => {
            out.errors.push(RunError::new(
                Subject::Rule,
                format!("rules on {}", unit.name),
                format!("the rule engine could not be prepared: {e}"),
            ));
            return out;
        }
    };
    // A large unit (one template of thousands of sessions) is one job: its rules run in
    // parallel, each on its own copy of the engine, so both cores work on it. Small units
    // take one evaluation for every rule (the per-call overhead dominates small inputs).
    let large = unit.sessions.len() >= LARGE_UNIT
        || matches!(super::chunks::chunking(), super::chunks::Chunking::Every(_));
    let per_rule: Vec<Option<regorus::Value>> = if large {
        use rayon::prelude::*;
        // Rules that judge one session at a time run on chunks of sessions (see `chunks`).
        let chunked = sessions_only
            .then(|| super::chunks::per_session_results(rules, kind, &value))
            .flatten();
        let rego: Vec<&super::Rule> = rules.engine_rules().collect();
        rego.par_iter()
            .map(|rule| {
                if sessions_only && rule.meta.reads_graph() {
                    return Some(regorus::Value::new_set());
                }
                if let Some(found) = chunked.as_ref().filter(|_| rule.meta.per_session) {
                    let list = found.get(&rule.meta.id).cloned().unwrap_or_default();
                    return Some(regorus::Value::from(Json::Array(list)));
                }
                let mut e = if sessions_only {
                    rules.evaluator(kind).ok()?
                } else {
                    rules.full_evaluator(kind).ok()?
                };
                e.set_input(value.clone());
                e.eval(&rule.deny_path()).ok()
            })
            .collect()
    } else {
        engine.set_input(value.clone());
        let all = if rules.all_enabled() {
            engine.eval(super::ALL_RULES).ok()
        } else {
            None
        };
        rules
            .engine_rules()
            .map(|rule| {
                if sessions_only && rule.meta.reads_graph() {
                    // Nothing of the graph to read: no violation, nothing to evaluate.
                    return Some(regorus::Value::new_set());
                }
                all.as_ref()
                    .and_then(|a| a.as_object().ok())
                    .and_then(|o| o.get(&regorus::Value::from(rule.meta.id.as_str())).cloned())
            })
            .collect()
    };
    // When an evaluation failed, each rule alone, so that one broken or runaway rule costs
    // only its own results (and its error names it).
    engine.set_input(value);
    for (rule, precomputed) in rules.engine_rules().zip(per_rule) {
        if sessions_only && rule.meta.reads_graph() {
            continue;
        }
        let result = match precomputed {
            Some(v) => Ok(v),
            None => engine.eval(&rule.deny_path()),
        };
        let value = match result {
            Ok(v) => v,
            Err(e) => {
                out.errors.push(RunError::new(
                    Subject::Rule,
                    format!("rule {} on {}", rule.meta.id, unit.name),
                    format!("failed: {e}"),
                ));
                continue;
            }
        };
        let violations = match serde_json::to_value(&value) {
            Ok(Json::Array(items)) => items,
            Ok(Json::Null) => Vec::new(),
            Ok(Json::String(s)) if s == "<undefined>" => Vec::new(),
            Ok(other) => {
                out.errors.push(RunError::new(
                    Subject::Rule,
                    format!("rule {} on {}", rule.meta.id, unit.name),
                    format!("deny must be a set, got {other}"),
                ));
                continue;
            }
            Err(e) => {
                out.errors.push(RunError::new(
                    Subject::Rule,
                    format!("rule {} on {}", rule.meta.id, unit.name),
                    e.to_string(),
                ));
                continue;
            }
        };
        for v in violations {
            // What already exists in the account is only ever the other party of a finding.
            if about_live(&input, &v) {
                continue;
            }
            match to_finding(rule, unit, &input, &v) {
                Ok(mut f) => {
                    if let Ok(path) = path_of(&v) {
                        f.fix = super::fixes::fix_for(&rule.meta.id, unit, &path);
                    }
                    out.findings.push(f);
                }
                Err(message) => out.errors.push(RunError::new(
                    Subject::Rule,
                    format!("rule {} on {}", rule.meta.id, unit.name),
                    format!("returned an unusable violation ({message}): {v}"),
                )),
            }
        }
    }
    out.skipped = skipped_checks(rules, unit);
    out.skipped.extend(super::unknowns::opaque(rules, unit));
    out.skipped
        .extend(super::unknowns::hidden_collisions(rules, unit));
    out.skipped
        .extend(super::graph_skips::graph_skips(rules, unit, &links));
    redact(unit, &mut out.findings, &mut out.skipped);
    if rules.user_rules().next().is_some() {
        out.input = Some(input);
    }
    out
}

/// Turns what a user rule returned for one unit into findings (or errors).
pub(crate) fn user_rule_results(
    rule: &super::Rule,
    unit: &Unit,
    input: &RuleInput,
    deny: &Json,
) -> UnitResult {
    let mut out = UnitResult::default();
    let name = format!("rule {} on {}", rule.meta.id, unit.name);
    let violations = match deny {
        Json::Array(items) => items.as_slice(),
        Json::Null => &[],
        Json::String(s) if s == "<undefined>" => &[],
        other => {
            out.errors.push(RunError::new(
                Subject::Rule,
                name,
                format!("deny must be a set, got {other}"),
            ));
            return out;
        }
    };
    for v in violations {
        match to_finding(rule, unit, input, v) {
            Ok(f) => out.findings.push(f),
            Err(message) => out.errors.push(RunError::new(
                Subject::Rule,
                name.clone(),
                format!("returned an unusable violation ({message}): {v}"),
            )),
        }
    }
    redact(unit, &mut out.findings, &mut []);
    out
}

/// Keeps the unit's secrets and long values out of what is reported about it.
fn redact(unit: &Unit, findings: &mut [Finding], skipped: &mut [Skipped]) {
    if findings.is_empty() && skipped.is_empty() {
        return;
    }
    let redactor = unit.redactor();
    if redactor.is_empty() {
        return;
    }
    for f in findings {
        f.message = redactor.apply(&f.message);
        for r in &mut f.related {
            r.message = redactor.apply(&r.message);
        }
    }
    for s in skipped {
        s.reason = redactor.apply(&s.reason);
    }
}

/// A resolved path: span, resource address, property text and conditions on the way.
struct Resolved {
    loc: crate::model::Loc,
    address: String,
    property: String,
    conditions: Vec<String>,
    /// Where the literal was written, when not at `loc`, and how it got there.
    origin: Option<crate::model::Origin>,
}

fn resolve(unit: &Unit, input: &RuleInput, path: &[Json]) -> Result<Resolved, String> {
    let mut node = &input.json;
    let mut loc = None;
    let mut address = unit.name.clone();
    let mut property = Vec::new();
    let mut conditions = Vec::new();
    let mut origin = None;
    let note = |node: &Json, conditions: &mut Vec<String>| {
        for key in ["when", "conditions"] {
            if let Some(Json::Array(cs)) = node.get(key) {
                for c in cs {
                    let name = c.get("name").and_then(Json::as_str).unwrap_or("");
                    let text = match c.get("value") {
                        Some(Json::Bool(false)) => format!("not {name}"),
                        Some(Json::String(v)) => format!("{name} = {v}"),
                        _ => name.to_owned(),
                    };
                    if !conditions.contains(&text) {
                        conditions.push(text);
                    }
                }
            }
        }
    };
    for (depth, step) in path.iter().enumerate() {
        let next = match step {
            Json::String(k) => node.get(k.as_str()),
            Json::Number(n) => n.as_u64().and_then(|i| node.get(usize::try_from(i).ok()?)),
            _ => None,
        };
        let Some(next) = next else {
            return Err(format!("path step {step} does not exist in the input"));
        };
        node = next;
        if depth == 1 && matches!(path.first(), Some(Json::String(s)) if s == "references") {
            let owner = match (node.get("session"), node.get("resource")) {
                (Some(Json::Number(i)), _) => i
                    .as_u64()
                    .and_then(|i| input.json.get("sessions")?.get(usize::try_from(i).ok()?)),
                (_, Some(Json::Object(r))) => r
                    .get("kind")
                    .and_then(Json::as_str)
                    .zip(r.get("index").and_then(Json::as_u64))
                    .and_then(|(k, i)| input.json.get(k)?.get(usize::try_from(i).ok()?)),
                _ => None,
            };
            if let Some(a) = owner.and_then(|o| o.get("address")).and_then(Json::as_str) {
                a.clone_into(&mut address);
            }
            property.push(format!(
                "reference {}",
                node.get("name").and_then(Json::as_str).unwrap_or("")
            ));
        } else if depth == 1 {
            if let Some(a) = node.get("address").and_then(Json::as_str) {
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
        if let Some(r) = node.get("ref").and_then(Json::as_u64) {
            loc = usize::try_from(r)
                .ok()
                .and_then(|i| input.locs.get(i))
                .copied();
            origin = node.get("origin").and_then(Json::as_str).map(|how| {
                let at = node
                    .get("origin_ref")
                    .and_then(Json::as_u64)
                    .and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| input.locs.get(i))
                    .copied();
                crate::model::Origin {
                    at,
                    how: how.to_owned(),
                    used: node.get("origin_used").and_then(Json::as_bool) == Some(true),
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
fn about_live(input: &RuleInput, v: &Json) -> bool {
    let Some(Json::Array(path)) = v.get("path") else {
        return false;
    };
    match path.as_slice() {
        [Json::String(kind), Json::Number(i), ..] => i
            .as_u64()
            .and_then(|i| input.json.get(kind)?.get(usize::try_from(i).ok()?))
            .and_then(|x| x.get("live"))
            .and_then(Json::as_bool)
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

fn path_of(v: &Json) -> Result<Vec<Json>, String> {
    match v.get("path") {
        Some(Json::Array(p)) => Ok(p.clone()),
        Some(_) => Err("`path` must be an array".into()),
        None => Err("`path` is missing".into()),
    }
}

fn to_finding(
    rule: &super::Rule,
    unit: &Unit,
    input: &RuleInput,
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
    let mut conditions = r.conditions.clone();
    if let Some(Json::Array(items)) = v.get("related") {
        for item in items {
            let rr = resolve(unit, input, &path_of(item)?)?;
            for c in rr.conditions {
                if !conditions.contains(&c) {
                    conditions.push(c);
                }
            }
        }
    }
    if !conditions.is_empty() {
        message.push_str(&format!(" (only when {})", conditions.join(" and ")));
    }
    if let Some(Json::Array(items)) = v.get("related") {
        for item in items {
            let rr = resolve(unit, input, &path_of(item)?)?;
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

/// Lists the checks each unknown value hides, by the rules' declared inputs.
fn skipped_checks(rules: &RuleSet, unit: &Unit) -> Vec<Skipped> {
    let mut out = Vec::new();
    for s in &unit.sessions {
        for (prop, alts) in s.fields() {
            let field = prop.input_name();
            let hidden: Vec<String> = rules
                .rego_rules()
                .filter(|r| r.meta.inputs.iter().any(|i| i == field))
                .map(|r| r.meta.id.clone())
                .collect();
            if hidden.is_empty() {
                continue;
            }
            for alt in alts {
                if let Some(reason) = hides_checks(prop, alt) {
                    let Some(source) = unit.files.get(alt.loc.file).cloned() else {
                        continue;
                    };
                    out.push(Skipped {
                        location: Location::new(source, alt.loc.span),
                        address: s.address.clone(),
                        property: field.to_owned(),
                        reason,
                        rules: hidden.clone(),
                    });
                }
            }
        }
    }
    out
}

/// Whether an alternative hides the checks of its property: an unknown value always; a
/// reference only where the check needs the literal (numbers), not an identity.
fn hides_checks(prop: Prop, alt: &Alt) -> Option<String> {
    match &alt.val {
        Val::Unknown(why) => Some(why.clone()),
        Val::Symbol { why, .. } if prop.is_number() => Some(why.clone()),
        _ => None,
    }
}
