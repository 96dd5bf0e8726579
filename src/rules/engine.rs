//! The engines that evaluate the shipped Rego rules.
//!
//! Rules are parsed and analysed once into a regorus [`Engine`] (the interpreter): a first
//! evaluation at load reports unsafe variables and the like, once. For checking, that engine
//! is compiled once more into a program of regorus' register VM (the RVM): every rule's
//! `deny` and [`ALL_RULES`] are entry points, the program is shared through an `Arc`, and
//! each worker runs it on its own VM. The VM evaluates the rules about three times faster
//! than the interpreter. The interpreter stays for `rules test` (the VM rejects `with`),
//! for user rules (evaluated out of process) and as a diagnostic:
//! `MIRRORGUARD_RULE_ENGINE=interpreter` (or `compiled`) checks with one engine only, and a
//! test compares both on every fixture.

use std::sync::Arc;
use std::time::Duration;

use regorus::Engine;
use regorus::rvm::{Program, RegoVM};
use regorus::utils::limits::ExecutionTimerConfig;

use super::{ALL_RULES, Rule, RuleKind, rule_error};
use crate::error::AppError;

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

/// Sessions a run evaluates on the interpreter before it compiles the VM program: compiling
/// costs about as much as evaluating this many sessions on the interpreter, and one small
/// file (a pre-commit hook) should not pay for it.
pub(crate) const COMPILE_AFTER_SESSIONS: usize = 100;

/// The shipped rules of one kind of unit, ready to evaluate: the analysed interpreter
/// engine and, compiled from it on first need, the VM program.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    engine: Engine,
    paths: Vec<String>,
    program: Arc<std::sync::OnceLock<Result<Arc<Program>, String>>>,
}

impl Prepared {
    /// An evaluator of these rules for one worker (compiling the program on first need).
    pub(crate) fn evaluator(&self, kind: EngineKind, limit: Duration) -> Result<Evaluator, String> {
        let timer = timer(limit);
        match kind {
            EngineKind::Compiled => {
                let program = self
                    .program
                    .get_or_init(|| {
                        compile(&mut self.engine.clone(), &self.paths).map_err(|e| e.to_string())
                    })
                    .clone()?;
                let mut vm = RegoVM::new();
                vm.load_program(program);
                // The time limit bounds a runaway rule; the instruction count must not stop
                // a legitimate large unit (50,000 sessions take billions of instructions).
                vm.set_max_instructions(usize::MAX);
                vm.set_execution_timer_config(Some(timer));
                Ok(Evaluator::Vm(Box::new(vm)))
            }
            // `Auto` is resolved per unit (`RuleSet::engine_for`); as a request for an
            // evaluator it means the engine that needs no compiling.
            EngineKind::Interpreter | EngineKind::Auto => {
                let mut engine = self.engine.clone();
                engine.set_execution_timer_config(timer);
                Ok(Evaluator::Interpreter(Box::new(engine)))
            }
        }
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

/// Parses the user rules (their syntax errors stop the run at once; they are evaluated out
/// of process) and prepares the shipped rules that read sessions only.
pub(super) fn prepare(rules: &[Rule]) -> Result<Prepared, AppError> {
    let mut parse_only = Engine::new();
    for rule in rules
        .iter()
        .filter(|r| r.kind == RuleKind::Rego && !r.shipped)
    {
        parse_only
            .add_policy(rule.origin.clone(), rule.source.clone())
            .map_err(|e| rule_error(&rule.origin, e))?;
    }
    prepare_engine(rules, false)
}

/// The shipped Rego rules prepared: all of them (`graph`), or only those that do not read
/// the graph beyond sessions (most units declare sessions only, and fewer rules make every
/// evaluation cheaper).
pub(super) fn prepare_engine(rules: &[Rule], graph: bool) -> Result<Prepared, AppError> {
    let rego: Vec<&Rule> = rules
        .iter()
        .filter(|r| r.kind == RuleKind::Rego && r.shipped && (graph || !r.meta.reads_graph()))
        .collect();
    let mut engine = Engine::new();
    for rule in &rego {
        let package = engine
            .add_policy(rule.origin.clone(), rule.source.clone())
            .map_err(|e| rule_error(&rule.origin, e))?;
        if package != format!("data.{}", rule.meta.package) {
            return Err(AppError::Rule {
                path: rule.origin.clone(),
                message: format!(
                    "METADATA documents package {} but the file declares {package}",
                    rule.meta.package
                ),
            });
        }
    }
    let entries: Vec<String> = rego
        .iter()
        .map(|r| format!("\t{:?}: data.{}.deny,", r.meta.id, r.meta.package))
        .collect();
    let all = format!(
        "package mirrorguard.all\n\nresults := {{\n{}\n}}\n",
        entries.join("\n")
    );
    engine
        .add_policy("mirrorguard-all.rego".into(), all)
        .map_err(|e| rule_error("mirrorguard-all.rego", e))?;
    // A first evaluation runs regorus' analysis, so unsafe variables and the like are
    // reported now, once, instead of on every input.
    engine.set_input(regorus::Value::from(serde_json::json!({
        "sessions": [], "targets": [], "references": [], "format": "", "unit": ""
    })));
    // One evaluation analyses every rule; only when it fails is each rule tried alone, to
    // name the one at fault.
    if engine.eval_rule(ALL_RULES.to_owned()).is_err() {
        for rule in &rego {
            engine
                .eval_rule(rule.deny_path())
                .map_err(|e| rule_error(&rule.origin, e))?;
        }
    }
    Ok(Prepared {
        engine,
        paths: rego.iter().map(|r| r.deny_path()).collect(),
        program: Arc::default(),
    })
}

/// Compiles the analysed rules into one VM program whose entry points are [`ALL_RULES`] and
/// every rule's `deny`.
fn compile(engine: &mut Engine, paths: &[String]) -> Result<Arc<Program>, AppError> {
    let failed = |e: &dyn std::fmt::Display| AppError::Rule {
        path: "rules/".into(),
        message: format!("the shipped rules could not be compiled: {e}"),
    };
    let policy = engine
        .compile_with_entrypoint(&ALL_RULES.into())
        .map_err(|e| failed(&e))?;
    let mut entries: Vec<&str> = vec![ALL_RULES];
    entries.extend(paths.iter().map(String::as_str));
    regorus::languages::rego::compiler::Compiler::compile_from_policy(&policy, &entries)
        .map_err(|e| failed(&e))
}
