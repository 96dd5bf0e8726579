//! The rule registry: every rule mirrorguard knows, Rego or built in, with its metadata,
//! examples and documentation page.
//!
//! * **Rego rules** live in `rules/<id>_<name>.rego` with `# METADATA`, a `_test.rego` and an
//!   examples `.yaml` beside them; `--rules DIR` adds a user's rules under the same contract
//!   (see `rules/README.md`). Each lives in package `mirrorguard.rules.<id in lower case>`
//!   and defines `deny`, a set of `{"msg", "path", "related"}` objects pointing into the
//!   rule input. The shipped ones are prepared once (a first evaluation surfaces
//!   unsafe-variable errors at load time) and run on regorus' interpreter or compiled VM,
//!   one evaluator per worker (see `rules::engine`); user rules run out of process.
//! * **Built-in rules** are checks written in Rust (`crate::checks`): suppressions, IAM,
//!   drift. Their metadata is data too: the `metadata:` section of their examples `.yaml`
//!   in `rules/`, so that both kinds are listed, documented, configured and tested alike.
//!
//! The built-in files are embedded at build time (`build.rs`), which fails when `rules/` is
//! missing or empty; loading checks that every expected built-in rule is there.

pub(crate) mod chunks;
pub(crate) mod docs;
pub(crate) mod engine;
pub(crate) mod engine_input;
pub(crate) mod eval;
pub(crate) mod fixes;
pub(crate) mod graph_skips;
pub mod metadata;
pub(crate) mod metadata_cache;
pub(crate) mod parts;
pub(crate) mod resolve;
pub(crate) mod scaffold;
pub(crate) mod unknowns;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::AppError;
use crate::parse::tree::Node;
use crate::parse::yaml;
use crate::report::Finding;
use crate::source::SourceFile;
pub use metadata::{MetadataError, RuleMeta, Scope};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The rule that evaluates every loaded Rego rule at once: `{id: deny}`.
pub(crate) const ALL_RULES: &str = "data.mirrorguard.all.results";

/// The rule gathering the results of the shipped rules that judge one session at a time
/// (`custom.scope: session`), by rule id (see `parts`).
pub(crate) const PER_SESSION_RULES: &str = "data.mirrorguard.per_session.results";

/// The rule gathering the results of the shipped rules that judge one group of
/// `input.groups` at a time (`custom.scope: group`), by rule id (see `parts`).
pub(crate) const PER_GROUP_RULES: &str = "data.mirrorguard.per_group.results";

/// How long one rule may run on one input before it is stopped.
const RULE_TIME_LIMIT: Duration = Duration::from_secs(10);

/// Rules implemented in Rust, each with a `metadata:` examples file in `rules/`.
pub const BUILTIN_CHECKS: &[&str] = &["MG020", "MG090", "MG091", "MG101", "MG102", "MG103"];

/// Where the documentation pages of the shipped rules are published.
const DOCS_BASE: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/rules/");

/// A format rule examples can be written in: the section key in an examples file, the file
/// name an example is checked as, and how its documentation page shows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExampleFormat {
    pub(crate) key: &'static str,
    pub(crate) file_name: &'static str,
    pub(crate) heading: &'static str,
    pub(crate) fence: &'static str,
}

/// Every format examples can be written in, in documentation order.
pub(crate) const EXAMPLE_FORMATS: &[ExampleFormat] = &[
    ExampleFormat {
        key: "cloudformation",
        file_name: "template.yaml",
        heading: "CloudFormation",
        fence: "yaml",
    },
    ExampleFormat {
        key: "terraform",
        file_name: "main.tf",
        heading: "Terraform",
        fence: "hcl",
    },
    ExampleFormat {
        key: "terraform-json",
        file_name: "main.tf.json",
        heading: "Terraform JSON",
        fence: "json",
    },
    ExampleFormat {
        key: "aws-cli",
        file_name: "create-traffic-mirror-session.json",
        heading: "AWS CLI input",
        fence: "json",
    },
    ExampleFormat {
        key: "terraform-plan",
        file_name: "plan.json",
        heading: "Terraform plan JSON",
        fence: "json",
    },
    ExampleFormat {
        key: "stackql",
        file_name: "stackql_manifest.yml",
        heading: "stackql-deploy",
        fence: "yaml",
    },
];

/// How a rule is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// A Rego policy evaluated by regorus on the rule input.
    Rego,
    /// A check written in Rust (`crate::checks`).
    Builtin,
}

/// One rule: its metadata, policy text and the test and example files beside it.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Parsed metadata.
    pub meta: RuleMeta,
    /// Rego or built in.
    pub kind: RuleKind,
    /// Where the rule came from (`rules/mg001_….rego` or a user path).
    pub origin: String,
    /// The policy text (empty for built-in rules).
    pub source: String,
    /// The `_test.rego` file beside it: (origin, text).
    pub tests: Option<(String, String)>,
    /// The examples `.yaml` file beside it: (origin, text).
    pub examples: Option<(String, String)>,
    /// Whether the rule ships with mirrorguard.
    pub shipped: bool,
}

impl Rule {
    /// The rule's `deny` set path in `data`.
    pub(crate) fn deny_path(&self) -> String {
        format!("data.{}.deny", self.meta.package)
    }

    /// The rule's documentation: its page for shipped rules, else its first reference.
    pub fn help_uri(&self) -> Option<String> {
        if self.shipped {
            Some(format!("{DOCS_BASE}{}.md", self.meta.id))
        } else {
            self.meta.related.first().cloned()
        }
    }
}

/// A rule file: (origin, text, shipped with mirrorguard).
type RuleFile = (String, String, bool);

/// The loaded rules and the prepared engine that evaluates the Rego ones.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// Every rule, sorted by id.
    rules: Vec<Rule>,
    /// Whether every loaded Rego rule still runs: then one evaluation of `ALL_RULES` serves
    /// them all.
    all_enabled: bool,
    /// The shipped rules that read sessions only.
    session_rules: engine::Prepared,
    /// Every shipped rule, for units that declare more than sessions.
    all_rules: engine::Prepared,
    time_limit: Duration,
    kind: engine::EngineKind,
    /// Sessions (and other resources) evaluated so far in this run.
    evaluated: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl RuleSet {
    /// The shipped rules plus every rule in `extra_dirs`.
    pub fn load(extra_dirs: &[PathBuf]) -> Result<Self, AppError> {
        let mut files: Vec<RuleFile> = BUILTIN_FILES
            .iter()
            .map(|(n, t)| (format!("rules/{n}"), (*t).to_owned(), true))
            .collect();
        for dir in extra_dirs {
            files.extend(read_rule_dir(dir)?.into_iter().map(|(n, t)| (n, t, false)));
        }
        let set = Self::from_files(&files)?;
        set.check_shipped()?;
        Ok(set)
    }

    /// Only the rules in `dir` (for `mirrorguard rules test DIR`).
    pub fn load_dir_only(dir: &Path) -> Result<Self, AppError> {
        let files: Vec<RuleFile> = read_rule_dir(dir)?
            .into_iter()
            .map(|(n, t)| (n, t, false))
            .collect();
        Self::from_files(&files)
    }

    /// Refuses a binary whose shipped rule set is not the one it was built with: a check
    /// that runs no rule would pass everything.
    fn check_shipped(&self) -> Result<(), AppError> {
        for id in EXPECTED_SHIPPED_IDS {
            if !self.rules.iter().any(|r| r.shipped && r.meta.id == *id) {
                return Err(AppError::Rule {
                    path: "rules/".into(),
                    message: format!(
                        "the built-in rule set is incomplete: {id} is missing ({} expected)",
                        EXPECTED_SHIPPED_IDS.len()
                    ),
                });
            }
        }
        for id in BUILTIN_CHECKS {
            match self.find(id) {
                Some(r) if r.kind == RuleKind::Builtin => {}
                _ => {
                    return Err(AppError::Rule {
                        path: "rules/".into(),
                        message: format!("built-in rule {id} has no metadata file"),
                    });
                }
            }
        }
        Ok(())
    }

    fn from_files(files: &[RuleFile]) -> Result<Self, AppError> {
        let sibling = |stem: &str, suffix: &str| {
            let name = format!("{stem}{suffix}");
            files
                .iter()
                .find(|(o, _, _)| *o == name)
                .map(|(o, t, _)| (o.clone(), t.clone()))
        };
        // The METADATA blocks of the policies (`.rego` files that are not tests) are YAML, read
        // on every core: reading them one after the other was about a sixth of starting a run.
        let blocks: Vec<Option<Result<RuleMeta, MetadataError>>> = {
            use rayon::prelude::*;
            files
                .par_iter()
                .map(|(origin, text, _)| {
                    let policy = origin.ends_with(".rego") && !origin.ends_with("_test.rego");
                    policy.then(|| metadata::parse(origin, text))
                })
                .collect()
        };
        let mut rules: Vec<Rule> = Vec::new();
        for ((origin, text, shipped), block) in files.iter().zip(blocks) {
            let rule = if let Some(block) = block {
                let stem = origin.strip_suffix(".rego").unwrap_or(origin);
                let meta = block.map_err(|e| rule_error(origin, e))?;
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
                Rule {
                    meta,
                    kind: RuleKind::Rego,
                    origin: origin.clone(),
                    source: text.clone(),
                    tests: sibling(stem, "_test.rego"),
                    examples: sibling(stem, ".yaml"),
                    shipped: *shipped,
                }
            } else if let Some(stem) = origin.strip_suffix(".yaml") {
                if sibling(stem, ".rego").is_some() {
                    continue; // the examples of a Rego rule
                }
                let Some(meta) = builtin_metadata(origin, text)? else {
                    continue;
                };
                if !*shipped || !BUILTIN_CHECKS.contains(&meta.id.as_str()) {
                    return Err(AppError::Rule {
                        path: origin.clone(),
                        message: format!(
                            "{} declares metadata but no built-in check implements it (write a .rego rule beside it)",
                            meta.id
                        ),
                    });
                }
                Rule {
                    meta,
                    kind: RuleKind::Builtin,
                    origin: origin.clone(),
                    source: String::new(),
                    tests: None,
                    examples: Some((origin.clone(), text.clone())),
                    shipped: true,
                }
            } else {
                continue;
            };
            if let Some(other) = rules.iter().find(|r| r.meta.id == rule.meta.id) {
                return Err(AppError::Rule {
                    path: origin.clone(),
                    message: format!("rule id {} is also used by {}", rule.meta.id, other.origin),
                });
            }
            rules.push(rule);
        }
        rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        engine::parse_user_rules(&rules)?;
        Ok(Self {
            all_enabled: true,
            session_rules: engine::Prepared::new(&rules, false),
            all_rules: engine::Prepared::new(&rules, true),
            rules,
            time_limit: RULE_TIME_LIMIT,
            kind: engine::EngineKind::default(),
            evaluated: std::sync::Arc::default(),
        })
    }

    /// Every rule, sorted by id.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The Rego rules, sorted by id.
    pub fn rego_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.kind == RuleKind::Rego)
    }

    /// The Rego rules evaluated in process: the shipped ones.
    pub(crate) fn engine_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rego_rules().filter(|r| r.shipped)
    }

    /// The Rego rules of `--rules` folders: untrusted code, evaluated out of process, each
    /// with its own time budget for the whole run (see `pipeline::sandbox`).
    pub fn user_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rego_rules().filter(|r| !r.shipped)
    }

    /// The time budget of each user rule for the whole run.
    pub fn time_limit(&self) -> Duration {
        self.time_limit
    }

    /// Every rule's metadata, sorted by id: the SARIF rule index.
    pub fn metas(&self) -> Vec<&RuleMeta> {
        self.rules.iter().map(|r| &r.meta).collect()
    }

    /// The rule with this id (case-insensitive).
    pub fn find(&self, id: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.meta.id.eq_ignore_ascii_case(id))
    }

    /// Metadata of any rule by id (case-insensitive).
    pub fn find_meta(&self, id: &str) -> Option<&RuleMeta> {
        self.find(id).map(|r| &r.meta)
    }

    /// The time budget of each user rule for the whole run, and the limit of one evaluation
    /// of the shipped rules.
    pub fn set_time_limit(&mut self, limit: Duration) {
        self.time_limit = limit;
    }

    /// Which engine evaluates the shipped rules (see [`engine`]).
    pub(crate) fn set_engine_kind(&mut self, kind: engine::EngineKind) {
        self.kind = kind;
    }

    /// Applies configuration: severity overrides and disabled rules. Unknown ids are errors,
    /// so a typo does not silently leave a rule at its default.
    pub fn configure(
        &mut self,
        severity: &std::collections::BTreeMap<String, String>,
        disable: &[String],
    ) -> Result<(), AppError> {
        for id in severity.keys().chain(disable.iter()) {
            if self.find(id).is_none() {
                return Err(AppError::Usage(format!(
                    "configuration names rule {id}, which does not exist"
                )));
            }
        }
        for (id, level) in severity {
            let level = crate::report::Severity::parse(level).ok_or_else(|| {
                AppError::Usage(format!(
                    "severity of {id} must be error, warning or note, not {level}"
                ))
            })?;
            for r in &mut self.rules {
                if r.meta.id.eq_ignore_ascii_case(id) {
                    r.meta.severity = level;
                }
            }
        }
        let off = |id: &str| disable.iter().any(|d| d.eq_ignore_ascii_case(id));
        let rego_before = self.engine_rules().count();
        self.rules.retain(|r| !off(&r.meta.id));
        self.all_enabled &= self.engine_rules().count() == rego_before;
        Ok(())
    }

    /// Findings of enabled rules only, each with its rule's configured severity.
    pub(crate) fn with_configured_severity(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter_map(|mut f| {
                f.severity = self.find_meta(&f.rule_id)?.severity;
                Some(f)
            })
            .collect()
    }

    /// Whether one evaluation of [`ALL_RULES`] gives every enabled rule's results.
    pub(crate) fn all_enabled(&self) -> bool {
        self.all_enabled
    }

    /// The engine for a unit of `size` sessions and resources: the compiled VM (unless the
    /// interpreter was chosen) when its program is precompiled, else once the run has
    /// evaluated enough to pay for compiling it.
    pub(crate) fn engine_for(&self, size: usize, sessions_only: bool) -> engine::EngineKind {
        use std::sync::atomic::Ordering;
        let prepared = if sessions_only {
            &self.session_rules
        } else {
            &self.all_rules
        };
        match self.kind {
            engine::EngineKind::Auto if prepared.is_precompiled() => engine::EngineKind::Compiled,
            engine::EngineKind::Auto => {
                let before = self.evaluated.fetch_add(size, Ordering::Relaxed);
                if before.saturating_add(size) >= engine::COMPILE_AFTER_SESSIONS {
                    engine::EngineKind::Compiled
                } else {
                    engine::EngineKind::Interpreter
                }
            }
            other => other,
        }
    }

    /// An evaluator of the session rules, for one worker.
    pub(crate) fn evaluator(&self, kind: engine::EngineKind) -> Result<engine::Evaluator, String> {
        self.session_rules.evaluator(kind, self.time_limit)
    }

    /// An evaluator of every shipped rule, for one worker.
    pub(crate) fn full_evaluator(
        &self,
        kind: engine::EngineKind,
    ) -> Result<engine::Evaluator, String> {
        self.all_rules.evaluator(kind, self.time_limit)
    }
}

fn rule_error(origin: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Rule {
        path: origin.to_owned(),
        message: e.to_string(),
    }
}

/// The `metadata:` section of an examples file without a Rego rule beside it.
fn builtin_metadata(origin: &str, text: &str) -> Result<Option<RuleMeta>, AppError> {
    // Only the top-level `metadata:` block is read (the examples after it can be long).
    let Some(section) = top_level_block(text, "metadata") else {
        return Ok(None);
    };
    if let Some(meta) = metadata_cache::lookup(Some("metadata"), section, "") {
        return Ok(Some(meta));
    }
    metadata::parse_block_uncached(origin, section, Some("metadata"), String::new())
        .map_err(|e| rule_error(origin, e))
}

/// The text of a top-level YAML block `key:` (up to the next top-level key).
fn top_level_block<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    let head = format!("{key}:");
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        let top = !line.starts_with([' ', '\t', '#', '\n', '\r']) && !line.is_empty();
        match start {
            None if top && line.trim_end() == head => start = Some(offset),
            Some(s) if top => return text.get(s..offset),
            _ => {}
        }
        offset += line.len();
    }
    start.and_then(|s| text.get(s..))
}

/// The examples of a rule as a YAML tree (`None` when it has none or they do not parse).
pub(crate) fn examples_root(rule: &Rule) -> Option<Node> {
    let (origin, text) = rule.examples.as_ref()?;
    yaml::parse(&SourceFile::in_memory(origin, text))
        .ok()
        .flatten()
}

/// Reads the `.rego` and `.yaml` files of a rule folder (not recursive), sorted by name.
fn read_rule_dir(dir: &Path) -> Result<Vec<(String, String)>, AppError> {
    let read_err = |source: std::io::Error| AppError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !(name.ends_with(".rego") || name.ends_with(".yaml")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|source| AppError::Read {
            path: path.clone(),
            source,
        })?;
        out.push((path.display().to_string().replace('\\', "/"), text));
    }
    out.sort();
    Ok(out)
}

/// Pins a file that `UPDATE_GOLDEN=1 cargo test --lib precompiled` generates under
/// `rules/compiled/`: writes `fresh` to `path` when asked to (`true`), else fails unless the
/// committed file is `fresh` (`false`: the caller goes on to check what the binary embeds).
#[cfg(test)]
pub(crate) fn pin_precompiled(path: &Path, fresh: &[u8]) -> bool {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(path, fresh));
        if let Err(e) = written {
            panic!("{}: {e}", path.display());
        }
        return true;
    }
    let committed = std::fs::read(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run UPDATE_GOLDEN=1 cargo test --lib precompiled, then rebuild",
        path.display()
    );
    false
}

#[cfg(test)]
mod tests {
    use super::top_level_block;

    #[test]
    fn top_level_blocks_end_at_the_next_top_level_key() {
        let text = "# c\nmetadata:\n  title: x\n\n  custom: {id: A}\nterraform:\n  good: []\n";
        assert_eq!(
            top_level_block(text, "metadata"),
            Some("metadata:\n  title: x\n\n  custom: {id: A}\n")
        );
        assert_eq!(top_level_block(text, "cloudformation"), None);
    }
}
