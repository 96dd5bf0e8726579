//! Large units evaluated in chunks of sessions.
//!
//! A rule that judges each session on its own (`custom.scope: session`) finds the same on a
//! unit as on its sessions taken a few at a time. On one template of thousands of sessions,
//! walking the whole input once per rule is memory-bound (the input no longer fits in the
//! cache: MG001 costs 13 µs a session on 5,000 sessions, 3.5 µs on 10), so those rules run
//! together ([`PER_SESSION_RULES`]) on chunks of [`CHUNK_SESSIONS`] sessions, on every core.
//! Each chunk's violation paths (`["sessions", i, ...]`) are shifted back to the unit's
//! session numbers, so the findings are the ones evaluating the whole unit gives; a test
//! compares both on every fixture and generated corpus (`MIRRORGUARD_SESSION_CHUNK`).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::engine::EngineKind;
use super::{PER_SESSION_RULES, RuleSet};

/// Sessions per chunk: small enough for a chunk's input to stay in cache, large enough
/// for the evaluation's fixed cost not to count.
const CHUNK_SESSIONS: usize = 128;

/// The environment variable that sets the chunks (a diagnostic, for the test that pins
/// chunked results to whole ones): `0` evaluates every unit whole; `N` evaluates every unit
/// in chunks of `N` sessions, however small the unit.
pub(crate) const CHUNK_VARIABLE: &str = "MIRRORGUARD_SESSION_CHUNK";

/// How units are chunked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Chunking {
    /// Large units, in chunks of [`CHUNK_SESSIONS`] (the default).
    Large,
    /// No unit.
    Off,
    /// Every unit, in chunks of this many sessions.
    Every(usize),
}

/// The chunking [`CHUNK_VARIABLE`] asks for.
pub(super) fn chunking() -> Chunking {
    match std::env::var(CHUNK_VARIABLE)
        .ok()
        .map(|v| v.parse::<usize>())
    {
        Some(Ok(0)) => Chunking::Off,
        Some(Ok(n)) => Chunking::Every(n),
        _ => Chunking::Large,
    }
}

/// One chunk's violations, by rule id.
type Violations = Vec<(String, Vec<Json>)>;

/// The violations of every per-session rule on the sessions of `input`, by rule id, in
/// chunk order (findings are sorted later). `None` when an evaluation failed: the caller
/// then evaluates those rules on the whole input, rule by rule.
pub(super) fn per_session_results(
    rules: &RuleSet,
    kind: EngineKind,
    input: &regorus::Value,
) -> Option<BTreeMap<String, Vec<Json>>> {
    use rayon::prelude::*;
    let chunk = match chunking() {
        Chunking::Off => return None,
        Chunking::Every(n) => n,
        Chunking::Large => CHUNK_SESSIONS,
    };
    let object = input.as_object().ok()?;
    let sessions_key = regorus::Value::from("sessions");
    let sessions: Vec<regorus::Value> = object
        .get(&sessions_key)?
        .as_array()
        .ok()?
        .iter()
        .cloned()
        .collect();
    let starts: Vec<usize> = (0..sessions.len()).step_by(chunk).collect();
    let results: Vec<Option<Violations>> = starts
        .par_iter()
        .map_init(
            || rules.evaluator(kind).ok(),
            |evaluator, &start| {
                let evaluator = evaluator.as_mut()?;
                let end = start.saturating_add(chunk).min(sessions.len());
                let mut part: BTreeMap<regorus::Value, regorus::Value> =
                    object.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                let slice = sessions.get(start..end)?.to_vec();
                part.insert(sessions_key.clone(), regorus::Value::from(slice));
                evaluator.set_input(regorus::Value::from(part));
                let result = evaluator.eval(PER_SESSION_RULES).ok()?;
                let by_rule = serde_json::to_value(&result).ok()?;
                let Json::Object(by_rule) = by_rule else {
                    return None;
                };
                Some(
                    by_rule
                        .into_iter()
                        .map(|(id, violations)| {
                            let mut list = match violations {
                                Json::Array(items) => items,
                                _ => Vec::new(),
                            };
                            list.iter_mut().for_each(|v| shift_sessions(v, start));
                            (id, list)
                        })
                        .collect(),
                )
            },
        )
        .collect();
    let mut merged: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    for chunk in results {
        for (id, list) in chunk? {
            merged.entry(id).or_default().extend(list);
        }
    }
    Some(merged)
}

/// Shifts the session number of a violation's `path` and of each `related` path.
fn shift_sessions(violation: &mut Json, offset: usize) {
    let shift = |path: Option<&mut Json>| {
        if let Some(Json::Array(path)) = path
            && path.first().and_then(Json::as_str) == Some("sessions")
            && let Some(n) = path.get(1).and_then(Json::as_u64)
            && let Some(slot) = path.get_mut(1)
        {
            *slot = Json::from(n.saturating_add(offset as u64));
        }
    };
    shift(violation.get_mut("path"));
    if let Some(Json::Array(related)) = violation.get_mut("related") {
        for r in related {
            shift(r.get_mut("path"));
        }
    }
}
