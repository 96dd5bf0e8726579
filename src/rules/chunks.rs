//! How large units are cut, and the scheduler that runs their evaluations on every core.
//!
//! A large unit is evaluated in parts of about [`CHUNK_SESSIONS`] sessions (see `parts`):
//! besides keeping the whole input out of memory, a part's input stays in cache (walking
//! the input of thousands of sessions once per rule is memory-bound: MG001 cost 13 µs a
//! session on 5,000 sessions, 3.5 µs on 10). [`CHUNK_VARIABLE`] sets the size, for the test
//! that pins parts to whole units. [`longest_first`] runs a large unit's evaluations on
//! every core.

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

/// Sessions per part of a large unit (see `parts`), or `None` when units are evaluated
/// whole ([`CHUNK_VARIABLE`] is 0).
pub(super) fn part_size() -> Option<usize> {
    match chunking() {
        Chunking::Off => None,
        Chunking::Every(n) => Some(n),
        Chunking::Large => Some(CHUNK_SESSIONS),
    }
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
