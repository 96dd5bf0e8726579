//! The engines that evaluate the shipped Rego rules.
//!
//! Checking runs the rules on regorus' register VM (the RVM): one program whose entry points
//! are every rule's `deny`, [`ALL_RULES`] and the rules of each scope together, shared through an `Arc`, each worker running
//! it on its own VM. The program is precompiled into the binary (`rules/compiled/`), so a
//! run parses and analyses no Rego at all; when the rules changed since it was built (its
//! fingerprint no longer matches), it is compiled from the rules on first need instead.
//! The interpreter (a regorus [`Engine`], parsed and analysed on first need) stays for
//! `rules test` (the VM rejects `with`), for user rules (evaluated out of process), for
//! compiling, and as a diagnostic: `MIRRORGUARD_RULE_ENGINE=interpreter` (or `compiled`)
//! checks with one engine only, and a test compares both on every fixture.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use regorus::Engine;
use regorus::rvm::{Program, RegoVM};
use regorus::utils::limits::ExecutionTimerConfig;

use super::{
    ALL_RULES, PER_GROUP_RULES, PER_SESSION_RULES, PRECOMPILED, REGORUS_VERSION, Rule, RuleKind,
    rule_error,
};
use crate::error::AppError;
use crate::rules::metadata::Scope;

/// The environment variable that chooses the engine: `auto` (the default), `compiled` or
/// `interpreter`.
pub(crate) const ENGINE_VARIABLE: &str = "MIRRORGUARD_RULE_ENGINE";

/// Which regorus engine evaluates the shipped rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum EngineKind {
    /// The interpreter for the first [`COMPILE_AFTER_SESSIONS`] sessions of a run, then the
    /// compiled program (the default).
    #[default]
    Auto,
    /// The RVM program, compiled once and shared by every worker.
    Compiled,
    /// regorus' tree-walking interpreter.
    Interpreter,
}

impl EngineKind {
    /// The kind named by [`ENGINE_VARIABLE`]; unset is the default, anything else an error.
    pub(crate) fn from_env() -> Result<Self, AppError> {
        match std::env::var(ENGINE_VARIABLE) {
            Err(_) => Ok(Self::default()),
            Ok(v) if v.is_empty() || v == "auto" => Ok(Self::Auto),
            Ok(v) if v == "compiled" => Ok(Self::Compiled),
            Ok(v) if v == "interpreter" => Ok(Self::Interpreter),
            Ok(v) => Err(AppError::Usage(format!(
                "{ENGINE_VARIABLE} must be `auto`, `compiled` or `interpreter`, not {v:?}"
            ))),
        }
    }
}

/// Sessions a run evaluates on the interpreter before it compiles the VM program, when no
/// precompiled program matches the rules: compiling costs about as much as evaluating this
/// many sessions on the interpreter, and one small file should not pay for it.
pub(crate) const COMPILE_AFTER_SESSIONS: usize = 100;

/// One Rego policy of a prepared set: a rule file, or the package gathering their results.
#[derive(Debug)]
struct Policy {
    origin: String,
    source: String,
    /// The package its METADATA documents (`None` for the gathering package).
    package: Option<String>,
}

/// The shipped rules of one kind of unit, ready to evaluate. Nothing is parsed up front:
/// the VM program is the precompiled one built into the binary when it was compiled from
/// exactly these rules (see [`precompiled`]), else it is compiled on first need from the
/// interpreter engine, which is itself parsed and analysed on first need.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    policies: Arc<Vec<Policy>>,
    entry_points: Vec<String>,
    /// The precompiled program for these rules, if the binary holds one for them.
    precompiled: Option<&'static [u8]>,
    engine: Arc<OnceLock<Result<Engine, String>>>,
    program: Arc<OnceLock<Result<Arc<Program>, String>>>,
}

impl Prepared {
    /// The shipped Rego rules: all of them (`graph`), or only those that do not read the
    /// graph beyond sessions (most units declare sessions only, and fewer rules make every
    /// evaluation cheaper).
    pub(crate) fn new(rules: &[Rule], graph: bool) -> Self {
        let rego: Vec<&Rule> = rules
            .iter()
            .filter(|r| r.kind == RuleKind::Rego && r.shipped && (graph || !r.meta.reads_graph()))
            .collect();
        let gather = |rules: &mut dyn Iterator<Item = &&Rule>| -> String {
            rules
                .map(|r| format!("\t{:?}: data.{}.deny,", r.meta.id, r.meta.package))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let all = gather(&mut rego.iter());
        let scoped = |scope: Scope| gather(&mut rego.iter().filter(|r| r.meta.scope == scope));
        let (per_session, per_group) = (scoped(Scope::Session), scoped(Scope::Group));
        let mut policies: Vec<Policy> = rego
            .iter()
            .map(|r| Policy {
                origin: r.origin.clone(),
                source: r.source.clone(),
                package: Some(r.meta.package.clone()),
            })
            .collect();
        policies.push(Policy {
            origin: "mirrorguard-all.rego".into(),
            source: format!("package mirrorguard.all\n\nresults := {{\n{all}\n}}\n"),
            package: None,
        });
        policies.push(Policy {
            origin: "mirrorguard-per-session.rego".into(),
            source: format!(
                "package mirrorguard.per_session\n\nresults := {{\n{per_session}\n}}\n"
            ),
            package: None,
        });
        policies.push(Policy {
            origin: "mirrorguard-per-group.rego".into(),
            source: format!("package mirrorguard.per_group\n\nresults := {{\n{per_group}\n}}\n"),
            package: None,
        });
        let mut entry_points: Vec<String> = vec![
            ALL_RULES.to_owned(),
            PER_SESSION_RULES.to_owned(),
            PER_GROUP_RULES.to_owned(),
        ];
        entry_points.extend(rego.iter().map(|r| r.deny_path()));
        let fingerprint = fingerprint(&policies, &entry_points);
        Self {
            policies: Arc::new(policies),
            entry_points,
            precompiled: precompiled(if graph { "all" } else { "session" }, &fingerprint),
            engine: Arc::default(),
            program: Arc::default(),
        }
    }

    /// Whether the VM program needs no compiling: the binary holds it.
    pub(crate) fn is_precompiled(&self) -> bool {
        self.precompiled.is_some()
    }

    /// An evaluator of these rules for one worker (preparing what it needs on first need).
    pub(crate) fn evaluator(&self, kind: EngineKind, limit: Duration) -> Result<Evaluator, String> {
        let timer = timer(limit);
        match kind {
            EngineKind::Compiled => {
                let mut vm = RegoVM::new();
                vm.load_program(self.program()?);
                // The time limit bounds a runaway rule; the instruction count must not stop
                // a legitimate large unit (50,000 sessions take billions of instructions).
                vm.set_max_instructions(usize::MAX);
                vm.set_execution_timer_config(Some(timer));
                Ok(Evaluator::Vm(Box::new(vm)))
            }
            // `Auto` is resolved per unit (`RuleSet::engine_for`); as a request for an
            // evaluator it means the engine that needs no compiling.
            EngineKind::Interpreter | EngineKind::Auto => {
                let mut engine = self.engine()?.clone();
                engine.set_execution_timer_config(timer);
                Ok(Evaluator::Interpreter(Box::new(engine)))
            }
        }
    }

    /// The analysed interpreter engine, built on first need.
    fn engine(&self) -> Result<&Engine, String> {
        self.engine
            .get_or_init(|| analysed_engine(&self.policies).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The VM program: the precompiled one, else compiled from the engine on first need.
    fn program(&self) -> Result<Arc<Program>, String> {
        self.program
            .get_or_init(|| {
                if let Some(program) = self.precompiled.and_then(load_precompiled) {
                    return Ok(program);
                }
                compile(&mut self.engine()?.clone(), &self.entry_points).map_err(|e| e.to_string())
            })
            .clone()
    }

    /// The program compiled from the rule sources, as the file that precompiles it holds it.
    #[cfg(test)]
    fn precompiled_file(&self) -> Result<Vec<u8>, String> {
        let program =
            compile(&mut self.engine()?.clone(), &self.entry_points).map_err(|e| e.to_string())?;
        let mut bytes = header(&fingerprint(&self.policies, &self.entry_points)).into_bytes();
        bytes.extend(program.serialize_binary()?);
        Ok(bytes)
    }
}

/// One worker's evaluator of the shipped rules.
pub(crate) enum Evaluator {
    Vm(Box<RegoVM>),
    Interpreter(Box<Engine>),
}

impl Evaluator {
    /// Sets the input of the next evaluations.
    pub(crate) fn set_input(&mut self, input: regorus::Value) {
        match self {
            Self::Vm(vm) => vm.set_input(input),
            Self::Interpreter(engine) => engine.set_input(input),
        }
    }

    /// Evaluates one rule path: a rule's `deny`, or [`ALL_RULES`].
    pub(crate) fn eval(&mut self, path: &str) -> Result<regorus::Value, String> {
        match self {
            Self::Vm(vm) => vm
                .execute_entry_point_by_name(path)
                .map_err(|e| e.to_string()),
            Self::Interpreter(engine) => {
                engine.eval_rule(path.to_owned()).map_err(|e| e.to_string())
            }
        }
    }
}

fn timer(limit: Duration) -> ExecutionTimerConfig {
    ExecutionTimerConfig {
        limit,
        check_interval: std::num::NonZeroU32::MIN.saturating_add(999),
    }
}

/// Parses the user rules: their syntax errors stop the run at once (they are evaluated out
/// of process).
pub(super) fn parse_user_rules(rules: &[Rule]) -> Result<(), AppError> {
    let mut parse_only = Engine::new();
    for rule in rules
        .iter()
        .filter(|r| r.kind == RuleKind::Rego && !r.shipped)
    {
        parse_only
            .add_policy(rule.origin.clone(), rule.source.clone())
            .map_err(|e| rule_error(&rule.origin, e))?;
    }
    Ok(())
}

/// Parses the policies into one interpreter engine and analyses them.
fn analysed_engine(policies: &[Policy]) -> Result<Engine, AppError> {
    let mut engine = Engine::new();
    for policy in policies {
        let package = engine
            .add_policy(policy.origin.clone(), policy.source.clone())
            .map_err(|e| rule_error(&policy.origin, e))?;
        if let Some(documented) = &policy.package
            && package != format!("data.{documented}")
        {
            return Err(AppError::Rule {
                path: policy.origin.clone(),
                message: format!(
                    "METADATA documents package {documented} but the file declares {package}"
                ),
            });
        }
    }
    // A first evaluation runs regorus' analysis, so unsafe variables and the like are
    // reported now, once, instead of on every input.
    engine.set_input(regorus::Value::from(serde_json::json!({
        "sessions": [], "targets": [], "references": [], "format": "", "unit": ""
    })));
    // One evaluation analyses every rule; only when it fails is each rule tried alone, to
    // name the one at fault.
    if engine.eval_rule(ALL_RULES.to_owned()).is_err() {
        for policy in policies.iter().filter(|p| p.package.is_some()) {
            let path = format!(
                "data.{}.deny",
                policy.package.as_deref().unwrap_or_default()
            );
            engine
                .eval_rule(path)
                .map_err(|e| rule_error(&policy.origin, e))?;
        }
    }
    Ok(engine)
}

/// The precompiled programs built into the binary: `rules/compiled/*.rvm`, each a header
/// line (format and the fingerprint of the rules it was compiled from) and the program in
/// regorus' binary format. They spare every run parsing, analysing and compiling the rules
/// (about 10 ms of CPU, half of a run on one small file). `UPDATE_GOLDEN=1 cargo test
/// --lib precompiled` rewrites them; a unit test fails while they are stale, and a stale
/// one is never used: the fingerprint no longer matches and the rules are compiled.
fn precompiled(name: &str, fingerprint: &str) -> Option<&'static [u8]> {
    let (_, bytes) = PRECOMPILED.iter().find(|(n, _)| *n == name)?;
    let body = bytes.strip_prefix(header(fingerprint).as_bytes())?;
    Some(body)
}

/// The first line of a precompiled program's file.
fn header(fingerprint: &str) -> String {
    format!("mirrorguard-rvm 1 {fingerprint}\n")
}

/// Deserializes a precompiled program; `None` when regorus reads it only partly.
fn load_precompiled(bytes: &[u8]) -> Option<Arc<Program>> {
    match Program::deserialize_binary(bytes) {
        Ok(regorus::rvm::program::DeserializationResult::Complete(program)) => {
            Some(Arc::new(program))
        }
        _ => None,
    }
}

/// What a compiled program depends on: regorus' version, every policy and the entry points.
/// FNV-1a over eight bytes at a time (a byte at a time was a tenth of loading the rules),
/// stable across builds and platforms; each part ends with a marker no UTF-8 text holds.
fn fingerprint(policies: &[Policy], entry_points: &[String]) -> String {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            hash ^= u64::from_le_bytes(eight);
            hash = hash.wrapping_mul(PRIME);
        }
        for b in words.remainder().iter().chain(std::iter::once(&0xff)) {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    feed(REGORUS_VERSION.as_bytes());
    for policy in policies {
        feed(policy.origin.as_bytes());
        feed(policy.source.as_bytes());
    }
    for path in entry_points {
        feed(path.as_bytes());
    }
    format!("{hash:016x}")
}

/// Compiles the analysed rules into one VM program with these entry points: [`ALL_RULES`],
/// [`PER_SESSION_RULES`], [`PER_GROUP_RULES`] and every rule's `deny`.
fn compile(engine: &mut Engine, entry_points: &[String]) -> Result<Arc<Program>, AppError> {
    let failed = |e: &dyn std::fmt::Display| AppError::Rule {
        path: "rules/".into(),
        message: format!("the shipped rules could not be compiled: {e}"),
    };
    let policy = engine
        .compile_with_entrypoint(&ALL_RULES.into())
        .map_err(|e| failed(&e))?;
    let entries: Vec<&str> = entry_points.iter().map(String::as_str).collect();
    regorus::languages::rego::compiler::Compiler::compile_from_policy(&policy, &entries)
        .map_err(|e| failed(&e))
}

#[cfg(test)]
mod tests {
    use super::super::RuleSet;
    use std::path::Path;

    /// The precompiled programs in `rules/compiled/` are the rules compiled now: a rule edit,
    /// a regorus upgrade or a compiler that is not deterministic fails here (a stale program
    /// is never used, but every run would then compile the rules).
    #[test]
    fn precompiled_programs_are_the_rules_compiled() {
        let Ok(rules) = RuleSet::load(&[]) else {
            panic!("the shipped rules load");
        };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/compiled");
        for (name, prepared) in [("session", &rules.session_rules), ("all", &rules.all_rules)] {
            let fresh = match prepared.precompiled_file() {
                Ok(bytes) => bytes,
                Err(e) => panic!("the {name} rules compile: {e}"),
            };
            let again = prepared.precompiled_file();
            assert_eq!(
                again.as_ref(),
                Ok(&fresh),
                "compiling twice gives the same bytes"
            );
            let path = dir.join(format!("{name}.rvm"));
            if crate::rules::pin_precompiled(&path, &fresh) {
                continue;
            }
            assert!(
                prepared.is_precompiled(),
                "the binary embeds {}: rebuild after regenerating it",
                path.display()
            );
            assert!(
                super::load_precompiled(prepared.precompiled.unwrap_or_default()).is_some(),
                "regorus reads {} completely",
                path.display()
            );
        }
    }
}
