//! Rules: Rego policies with `# METADATA`, loaded into one prepared regorus engine.
//!
//! Built-in rules are embedded from `rules/` at build time; `--rules DIR` adds a user's
//! rules under the same contract (see `rules/README.md`). Each rule lives in package
//! `mirrorguard.rules.<id in lower case>` and defines `deny`, a set of violation objects
//! `{"msg": ..., "path": [...], "related": [{"path": [...], "msg": ...}]}`, where `path`
//! points into the rule input. The engine is prepared once (a first evaluation surfaces
//! unsafe-variable errors at load time) and cloned per worker.

pub(crate) mod eval;
pub mod metadata;
pub(crate) mod test_runner;

use std::path::{Path, PathBuf};
use std::time::Duration;

use regorus::Engine;

use crate::error::AppError;
pub use metadata::{RuleMeta, Severity};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The rule that evaluates every loaded rule at once: `{id: deny}`.
pub(crate) const ALL_RULES: &str = "data.mirrorguard.all.results";

/// How long one rule may run on one input before it is stopped.
const RULE_TIME_LIMIT: Duration = Duration::from_secs(10);

/// One rule: its metadata, policy text and the test and example files beside it.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Parsed `# METADATA`.
    pub meta: RuleMeta,
    /// Where the rule came from (`rules/mg001_….rego` or a user path).
    pub origin: String,
    /// The policy text.
    pub source: String,
    /// The `_test.rego` file beside it: (origin, text).
    pub tests: Option<(String, String)>,
    /// The examples `.yaml` file beside it: (origin, text).
    pub examples: Option<(String, String)>,
    /// Whether the rule is built in.
    pub builtin: bool,
}

impl Rule {
    /// The rule's `deny` set path in `data`.
    pub(crate) fn deny_path(&self) -> String {
        format!("data.{}.deny", self.meta.package)
    }
}

/// The loaded rules and the prepared engine that evaluates them.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Rules the tool itself applies (about suppressions), not written in Rego.
    tool: Vec<RuleMeta>,
    /// Whether every loaded rule still runs: then one evaluation of `ALL_RULES` serves them all.
    all_enabled: bool,
    engine: Engine,
}

impl RuleSet {
    /// The built-in rules plus every rule in `extra_dirs`.
    pub fn load(extra_dirs: &[PathBuf]) -> Result<Self, AppError> {
        let mut files: Vec<(String, String, bool)> = BUILTIN_FILES
            .iter()
            .map(|(n, t)| (format!("rules/{n}"), (*t).to_owned(), true))
            .collect();
        for dir in extra_dirs {
            files.extend(read_rule_dir(dir)?.into_iter().map(|(n, t)| (n, t, false)));
        }
        Self::from_files(files)
    }

    /// Only the rules in `dir` (for `mirrorguard rules test DIR`).
    pub fn load_dir_only(dir: &Path) -> Result<Self, AppError> {
        let files = read_rule_dir(dir)?
            .into_iter()
            .map(|(n, t)| (n, t, false))
            .collect();
        Self::from_files(files)
    }

    fn from_files(files: Vec<(String, String, bool)>) -> Result<Self, AppError> {
        let mut rules: Vec<Rule> = Vec::new();
        for (origin, text, builtin) in &files {
            if !origin.ends_with(".rego") || origin.ends_with("_test.rego") {
                continue;
            }
            let meta = metadata::parse(origin, text).map_err(|message| AppError::Rule {
                path: origin.clone(),
                message,
            })?;
            let expected = format!("mirrorguard.rules.{}", meta.id.to_lowercase());
            if meta.package != expected {
                return Err(AppError::Rule {
                    path: origin.clone(),
                    message: format!(
                        "rule {} must be in package {expected}, not {}",
                        meta.id, meta.package
                    ),
                });
            }
            if let Some(other) = rules.iter().find(|r| r.meta.id == meta.id) {
                return Err(AppError::Rule {
                    path: origin.clone(),
                    message: format!("rule id {} is also used by {}", meta.id, other.origin),
                });
            }
            let stem = origin.trim_end_matches(".rego");
            let sibling = |suffix: &str| {
                files
                    .iter()
                    .find(|(o, _, _)| o == &format!("{stem}{suffix}"))
                    .map(|(o, t, _)| (o.clone(), t.clone()))
            };
            rules.push(Rule {
                meta,
                origin: origin.clone(),
                source: text.clone(),
                tests: sibling("_test.rego"),
                examples: sibling(".yaml"),
                builtin: *builtin,
            });
        }
        rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        let engine = prepare(&rules)?;
        let mut tool: Vec<RuleMeta> = crate::suppress::tool_rules()
            .into_iter()
            .chain(crate::iam::iam_rules())
            .chain(crate::drift::diff::drift_rules())
            .collect();
        tool.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Self {
            rules,
            tool,
            all_enabled: true,
            engine,
        })
    }

    /// The rules, sorted by id.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id (case-insensitive).
    /// Every rule's metadata, Rego rules first, then the tool's own; the SARIF rule index.
    pub fn metas(&self) -> Vec<&RuleMeta> {
        self.rules
            .iter()
            .map(|r| &r.meta)
            .chain(self.tool.iter())
            .collect()
    }

    /// Stops any rule that runs longer than `limit` on one input (a user's rule that runs
    /// away fails with a clear error instead of hanging CI).
    pub fn set_time_limit(&mut self, limit: Duration) {
        self.engine
            .set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
                limit,
                check_interval: std::num::NonZeroU32::MIN.saturating_add(999),
            });
    }

    /// Metadata of any rule, Rego or tool, by id (case-insensitive).
    pub fn find_meta(&self, id: &str) -> Option<&RuleMeta> {
        self.metas()
            .into_iter()
            .find(|m| m.id.eq_ignore_ascii_case(id))
    }

    /// Applies configuration: severity overrides and disabled rules. Unknown ids are errors,
    /// so a typo does not silently leave a rule at its default.
    pub fn configure(
        &mut self,
        severity: &std::collections::BTreeMap<String, String>,
        disable: &[String],
    ) -> Result<(), AppError> {
        for id in severity.keys().chain(disable.iter()) {
            if self.find_meta(id).is_none() {
                return Err(AppError::Usage(format!(
                    "configuration names rule {id}, which does not exist"
                )));
            }
        }
        for (id, level) in severity {
            let level = Severity::parse(level).ok_or_else(|| {
                AppError::Usage(format!(
                    "severity of {id} must be error, warning or note, not {level}"
                ))
            })?;
            for m in self
                .rules
                .iter_mut()
                .map(|r| &mut r.meta)
                .chain(self.tool.iter_mut())
            {
                if m.id.eq_ignore_ascii_case(id) {
                    m.severity = level;
                }
            }
        }
        let off = |id: &str| disable.iter().any(|d| d.eq_ignore_ascii_case(id));
        let before = self.rules.len();
        self.rules.retain(|r| !off(&r.meta.id));
        self.all_enabled &= self.rules.len() == before;
        self.tool.retain(|m| !off(&m.id));
        Ok(())
    }

    pub fn find(&self, id: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.meta.id.eq_ignore_ascii_case(id))
    }

    /// Whether one evaluation of [`ALL_RULES`] gives every enabled rule's results.
    pub(crate) fn all_enabled(&self) -> bool {
        self.all_enabled
    }

    /// A fresh copy of the prepared engine for one worker.
    pub(crate) fn engine(&self) -> Engine {
        self.engine.clone()
    }
}

fn prepare(rules: &[Rule]) -> Result<Engine, AppError> {
    let mut engine = Engine::new();
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: RULE_TIME_LIMIT,
        check_interval: std::num::NonZeroU32::MIN.saturating_add(999),
    });
    for rule in rules {
        let package = engine
            .add_policy(rule.origin.clone(), rule.source.clone())
            .map_err(|e| AppError::Rule {
                path: rule.origin.clone(),
                message: e.to_string(),
            })?;
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
    let entries: Vec<String> = rules
        .iter()
        .map(|r| format!("\t{:?}: data.{}.deny,", r.meta.id, r.meta.package))
        .collect();
    let all = format!(
        "package mirrorguard.all\n\nresults := {{\n{}\n}}\n",
        entries.join("\n")
    );
    engine
        .add_policy("mirrorguard-all.rego".into(), all)
        .map_err(|e| AppError::Rule {
            path: "mirrorguard-all.rego".into(),
            message: e.to_string(),
        })?;
    // A first evaluation runs regorus' analysis, so unsafe variables and the like are
    // reported now, once, instead of on every input.
    engine.set_input(regorus::Value::from(serde_json::json!({
        "sessions": [], "targets": [], "references": [], "format": "", "unit": ""
    })));
    for rule in rules {
        engine
            .eval_rule(rule.deny_path())
            .map_err(|e| AppError::Rule {
                path: rule.origin.clone(),
                message: e.to_string(),
            })?;
    }
    Ok(engine)
}

/// Reads the `.rego` and `.yaml` files of a rule folder (not recursive), sorted by name.
fn read_rule_dir(dir: &Path) -> Result<Vec<(String, String)>, AppError> {
    let read_err = |e: std::io::Error| AppError::Read {
        path: dir.to_path_buf(),
        message: e.to_string(),
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !(name.ends_with(".rego") || name.ends_with(".yaml")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| AppError::Read {
            path: path.clone(),
            message: e.to_string(),
        })?;
        out.push((path.display().to_string().replace('\\', "/"), text));
    }
    out.sort();
    Ok(out)
}
