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
use super::eval::{UnitResult, add_findings, deny_of_each, violations_of};
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

/// One part of the evaluation. A group is named by its kind's index in [`Shared::groups`]
/// and its own index in that kind.
enum Job {
    /// A rule that reads no session (its index in [`Shared::engine_rules`]), on the input
    /// without sessions.
    Outside(usize),
    /// The group rules on groups whose members fall in different chunks of sessions, with
    /// the sessions they name.
    Groups(Vec<(usize, usize)>),
    /// The sessions `start..end`: the session rules on them, and the group rules on the
    /// `groups` whose members all fall among them.
    Sessions {
        start: usize,
        end: usize,
        groups: Vec<(usize, usize)>,
    },
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
    /// Every key of the input but `sessions` and `groups`, as the engine's values.
    rest: Vec<(regorus::Value, regorus::Value)>,
    /// The locations the rest of the input numbers (from 0; a part's sessions number
    /// theirs after them).
    rest_locs: Vec<Loc>,
    /// `input.groups`: each kind's name and groups.
    groups: Vec<(String, Vec<Json>)>,
    /// The indices in `engine_rules` of the rules of each scope parts are cut for.
    session_rules: Vec<usize>,
    group_rules: Vec<usize>,
    outside_rules: Vec<usize>,
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
    // Each part has groups of its own: the unit's are kept as JSON to cut from.
    let rest: Vec<(regorus::Value, regorus::Value)> = rest
        .into_iter()
        .filter_map(|(key, value)| {
            if key == "groups" {
                if let Json::Object(kinds) = value {
                    groups = kinds
                        .into_iter()
                        .map(|(k, list)| match list {
                            Json::Array(list) => (k, list),
                            _ => (k, Vec::new()),
                        })
                        .collect();
                }
                return None;
            }
            Some((regorus::Value::from(key.as_str()), build.value(&value)))
        })
        .collect();
    drop(build);
    let engine_rules: Vec<&Rule> = rules
        .engine_rules()
        .filter(|r| !r.meta.reads_graph())
        .collect();
    let scoped = |scope: Scope| -> Vec<usize> {
        engine_rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.meta.scope == scope)
            .map(|(i, _)| i)
            .collect()
    };
    let (session_rules, group_rules, outside_rules) = (
        scoped(Scope::Session),
        scoped(Scope::Group),
        scoped(Scope::OutsideSessions),
    );
    let shared = Shared {
        rules,
        kind,
        unit,
        links,
        engine_rules,
        rest,
        rest_locs,
        groups,
        session_rules,
        group_rules,
        outside_rules,
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
    fn of_scope(&self, scope: Scope) -> &[usize] {
        match scope {
            Scope::Session => &self.session_rules,
            Scope::Group => &self.group_rules,
            Scope::OutsideSessions => &self.outside_rules,
            Scope::Unit => &[],
        }
    }

    /// The parts, the longest first: each rule that reads no session, the groups that cross
    /// chunks of sessions (in chunks of their own), the chunks of sessions with the groups
    /// inside them (one empty chunk when there is no session, so that what the session rules
    /// find outside sessions is still found). Groups usually sit inside one chunk (sessions on
    /// one interface are declared together): their sessions are then built once, not again
    /// for a part of groups.
    fn jobs(&self) -> Vec<Job> {
        let size = part_size().unwrap_or(usize::MAX).max(1);
        let n = self.unit.sessions.len();
        let mut jobs: Vec<Job> = self
            .of_scope(Scope::OutsideSessions)
            .iter()
            .map(|i| Job::Outside(*i))
            .collect();
        let by_session = !self.of_scope(Scope::Session).is_empty();
        let by_group = !self.of_scope(Scope::Group).is_empty();
        let mut inside: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n.div_ceil(size).max(1)];
        if by_group {
            let mut part = Vec::new();
            let mut members = 0;
            for (k, (_, list)) in self.groups.iter().enumerate() {
                for (g, group) in list.iter().enumerate() {
                    let sessions: Vec<usize> = member_sessions(group).collect();
                    let (low, high) = (sessions.iter().min(), sessions.iter().max());
                    if let (Some(low), Some(high)) = (low, high)
                        && low / size == high / size
                        && let Some(chunk) = inside.get_mut(low / size)
                    {
                        chunk.push((k, g));
                        continue;
                    }
                    part.push((k, g));
                    members += sessions.len();
                    if members >= size {
                        jobs.push(Job::Groups(std::mem::take(&mut part)));
                        members = 0;
                    }
                }
            }
            if !part.is_empty() {
                jobs.push(Job::Groups(part));
            }
        }
        if by_session || by_group {
            for (c, groups) in inside.into_iter().enumerate() {
                let start = c * size;
                // A chunk with nothing to evaluate is not built (the first always is: it
                // keeps what the rules find outside sessions).
                if by_session || !groups.is_empty() || start == 0 {
                    let end = start.saturating_add(size).min(n);
                    jobs.push(Job::Sessions { start, end, groups });
                }
            }
        }
        jobs
    }

    /// Evaluates one part with the worker's evaluator.
    fn run(&self, ev: &mut Option<Evaluator>, job: &Job) -> Done {
        let mut done = Done::default();
        let (indices, groups, first) = match job {
            Job::Outside(rule) => {
                let no_groups = ValueBuild::default().value(&self.groups_json(&[], &[]));
                let input = self.input(
                    regorus::Value::from(Vec::<regorus::Value>::new()),
                    no_groups,
                );
                let located = self.located(&input, &[], &[]);
                let rules = [(None, std::slice::from_ref(rule))];
                self.evaluate(ev, &input, &rules, located, true, &mut done);
                return done;
            }
            Job::Sessions { start, end, groups } => {
                ((*start..*end).collect::<Vec<usize>>(), groups, *start == 0)
            }
            Job::Groups(groups) => {
                let mut indices: Vec<usize> = groups
                    .iter()
                    .filter_map(|(k, g)| self.groups.get(*k)?.1.get(*g))
                    .flat_map(member_sessions)
                    .collect();
                indices.sort_unstable();
                indices.dedup();
                (indices, groups, false)
            }
        };
        let (sessions, locs) = self.unit.sessions_built(
            self.links,
            &indices,
            self.rest_locs.len(),
            ValueBuild::default(),
        );
        let groups_value = ValueBuild::default().value(&self.groups_json(groups, &indices));
        let input = self.input(regorus::Value::from(sessions), groups_value);
        let located = self.located(&input, &indices, &locs);
        let mut rules = Vec::new();
        if matches!(job, Job::Sessions { .. }) {
            rules.push((Some(PER_SESSION_RULES), self.of_scope(Scope::Session)));
        }
        if !groups.is_empty() || first {
            rules.push((Some(PER_GROUP_RULES), self.of_scope(Scope::Group)));
        }
        self.evaluate(ev, &input, &rules, located, first, &mut done);
        done
    }

    /// `input.groups` with only the `chosen` groups, their members renumbered to the places
    /// of their sessions in `indices` (the part's sessions, in increasing order).
    fn groups_json(&self, chosen: &[(usize, usize)], indices: &[usize]) -> Json {
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
                    let local = member_session(m).and_then(|i| indices.binary_search(&i).ok());
                    if let (Some(local), Some(slot)) = (local, m.get_mut(0)) {
                        *slot = Json::from(local);
                    }
                }
            }
            if let Some(Json::Array(list)) = kinds.get_mut(name) {
                list.push(group);
            }
        }
        Json::Object(kinds)
    }

    /// The input of a part: the rest of the unit's, and these sessions and groups.
    fn input(&self, sessions: regorus::Value, groups: regorus::Value) -> regorus::Value {
        let mut object: BTreeMap<regorus::Value, regorus::Value> =
            self.rest.iter().cloned().collect();
        object.insert(regorus::Value::from("sessions"), sessions);
        object.insert(regorus::Value::from("groups"), groups);
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

    /// Evaluates each set of rules on one part's `input`: together through its entry point
    /// when it has one, else (or when that fails) each alone, so that a failure costs only
    /// its own rule. Only the `first` part keeps the violations that are not about a session
    /// (every part finds them).
    fn evaluate(
        &self,
        ev: &mut Option<Evaluator>,
        input: &regorus::Value,
        sets: &[(Option<&str>, &[usize])],
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
        let make = || self.rules.evaluator(self.kind);
        for (entry, indexes) in sets.iter().filter(|(_, rules)| !rules.is_empty()) {
            let rules: Vec<(usize, &Rule)> = indexes
                .iter()
                .filter_map(|i| Some((*i, *self.engine_rules.get(*i)?)))
                .collect();
            let only: Vec<&Rule> = rules.iter().map(|(_, rule)| *rule).collect();
            let results = deny_of_each(ev, &make, input, *entry, &only);
            for ((i, rule), result) in rules.into_iter().zip(results) {
                match result {
                    Ok(deny) => keep(rule, &deny, done),
                    Err(why) => done.failed.push((i, why)),
                }
            }
        }
    }
}

/// The session a member of a group names (`[session, alternative, shown]`).
fn member_session(member: &Json) -> Option<usize> {
    usize::try_from(member.get(0)?.as_u64()?).ok()
}

/// The sessions the members of a group name.
fn member_sessions(group: &Json) -> impl Iterator<Item = usize> + '_ {
    group
        .get("members")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(member_session)
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

#[cfg(test)]
mod tests {
    use super::renumbered;
    use crate::rules::resolve::Part;
    use serde_json::json;

    /// A part's session numbers become the unit's, in the path and in every related path;
    /// what is not about a session is kept by the first part only.
    #[test]
    fn violations_name_the_units_sessions_and_others_come_from_the_first_part_only() {
        let part = Part {
            sessions: &[4, 9, 30],
            locs: &[],
        };
        let v = json!({
            "msg": "m",
            "path": ["sessions", 2, "session_number", 0],
            "related": [{"path": ["sessions", 1, "session_number", 1], "msg": "r"},
                        {"path": ["targets", 1], "msg": "t"}],
        });
        let Some(out) = renumbered(v, Some(part), false) else {
            panic!("a violation about a session is kept by every part");
        };
        assert_eq!(out["path"], json!(["sessions", 30, "session_number", 0]));
        assert_eq!(
            out["related"][0]["path"],
            json!(["sessions", 9, "session_number", 1])
        );
        assert_eq!(out["related"][1]["path"], json!(["targets", 1]));
        let about_a_reference = json!({"msg": "m", "path": ["references", 3]});
        assert!(renumbered(about_a_reference.clone(), Some(part), false).is_none());
        assert_eq!(
            renumbered(about_a_reference.clone(), Some(part), true),
            Some(about_a_reference)
        );
    }
}
