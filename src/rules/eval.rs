//! Evaluates the rules on one unit and turns what they return into findings (mapped back
//! to source spans by `resolve`), with the checks that unknown values hide.

use serde_json::Value as Json;

use super::RuleSet;
use super::engine::{EngineKind, Evaluator};
use super::engine_input::EngineInput;
use super::resolve::{Located, about_live, path_of, to_finding};
use crate::error::{RunError, Subject};
use crate::model::{Alt, Prop, RuleInput, Unit, Val};
use crate::report::{Finding, Location, Skipped};

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

    /// Takes the evaluator [`Engines::for_unit`] gives for these arguments out of its slot
    /// (the next unit makes a new one).
    fn release(&mut self, sessions_only: bool, kind: EngineKind) -> Option<Evaluator> {
        self.slots
            .get_mut(Self::slot(sessions_only, kind))
            .and_then(Option::take)
    }

    /// The slot of an evaluator: session rules on the interpreter, on the VM; all rules on
    /// each.
    fn slot(sessions_only: bool, kind: EngineKind) -> usize {
        usize::from(!sessions_only) * 2 + usize::from(kind == EngineKind::Compiled)
    }

    /// The evaluator for a unit: the session rules' when it declares sessions only.
    fn for_unit(
        &mut self,
        rules: &RuleSet,
        sessions_only: bool,
        kind: EngineKind,
    ) -> Result<&mut Evaluator, String> {
        let cell = self
            .slots
            .get_mut(Self::slot(sessions_only, kind))
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

/// Runs every rule of `rules` on `unit` with the worker's engines.
pub(crate) fn evaluate(rules: &RuleSet, engines: &mut Engines, unit: &Unit) -> UnitResult {
    let mut out = UnitResult::default();
    if unit.sessions.is_empty() && unit.resources.is_empty() && unit.references.is_empty() {
        out.skipped.extend(super::unknowns::opaque(rules, unit));
        return out;
    }
    let links = unit.links();
    let large = unit.sessions.len() >= LARGE_UNIT
        || matches!(super::chunks::chunking(), super::chunks::Chunking::Every(_));
    if large && super::parts::applies(rules, unit) {
        // No part of the evaluation holds the whole input (see `parts`).
        let kind = rules.engine_for(unit.sessions.len(), true);
        let (mut found, skipped) = rayon::join(
            || super::parts::evaluate(rules, kind, unit, &links),
            || skipped_and_hidden(rules, unit, &links),
        );
        found.skipped = skipped;
        redact(unit, &mut found.findings, &mut found.skipped);
        return found;
    }
    // The JSON form is kept only for user rules (evaluated out of process).
    let input = EngineInput::build(unit, &links, rules.user_rules().next().is_some());
    let value = input.value.clone();
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
    // The checks that unknown values hide do not depend on the rules' results: on a large
    // unit they are listed beside the evaluation, on whichever core is free.
    let skips = || skipped_and_hidden(rules, unit, &links);
    let (per_rule, skipped): (Vec<Option<regorus::Value>>, Option<Vec<Skipped>>) = if large {
        let (per_rule, skipped) =
            rayon::join(|| evaluate_large(rules, kind, sessions_only, &value), skips);
        (per_rule, Some(skipped))
    } else {
        engine.set_input(value.clone());
        let all = if rules.all_enabled() {
            engine.eval(super::ALL_RULES).ok()
        } else {
            None
        };
        let per_rule = rules
            .engine_rules()
            .map(|rule| {
                all.as_ref()
                    .and_then(|a| a.as_object().ok())
                    .and_then(|o| o.get(&regorus::Value::from(rule.meta.id.as_str())).cloned())
            })
            .collect();
        (per_rule, None)
    };
    // When an evaluation failed, each rule alone, so that one broken or runaway rule costs
    // only its own results (and its error names it).
    engine.set_input(value);
    for (rule, precomputed) in rules.engine_rules().zip(per_rule) {
        // Nothing of the graph to read: no violation, nothing evaluated (and nothing above
        // is looked at for it).
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
        match violations_of(rule, unit, &value) {
            Ok(violations) => add_findings(rule, unit, input.located(), violations, &mut out),
            Err(e) => out.errors.push(e),
        }
    }
    out.skipped = skipped.unwrap_or_else(skips);
    redact(unit, &mut out.findings, &mut out.skipped);
    let (value, rule_input) = input.split();
    out.input = rule_input;
    if large {
        // Freeing a large unit's value (and the evaluator that holds it) is a tenth of a
        // second of one core at 50,000 sessions, after every other step of the unit: it is
        // done on a thread of its own, beside what comes next.
        let spent = engines.release(sessions_only, kind);
        free_beside((value, spent));
    }
    out
}

/// The violations a rule's `deny` returned, or the error that it returned something else.
pub(super) fn violations_of(
    rule: &super::Rule,
    unit: &Unit,
    deny: &regorus::Value,
) -> Result<Vec<Json>, RunError> {
    let failed = |message: String| {
        RunError::new(
            Subject::Rule,
            format!("rule {} on {}", rule.meta.id, unit.name),
            message,
        )
    };
    match serde_json::to_value(deny) {
        Ok(Json::Array(items)) => Ok(items),
        Ok(Json::Null) => Ok(Vec::new()),
        Ok(Json::String(s)) if s == "<undefined>" => Ok(Vec::new()),
        Ok(other) => Err(failed(format!("deny must be a set, got {other}"))),
        Err(e) => Err(failed(e.to_string())),
    }
}

/// Maps a rule's violations back to what the user wrote, as findings (with their fixes),
/// or as errors for those that cannot be.
pub(super) fn add_findings<T: super::resolve::Tree>(
    rule: &super::Rule,
    unit: &Unit,
    input: Located<'_, T>,
    violations: Vec<Json>,
    out: &mut UnitResult,
) {
    for v in violations {
        // What already exists in the account is only ever the other party of a finding.
        if about_live(input, &v) {
            continue;
        }
        match to_finding(rule, unit, input, &v) {
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

/// The checks that unknown values hide, and what the rules could not see.
fn skipped_and_hidden(
    rules: &RuleSet,
    unit: &Unit,
    links: &crate::model::links::Links,
) -> Vec<Skipped> {
    let mut skipped = skipped_checks(rules, unit);
    skipped.extend(super::unknowns::opaque(rules, unit));
    skipped.extend(super::unknowns::hidden_collisions(rules, unit));
    skipped.extend(super::graph_skips::graph_skips(rules, unit, links));
    skipped
}

/// Drops `garbage` on a thread of its own (or here, when no thread can be started).
fn free_beside<T: Send + 'static>(garbage: T) {
    // On failure the closure, and so the garbage, is dropped here.
    let _ = std::thread::Builder::new()
        .name("mirrorguard-free".into())
        .spawn(move || drop(garbage));
}

/// The results of each engine rule on a large unit evaluated whole, by rule (`None`: its
/// evaluation failed, or a rule of the graph on a unit without one, which is not evaluated),
/// each rule a job on every core.
fn evaluate_large(
    rules: &RuleSet,
    kind: EngineKind,
    sessions_only: bool,
    value: &regorus::Value,
) -> Vec<Option<regorus::Value>> {
    let rego: Vec<&super::Rule> = rules.engine_rules().collect();
    let jobs: Vec<usize> = rego
        .iter()
        .enumerate()
        .filter(|(_, rule)| !(sessions_only && rule.meta.reads_graph()))
        .map(|(i, _)| i)
        .collect();
    let done = super::chunks::longest_first(
        &jobs,
        || None,
        |evaluator: &mut Option<Evaluator>, i| {
            if evaluator.is_none() {
                *evaluator = if sessions_only {
                    rules.evaluator(kind)
                } else {
                    rules.full_evaluator(kind)
                }
                .ok();
            }
            let found = evaluator.as_mut().and_then(|e| {
                e.set_input(value.clone());
                e.eval(&rego.get(*i)?.deny_path()).ok()
            });
            // A failed evaluation (a rule out of time) leaves nothing behind for the next.
            if found.is_none() {
                *evaluator = None;
            }
            (*i, found)
        },
    );
    let mut whole: Vec<Option<regorus::Value>> = vec![None; rego.len()];
    for (i, found) in done {
        if let Some(slot) = whole.get_mut(i) {
            *slot = found;
        }
    }
    whole
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
    let located = Located::whole(&input.json, &input.locs);
    for v in violations {
        match to_finding(rule, unit, located, v) {
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
