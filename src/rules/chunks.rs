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
//! [`longest_first`] runs a large unit's evaluations (each unit-wide rule, then the chunks)
//! on every core.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::PER_SESSION_RULES;
use super::engine::Evaluator;

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
pub(super) type Violations = Vec<(String, Vec<Json>)>;

/// A unit's input cut into chunks of sessions: each chunk is the input with only its
/// sessions.
pub(super) struct Chunks {
    /// The input's entries (`sessions` is replaced by each chunk's).
    entries: Vec<(regorus::Value, regorus::Value)>,
    sessions: Vec<regorus::Value>,
    size: usize,
}

impl Chunks {
    /// The chunks of `input` that [`CHUNK_VARIABLE`] asks for; `None` when chunks are off
    /// (or the input has no list of sessions).
    pub(super) fn of(input: &regorus::Value) -> Option<Self> {
        let size = match chunking() {
            Chunking::Off => return None,
            Chunking::Every(n) => n,
            Chunking::Large => CHUNK_SESSIONS,
        };
        let object = input.as_object().ok()?;
        let sessions = object
            .get(&regorus::Value::from("sessions"))?
            .as_array()
            .ok()?
            .to_vec();
        Some(Self {
            entries: object.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            sessions,
            size,
        })
    }

    /// Where each chunk starts (a session index).
    pub(super) fn starts(&self) -> Vec<usize> {
        (0..self.sessions.len()).step_by(self.size.max(1)).collect()
    }

    /// The violations of every per-session rule on the chunk that starts at `start`, their
    /// paths shifted to the unit's session numbers; `None` when the evaluation failed.
    pub(super) fn evaluate(&self, evaluator: &mut Evaluator, start: usize) -> Option<Violations> {
        let end = start.saturating_add(self.size).min(self.sessions.len());
        let sessions_key = regorus::Value::from("sessions");
        let mut part: BTreeMap<regorus::Value, regorus::Value> =
            self.entries.iter().cloned().collect();
        part.insert(
            sessions_key,
            regorus::Value::from(self.sessions.get(start..end)?.to_vec()),
        );
        evaluator.set_input(regorus::Value::from(part));
        let result = evaluator.eval(PER_SESSION_RULES).ok()?;
        let Json::Object(by_rule) = serde_json::to_value(&result).ok()? else {
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
    }
}

/// The violations of every chunk, by rule id, in chunk order (findings are sorted later).
/// `None` when a chunk failed: the caller then evaluates those rules on the whole input,
/// rule by rule.
pub(super) fn merge(
    chunks: impl IntoIterator<Item = Option<Violations>>,
) -> Option<BTreeMap<String, Vec<Json>>> {
    let mut merged: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    for chunk in chunks {
        for (id, list) in chunk? {
            merged.entry(id).or_default().extend(list);
        }
    }
    Some(merged)
}

/// Runs `jobs` on every core, taking them in the order given: a worker takes the next job
/// as soon as it is free, so that long jobs given first (a unit-wide rule over thousands of
/// sessions) start early and short ones (chunks) fill in around them, and no core waits
/// alone on a long job at the end. `init` makes a worker's state (its evaluator). The
/// results are in the order of `jobs`.
pub(super) fn longest_first<J: Sync, S, R: Send>(
    jobs: &[J],
    init: impl Fn() -> S + Sync,
    run: impl Fn(&mut S, &J) -> R + Sync,
) -> Vec<R> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().clamp(1, jobs.len().max(1));
    let done: Vec<Vec<(usize, R)>> = (0..workers)
        .into_par_iter()
        .with_max_len(1)
        .map(|_| {
            let mut state = init();
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else {
                    return done;
                };
                done.push((i, run(&mut state, job)));
            }
        })
        .collect();
    let mut all: Vec<(usize, R)> = done.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
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

#[cfg(test)]
mod tests {
    use super::longest_first;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Every job runs once, whichever worker takes it, and the results come back in the
    /// order of the jobs (a unit-wide rule's result must stay that rule's).
    #[test]
    fn longest_first_runs_each_job_once_and_keeps_the_job_order() {
        let jobs: Vec<u64> = (0..500).collect();
        let runs = AtomicUsize::new(0);
        let results = longest_first(
            &jobs,
            || 0usize,
            |taken, job| {
                *taken += 1;
                runs.fetch_add(1, Ordering::Relaxed);
                // Uneven jobs: the first ones are long.
                let spins = if *job < 4 { 200_000 } else { 100 };
                (0..spins).fold(*job, |acc, k| acc.wrapping_add(k % 2)) - spins / 2
            },
        );
        assert_eq!(results, jobs);
        assert_eq!(runs.load(Ordering::Relaxed), jobs.len());
        assert!(longest_first(&[] as &[u64], || (), |(), j| *j).is_empty());
    }
}
