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

    /// The slot of the evaluator for a unit (the session rules' when it declares sessions
    /// only), holding one: `make` makes it when it is empty.
    fn for_unit(
        &mut self,
        sessions_only: bool,
        kind: EngineKind,
        make: &dyn Fn() -> Result<Evaluator, String>,
    ) -> Result<&mut Option<Evaluator>, String> {
        let cell = self
            .slots
            .get_mut(Self::slot(sessions_only, kind))
            .ok_or_else(|| "no engine".to_owned())?;
        if cell.is_none() {
            *cell = Some(make()?);
        }
        Ok(cell)
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
    let make = || {
        if sessions_only {
            rules.evaluator(kind)
        } else {
            rules.full_evaluator(kind)
        }
    };
    let slot = match engines.for_unit(sessions_only, kind, &make) {
        Ok(slot) => slot,
        Err(e) => {
            out.errors.push(RunError::new(
                Subject::Rule,
                format!("rules on {}", unit.name),
                format!("the rule engine could not be prepared: {e}"),
            ));
            return out;
        }
    };
    // Nothing of the graph to read: a rule of the graph finds nothing, and is not evaluated.
    let wanted: Vec<&super::Rule> = rules
        .engine_rules()
        .filter(|r| !(sessions_only && r.meta.reads_graph()))
        .collect();
    // A large unit (one template of thousands of sessions) is one job: its rules run in
    // parallel, each on its own copy of the engine, so both cores work on it. Small units
    // take one evaluation for every rule (the per-call overhead dominates small inputs).
    // The checks that unknown values hide do not depend on the rules' results: on a large
    // unit they are listed beside the evaluation, on whichever core is free.
    let skips = || skipped_and_hidden(rules, unit, &links);
    let (mut results, skipped) = if large {
        let (results, skipped) = rayon::join(|| evaluate_large(&wanted, &make, &value), skips);
        (results, Some(skipped))
    } else {
        (vec![None; wanted.len()], None)
    };
    // What is left: every rule of a small unit, and on a large one each rule whose parallel
    // evaluation failed, evaluated again alone (its error then names it).
    let left: Vec<&super::Rule> = wanted
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_none())
        .map(|(rule, _)| *rule)
        .collect();
    let entry = (!large && rules.all_enabled()).then_some(super::ALL_RULES);
    let mut again = deny_of_each(slot, &make, &value, entry, &left).into_iter();
    for result in results.iter_mut().filter(|r| r.is_none()) {
        *result = again.next();
    }
    for (rule, result) in wanted.into_iter().zip(results) {
        let value = match result.unwrap_or_else(|| Err("not evaluated".into())) {
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

/// The result of each of `rules` on a large unit evaluated whole, each rule a job on every
/// core (`None`: its evaluation failed).
fn evaluate_large(
    rules: &[&super::Rule],
    make: &(dyn Fn() -> Result<Evaluator, String> + Sync),
    value: &regorus::Value,
) -> Vec<Option<Result<regorus::Value, String>>> {
    let jobs: Vec<usize> = (0..rules.len()).collect();
    let done = super::chunks::longest_first(
        &jobs,
        || None,
        |evaluator: &mut Option<Evaluator>, i| {
            let found = rules.get(*i).and_then(|rule| {
                deny_of_each(evaluator, make, value, None, &[rule])
                    .pop()
                    .and_then(Result::ok)
            });
            (*i, found)
        },
    );
    let mut whole: Vec<Option<Result<regorus::Value, String>>> = vec![None; rules.len()];
    for (i, found) in done {
        if let Some(slot) = whole.get_mut(i) {
            *slot = found.map(Ok);
        }
    }
    whole
}

/// Each rule's `deny` on `input`. All come from one evaluation of `entry` (a package gathering
/// them by id) when one is given and it succeeds; any other is evaluated alone, so that one
/// broken or runaway rule costs only its own result, and its error names it. An evaluator
/// whose evaluation failed is dropped (a failure leaves nothing behind for the next): `make`
/// gives the next one.
pub(super) fn deny_of_each(
    slot: &mut Option<Evaluator>,
    make: &dyn Fn() -> Result<Evaluator, String>,
    input: &regorus::Value,
    entry: Option<&str>,
    rules: &[&super::Rule],
) -> Vec<Result<regorus::Value, String>> {
    let mut input_set = false;
    let mut eval = |slot: &mut Option<Evaluator>, path: &str| {
        if slot.is_none() {
            *slot = Some(make()?);
            input_set = false;
        }
        let evaluator = slot.as_mut().ok_or_else(|| "no engine".to_owned())?;
        if !input_set {
            evaluator.set_input(input.clone());
            input_set = true;
        }
        let result = evaluator.eval(path);
        if result.is_err() {
            *slot = None;
        }
        result
    };
    let all = entry.and_then(|entry| eval(slot, entry).ok());
    let gathered = |rule: &super::Rule| {
        all.as_ref()?
            .as_object()
            .ok()?
            .get(&regorus::Value::from(rule.meta.id.as_str()))
            .cloned()
    };
    rules
        .iter()
        .map(|rule| match gathered(rule) {
            Some(deny) => Ok(deny),
            None => eval(slot, &rule.deny_path()),
        })
        .collect()
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
    let tag_rules: Vec<String> = rules
        .rego_rules()
        .filter(|r| r.meta.inputs.iter().any(|i| i == "tags"))
        .map(|r| r.meta.id.clone())
        .collect();
    for s in &unit.sessions {
        // A tag set, or a tag key, that is not known hides the tag checks.
        for set in s.tags.iter().filter(|_| !tag_rules.is_empty()) {
            let unknown: Vec<(crate::model::Loc, String)> = match &set.items {
                None => vec![(set.loc, set.why.clone())],
                Some(items) => items
                    .iter()
                    .filter_map(|t| match &t.key.val {
                        Val::Unknown(why) | Val::Symbol { why, .. } => {
                            Some((t.key.loc, why.clone()))
                        }
                        _ => None,
                    })
                    .collect(),
            };
            for (loc, reason) in unknown {
                let Some(source) = unit.files.get(loc.file).cloned() else {
                    continue;
                };
                out.push(Skipped {
                    location: Location::new(source, loc.span),
                    address: s.address.clone(),
                    property: "tags".to_owned(),
                    reason,
                    rules: tag_rules.clone(),
                });
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A template where MG001 and MG003 fire.
    const TEMPLATE: &str = "Resources:\n  S:\n    Type: AWS::EC2::TrafficMirrorSession\n    Properties:\n      NetworkInterfaceId: eni-0123456789abcdef0\n      TrafficMirrorTargetId: tmt-0123456789abcdef0\n      TrafficMirrorFilterId: tmf-0123456789abcdef0\n      SessionNumber: 0\n      VirtualNetworkId: 99999999\n";

    /// When the gathering entry point fails, each rule is evaluated alone and gives what
    /// the entry point would have given; the evaluator that failed is replaced.
    #[test]
    fn a_failed_entry_point_falls_back_to_each_rule_alone_with_the_same_results() {
        let Ok(rules) = RuleSet::load(&[]) else {
            panic!("the shipped rules load");
        };
        let src = std::sync::Arc::new(crate::source::SourceFile::in_memory("t.yaml", TEMPLATE));
        let Some(unit) =
            crate::parse::read_document(&src, &crate::parse::ReadOptions::default()).unit
        else {
            panic!("the template declares a session");
        };
        let input = EngineInput::build(&unit, &unit.links(), false);
        let wanted: Vec<&super::super::Rule> = rules
            .engine_rules()
            .filter(|r| !r.meta.reads_graph())
            .collect();
        let made = std::sync::atomic::AtomicUsize::new(0);
        let make = || {
            made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            rules.evaluator(EngineKind::Compiled)
        };
        let mut slot = None;
        let together = deny_of_each(
            &mut slot,
            &make,
            &input.value,
            Some(super::super::ALL_RULES),
            &wanted,
        );
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 1);
        let alone = deny_of_each(
            &mut slot,
            &make,
            &input.value,
            Some("data.mirrorguard.no_such_entry.results"),
            &wanted,
        );
        assert_eq!(
            made.load(std::sync::atomic::Ordering::Relaxed),
            2,
            "the evaluator whose entry point failed is replaced"
        );
        assert_eq!(together.len(), wanted.len());
        assert_eq!(together, alone);
        let firing: Vec<&str> = wanted
            .iter()
            .zip(&together)
            .filter(|(rule, deny)| {
                deny.as_ref()
                    .is_ok_and(|d| violations_of(rule, &unit, d).is_ok_and(|v| !v.is_empty()))
            })
            .map(|(rule, _)| rule.meta.id.as_str())
            .collect();
        assert_eq!(firing, ["MG001", "MG003"]);
    }
}
