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

/// Runs every rule of `rules` on `unit` with the worker's engines.
pub(crate) fn evaluate(rules: &RuleSet, engines: &mut Engines, unit: &Unit) -> UnitResult {
    let mut out = UnitResult::default();
    if unit.sessions.is_empty() && unit.resources.is_empty() && unit.references.is_empty() {
        out.skipped.extend(super::unknowns::opaque(rules, unit));
        return out;
    }
    let links = unit.links();
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
    let large = unit.sessions.len() >= LARGE_UNIT
        || matches!(super::chunks::chunking(), super::chunks::Chunking::Every(_));
    let per_rule: Vec<Option<regorus::Value>> = if large {
        use rayon::prelude::*;
        // Rules that judge one session at a time run on chunks of sessions (see `chunks`).
        // Not at all when every such rule is disabled (the entry point runs them all).
        let chunks_on = sessions_only
            && rules.engine_rules().any(|r| r.meta.per_session)
            && super::chunks::chunking() != super::chunks::Chunking::Off;
        let from_chunks = |rule: &super::Rule| chunks_on && rule.meta.per_session;
        let rego: Vec<&super::Rule> = rules.engine_rules().collect();
        // The chunks and the rules over the whole unit run side by side: a unit-wide rule
        // (grouping every session) no longer runs alone on one core after the chunks.
        let (chunked, whole): (_, Vec<Option<regorus::Value>>) = rayon::join(
            || {
                chunks_on
                    .then(|| super::chunks::per_session_results(rules, kind, &value))
                    .flatten()
            },
            || {
                rego.par_iter()
                    .map(|rule| {
                        if sessions_only && rule.meta.reads_graph() {
                            return Some(regorus::Value::new_set());
                        }
                        if from_chunks(rule) {
                            return None;
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
            },
        );
        // A chunk that failed leaves its rules to the evaluation of each rule alone below.
        rego.iter()
            .zip(whole)
            .map(|(rule, result)| {
                if !from_chunks(rule) {
                    return result;
                }
                let found = chunked.as_ref()?;
                let list = found.get(&rule.meta.id).cloned().unwrap_or_default();
                Some(regorus::Value::from(Json::Array(list)))
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
            if about_live(input.located(), &v) {
                continue;
            }
            match to_finding(rule, unit, input.located(), &v) {
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
    out.input = input.into_rule_input();
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
    let located = Located {
        tree: &input.json,
        locs: &input.locs,
    };
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
