//! Large units that declare sessions only, evaluated in parts: no part holds the whole
//! input.
//!
//! As the engine's value, the input of one template of 50,000 sessions is about 220 MB,
//! as much again as everything else the run holds at that point. Few rules need the whole
//! input: what one of a rule's violations reads is declared (`custom.scope`, see
//! [`Scope`]). The rules of one session run together on chunks of sessions; the rules of
//! one group of `input.groups` together on chunks of groups, with the sessions those name;
//! the rules that read no session once, on the input without sessions. Each part's value
//! is built from the model when the part is evaluated and dropped after it, and its
//! violations are mapped back to findings against the part at once ([`Part`]), their
//! paths renumbered to name the unit's sessions. The parts run on every core, the longest
//! first. A rule of the whole unit (`scope: unit`) needs the whole input: such a unit is
//! evaluated whole (`eval`). The engines test compares both ways on every fixture, example
//! and generated corpus, in parts of one, seven and the default number of sessions
//! (`MIRRORGUARD_SESSION_CHUNK`).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::chunks::{longest_first, part_size};
use super::engine::{EngineKind, Evaluator};
use super::engine_input::ValueBuild;
use super::eval::{UnitResult, add_findings, violations_of};
use super::metadata::Scope;
use super::resolve::{Located, Part};
use super::{PER_GROUP_RULES, PER_SESSION_RULES, Rule, RuleSet};
use crate::error::{RunError, Subject};
use crate::model::links::Links;
use crate::model::{Loc, Unit};

/// Whether a large `unit` can be evaluated in parts: it declares sessions only (the rules
/// of the graph find nothing in it), no rule it runs reads the whole unit, and parts are
/// not turned off.
pub(super) fn applies(rules: &RuleSet, unit: &Unit) -> bool {
    unit.resources.is_empty()
        && part_size().is_some()
        && rules
            .engine_rules()
            .filter(|r| !r.meta.reads_graph())
            .all(|r| r.meta.scope != Scope::Unit)
}

/// One part of the evaluation.
enum Job {
    /// A rule that reads no session (its index in [`Shared::rules`]), on the input without
    /// sessions.
    Outside(usize),
    /// The group rules on these groups (each a kind's index in [`Shared::groups`] and the
    /// group's index in that kind), with the sessions they name; `first` for the first such
    /// part.
    Groups {
        groups: Vec<(usize, usize)>,
        first: bool,
    },
    /// The session rules on the sessions `start..end`.
    Sessions { start: usize, end: usize },
}

/// What one part found; `failed` holds the rules whose evaluation failed, with why.
#[derive(Default)]
struct Done {
    found: UnitResult,
    failed: Vec<(usize, String)>,
}

/// What every part reads.
struct Shared<'a> {
    rules: &'a RuleSet,
    kind: EngineKind,
    unit: &'a Unit,
    links: &'a Links,
    /// The shipped rules the unit runs: those that read no more than sessions.
    engine_rules: Vec<&'a Rule>,
    /// Every key of the input but `sessions`, as the engine's values.
    rest: Vec<(regorus::Value, regorus::Value)>,
    /// The locations the rest of the input numbers (from 0; a part's sessions number
    /// theirs after them).
    rest_locs: Vec<Loc>,
    /// `input.groups`: each kind's name and groups.
    groups: Vec<(String, Vec<Json>)>,
}

/// Evaluates the rules of `unit` in parts (see the module documentation).
pub(super) fn evaluate(
    rules: &RuleSet,
    kind: EngineKind,
    unit: &Unit,
    links: &Links,
) -> UnitResult {
    let (rest, rest_locs) = unit.rest_built(links);
    let mut build = ValueBuild::default();
    let mut groups = Vec::new();
    let rest: Vec<(regorus::Value, regorus::Value)> = rest
        .into_iter()
        .map(|(key, value)| {
            if key == "groups"
                && let Json::Object(kinds) = &value
            {
                groups = kinds
                    .iter()
                    .map(|(k, list)| (k.clone(), list.as_array().cloned().unwrap_or_default()))
                    .collect();
            }
            (regorus::Value::from(key.as_str()), build.value(&value))
        })
        .collect();
    drop(build);
    let shared = Shared {
        rules,
        kind,
        unit,
        links,
        engine_rules: rules
            .engine_rules()
            .filter(|r| !r.meta.reads_graph())
            .collect(),
        rest,
        rest_locs,
        groups,
    };
    let done = longest_first(&shared.jobs(), || None, |ev, job| shared.run(ev, job));
    let mut out = UnitResult::default();
    let mut failed: BTreeMap<usize, String> = BTreeMap::new();
    for d in done {
        out.findings.extend(d.found.findings);
        out.errors.extend(d.found.errors);
        for (rule, why) in d.failed {
            failed.entry(rule).or_insert(why);
        }
    }
    for (i, why) in failed {
        if let Some(rule) = shared.engine_rules.get(i) {
            out.errors.push(RunError::new(
                Subject::Rule,
                format!("rule {} on {}", rule.meta.id, unit.name),
                format!("failed: {why}"),
            ));
        }
    }
    // User rules read the whole input as JSON (out of process).
    if rules.user_rules().next().is_some() {
        out.input = Some(unit.to_input());
    }
    out
}

impl Shared<'_> {
    /// The indices of the rules of `scope`.
    fn of_scope(&self, scope: Scope) -> Vec<usize> {
        (0..self.engine_rules.len())
            .filter(|i| {
                self.engine_rules
                    .get(*i)
                    .is_some_and(|r| r.meta.scope == scope)
            })
            .collect()
    }

    /// The parts, the longest first: each rule that reads no session, the chunks of groups,
    /// the chunks of sessions (one empty chunk when there is no session, so that what the
    /// session rules find outside sessions is still found).
    fn jobs(&self) -> Vec<Job> {
        let size = part_size().unwrap_or(usize::MAX).max(1);
        let mut jobs: Vec<Job> = self
            .of_scope(Scope::OutsideSessions)
            .into_iter()
            .map(Job::Outside)
            .collect();
        let outside = jobs.len();
        if !self.of_scope(Scope::Group).is_empty() {
            let mut part = Vec::new();
            let mut members = 0;
            for (k, (_, list)) in self.groups.iter().enumerate() {
                for (g, group) in list.iter().enumerate() {
                    part.push((k, g));
                    members += group
                        .get("members")
                        .and_then(Json::as_array)
                        .map_or(0, Vec::len);
                    if members >= size {
                        jobs.push(Job::Groups {
                            groups: std::mem::take(&mut part),
                            first: false,
                        });
                        members = 0;
                    }
                }
            }
            if !part.is_empty() {
                jobs.push(Job::Groups {
                    groups: part,
                    first: false,
                });
            }
            if let Some(Job::Groups { first, .. }) = jobs.get_mut(outside) {
                *first = true;
            }
        }
        if !self.of_scope(Scope::Session).is_empty() {
            let n = self.unit.sessions.len();
            jobs.extend((0..n.max(1)).step_by(size).map(|start| Job::Sessions {
                start,
                end: start.saturating_add(size).min(n),
            }));
        }
        jobs
    }

    /// Evaluates one part with the worker's evaluator.
    fn run(&self, ev: &mut Option<Evaluator>, job: &Job) -> Done {
        let mut done = Done::default();
        match job {
            Job::Outside(rule) => {
                let input = self.input(regorus::Value::from(Vec::<regorus::Value>::new()), None);
                let located = self.located(&input, &[], &[]);
                self.evaluate(ev, &input, None, &[*rule], located, true, &mut done);
            }
            Job::Sessions { start, end } => {
                let indices: Vec<usize> = (*start..*end).collect();
                let (sessions, locs) = self.unit.sessions_built(
                    self.links,
                    &indices,
                    self.rest_locs.len(),
                    ValueBuild::default(),
                );
                let input = self.input(regorus::Value::from(sessions), None);
                let located = self.located(&input, &indices, &locs);
                let rules = self.of_scope(Scope::Session);
                let entry = Some(PER_SESSION_RULES);
                self.evaluate(ev, &input, entry, &rules, located, *start == 0, &mut done);
            }
            Job::Groups { groups, first } => {
                let (indices, groups) = self.groups_of(groups);
                let (sessions, locs) = self.unit.sessions_built(
                    self.links,
                    &indices,
                    self.rest_locs.len(),
                    ValueBuild::default(),
                );
                let groups = ValueBuild::default().value(&groups);
                let input = self.input(regorus::Value::from(sessions), Some(groups));
                let located = self.located(&input, &indices, &locs);
                let rules = self.of_scope(Scope::Group);
                let entry = Some(PER_GROUP_RULES);
                self.evaluate(ev, &input, entry, &rules, located, *first, &mut done);
            }
        }
        done
    }

    /// The sessions the `chosen` groups name (the unit's indices, in increasing order), and
    /// `input.groups` with only those groups, their members renumbered to the sessions'
    /// places in the part.
    fn groups_of(&self, chosen: &[(usize, usize)]) -> (Vec<usize>, Json) {
        let member_of = |m: &Json| m.get(0).and_then(Json::as_u64);
        let mut indices: Vec<usize> = chosen
            .iter()
            .filter_map(|(k, g)| self.groups.get(*k)?.1.get(*g))
            .filter_map(|g| g.get("members")?.as_array())
            .flatten()
            .filter_map(|m| usize::try_from(member_of(m)?).ok())
            .collect();
        indices.sort_unstable();
        indices.dedup();
        let mut kinds: serde_json::Map<String, Json> = self
            .groups
            .iter()
            .map(|(name, _)| (name.clone(), Json::Array(Vec::new())))
            .collect();
        for (k, g) in chosen {
            let Some((name, group)) = self
                .groups
                .get(*k)
                .and_then(|(name, list)| Some((name, list.get(*g)?)))
            else {
                continue;
            };
            let mut group = group.clone();
            if let Some(Json::Array(members)) = group.get_mut("members") {
                for m in members {
                    let local = member_of(m)
                        .and_then(|i| usize::try_from(i).ok())
                        .and_then(|i| indices.binary_search(&i).ok());
                    if let (Some(local), Some(slot)) = (local, m.get_mut(0)) {
                        *slot = Json::from(local);
                    }
                }
            }
            if let Some(Json::Array(list)) = kinds.get_mut(name) {
                list.push(group);
            }
        }
        (indices, Json::Object(kinds))
    }

    /// The input of a part: the rest of the unit's, these sessions, and these groups (else
    /// the unit's).
    fn input(&self, sessions: regorus::Value, groups: Option<regorus::Value>) -> regorus::Value {
        let mut object: BTreeMap<regorus::Value, regorus::Value> =
            self.rest.iter().cloned().collect();
        object.insert(regorus::Value::from("sessions"), sessions);
        if let Some(groups) = groups {
            object.insert(regorus::Value::from("groups"), groups);
        }
        regorus::Value::from(object)
    }

    fn located<'a>(
        &'a self,
        input: &'a regorus::Value,
        sessions: &'a [usize],
        locs: &'a [Loc],
    ) -> Located<'a, regorus::Value> {
        Located {
            tree: input,
            locs: &self.rest_locs,
            part: Some(Part { sessions, locs }),
        }
    }

    /// Evaluates `rules` on one part's `input`: together through `entry` when given, else
    /// (or when that fails) each alone, so that a failure costs only its own rule. Only the
    /// `first` part of a kind keeps the violations that are not about a session (every such
    /// part finds them).
    #[expect(
        clippy::too_many_arguments,
        reason = "one part's evaluation, all of it needed"
    )]
    fn evaluate(
        &self,
        ev: &mut Option<Evaluator>,
        input: &regorus::Value,
        entry: Option<&str>,
        rules: &[usize],
        located: Located<'_, regorus::Value>,
        first: bool,
        done: &mut Done,
    ) {
        let keep = |rule: &Rule, deny: &regorus::Value, done: &mut Done| match violations_of(
            rule, self.unit, deny,
        ) {
            Ok(violations) => {
                let violations = violations
                    .into_iter()
                    .filter_map(|v| renumbered(v, located.part, first))
                    .collect();
                add_findings(rule, self.unit, located, violations, &mut done.found);
            }
            Err(e) => done.found.errors.push(e),
        };
        let together = entry.and_then(|entry| {
            let e = self.evaluator(ev).ok()?;
            e.set_input(input.clone());
            let result = e.eval(entry);
            if result.is_err() {
                // A failed evaluation (a rule out of time) leaves nothing for the next.
                *ev = None;
            }
            result.ok()
        });
        if let Some(all) = together {
            for i in rules {
                let Some(rule) = self.engine_rules.get(*i) else {
                    continue;
                };
                let deny = all
                    .as_object()
                    .ok()
                    .and_then(|o| o.get(&regorus::Value::from(rule.meta.id.as_str())).cloned())
                    .unwrap_or(regorus::Value::Undefined);
                keep(rule, &deny, done);
            }
            return;
        }
        for i in rules {
            let Some(rule) = self.engine_rules.get(*i) else {
                continue;
            };
            let result = self.evaluator(ev).and_then(|e| {
                e.set_input(input.clone());
                e.eval(&rule.deny_path())
            });
            match result {
                Ok(deny) => keep(rule, &deny, done),
                Err(why) => {
                    *ev = None;
                    done.failed.push((*i, why));
                }
            }
        }
    }

    /// The worker's evaluator, made on first need.
    fn evaluator<'e>(&self, ev: &'e mut Option<Evaluator>) -> Result<&'e mut Evaluator, String> {
        if ev.is_none() {
            *ev = Some(self.rules.evaluator(self.kind)?);
        }
        ev.as_mut().ok_or_else(|| "no engine".to_owned())
    }
}

/// A part's violation with its paths renumbered to name the unit's sessions; `None` for a
/// violation not about a session when the part is not the `first` (the first keeps it).
fn renumbered(mut violation: Json, part: Option<Part<'_>>, first: bool) -> Option<Json> {
    let sessions = part.map_or(&[][..], |p| p.sessions);
    let about_session = |path: Option<&Json>| {
        path.and_then(Json::as_array)
            .and_then(|p| p.first())
            .and_then(Json::as_str)
            == Some("sessions")
    };
    if !first && !about_session(violation.get("path")) {
        return None;
    }
    let renumber = |path: Option<&mut Json>| {
        if let Some(Json::Array(path)) = path
            && path.first().and_then(Json::as_str) == Some("sessions")
            && let Some(slot) = path.get_mut(1)
            && let Some(unit_index) = slot
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| sessions.get(i))
        {
            *slot = Json::from(*unit_index);
        }
    };
    renumber(violation.get_mut("path"));
    if let Some(Json::Array(related)) = violation.get_mut("related") {
        for r in related {
            renumber(r.get_mut("path"));
        }
    }
    Some(violation)
}
