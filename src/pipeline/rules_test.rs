//! `mirrorguard rules test`: each rule's Rego unit tests and its good/bad examples.
//!
//! Unit tests are the `test_*` rules of the `_test.rego` file beside a rule, run by regorus
//! itself (the same engine as production); `true` passes. Examples come from the `.yaml`
//! file beside the rule (one section per format, each with `good:`/`bad:` lists) and go
//! through the real pipeline: a good example must produce no open finding at all, a bad one
//! exactly one, from this rule (biome's rule-docs contract). Built-in rules have examples
//! only; theirs may carry the IAM policy or the live sessions the check compares with.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use regorus::Engine;

use super::check::{CheckOptions, IamCheck, check_sources};
use super::drift::{DriftOptions, LiveRead, run_sources};
use crate::checks::drift::live;
use crate::checks::iam::{Operation, Principal};
use crate::error::CheckError;
use crate::parse::tree::Node;
use crate::report::Report;
use crate::rules::{EXAMPLE_FORMATS, Rule, RuleKind, RuleSet, examples_root};
use crate::source::SourceFile;

/// The result of a test run.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Human-readable log, one line per test, and a summary line.
    pub(crate) text: String,
    /// Tests that passed.
    pub(crate) passed: usize,
    /// Tests that failed.
    pub(crate) failed: usize,
}

/// Runs every rule's tests and examples.
pub(crate) fn run_all(set: &RuleSet) -> Outcome {
    let mut o = Outcome::default();
    for rule in set.rules() {
        if rule.kind == RuleKind::Rego {
            unit_tests(set, rule, &mut o);
        }
        examples(set, rule, &mut o);
    }
    let _ = writeln!(o.text, "{} passed, {} failed", o.passed, o.failed);
    o
}

fn record(o: &mut Outcome, ok: bool, name: &str, detail: &str) {
    if ok {
        o.passed += 1;
        let _ = writeln!(o.text, "ok   {name}");
    } else {
        o.failed += 1;
        let _ = writeln!(o.text, "FAIL {name}: {detail}");
    }
}

fn unit_tests(set: &RuleSet, rule: &Rule, o: &mut Outcome) {
    let Some((origin, text)) = &rule.tests else {
        record(
            o,
            false,
            &format!("{} tests", rule.meta.id),
            "no _test.rego file beside the rule",
        );
        return;
    };
    let mut engine = Engine::new();
    for r in set.rego_rules() {
        if let Err(e) = engine.add_policy(r.origin.clone(), r.source.clone()) {
            record(o, false, &r.origin, &e.to_string());
            return;
        }
    }
    let package = match engine.add_policy(origin.clone(), text.clone()) {
        Ok(p) => p,
        Err(e) => {
            record(o, false, origin, &e.to_string());
            return;
        }
    };
    let names: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let name_end = l.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
            let name = &l[..name_end];
            name.starts_with("test_").then_some(name)
        })
        .collect();
    if names.is_empty() {
        record(o, false, origin, "no test_ rules");
    }
    for name in names {
        let label = format!("{} {name}", rule.meta.id);
        match engine.eval_rule(format!("{package}.{name}")) {
            Ok(regorus::Value::Bool(true)) => record(o, true, &label, ""),
            Ok(v) => record(o, false, &label, &format!("evaluated to {v}")),
            Err(e) => record(o, false, &label, &e.to_string()),
        }
    }
}

/// One example: the files to check and what else the check needs.
#[derive(Debug, Default)]
pub(crate) struct Example {
    /// (name, text) of each file, the main one first.
    pub(crate) files: Vec<(String, String)>,
    /// An IAM policy document (MG020).
    pub(crate) policy: Option<String>,
    /// Operations checked with the policy.
    pub(crate) operations: Vec<Operation>,
    /// A `describe-traffic-mirror-sessions` output (drift rules).
    pub(crate) live: Option<String>,
    /// Saved describe outputs the check runs a preflight against.
    pub(crate) preflight: Vec<String>,
}

/// Reads one example item: the file's text, or a map with `file` (or a stackql `manifest`
/// and its `resources`), `policy`, `operations`, `live` (drift) and `preflight` (saved
/// describe outputs a check runs against).
pub(crate) fn example_of(item: &Node, file_name: &str) -> Result<Example, String> {
    if let Some(code) = item.as_str() {
        return Ok(Example {
            files: vec![(file_name.to_owned(), code.to_owned())],
            ..Example::default()
        });
    }
    let text = |key: &str| item.get(key).and_then(Node::as_str).map(str::to_owned);
    let mut ex = Example::default();
    if let Some(code) = text("file") {
        ex.files.push((file_name.to_owned(), code));
    } else if let Some(manifest) = text("manifest") {
        ex.files.push((file_name.to_owned(), manifest));
        for q in item.get("resources").and_then(Node::as_map).unwrap_or(&[]) {
            if let Some(code) = q.value.as_str() {
                ex.files
                    .push((format!("resources/{}", q.key), code.to_owned()));
            }
        }
    } else {
        return Err(
            "an example is a string, or a map with `file` (or `manifest` and `resources`)".into(),
        );
    }
    ex.policy = text("policy");
    ex.live = text("live");
    ex.preflight = item
        .get("preflight")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|d| d.as_str().map(str::to_owned))
        .collect();
    for op in item.get("operations").and_then(Node::as_seq).unwrap_or(&[]) {
        let name = op.as_str().unwrap_or("");
        ex.operations
            .push(Operation::parse(name).ok_or_else(|| format!("unknown operation {name}"))?);
    }
    Ok(ex)
}

/// Runs an example through the pipeline the rule belongs to.
pub(crate) fn run_example(set: &RuleSet, ex: &Example, dir: &str, label: &str) -> Report {
    let sources: Vec<SourceFile> = ex
        .files
        .iter()
        .map(|(name, code)| {
            SourceFile::new(
                PathBuf::from(format!("{dir}/{name}")),
                format!("{label}/{name}"),
                Arc::from(code.as_str()),
            )
        })
        .collect();
    let mut options = CheckOptions::default();
    if let Some(policy) = &ex.policy {
        let doc = Arc::new(SourceFile::in_memory("policy.json", policy));
        let mut errors = Vec::new();
        let principal = Principal::from_sources(&[doc], &[], &mut errors);
        options.iam = Some(IamCheck {
            principal,
            operations: if ex.operations.is_empty() {
                Operation::ALL.to_vec()
            } else {
                ex.operations.clone()
            },
        });
        if let Some(e) = errors.into_iter().next() {
            return Report {
                errors: vec![e.into()],
                ..Report::default()
            };
        }
    }
    match &ex.live {
        Some(text) => {
            let source = Arc::new(SourceFile::in_memory("live.json", text));
            let mut live_read = LiveRead::default();
            match live::parse_live_output(&source, "") {
                Ok(doc) => {
                    live_read.sessions = doc.sessions;
                    live_read.filters = doc.filters;
                }
                Err(e) => {
                    live_read
                        .errors
                        .push(CheckError::from(crate::error::FileError::whole_file(
                            "live.json",
                            e.to_string(),
                        )))
                }
            }
            let drift = DriftOptions {
                check: options,
                ..DriftOptions::default()
            };
            run_sources(sources, &drift, set, live_read)
        }
        None => {
            if !ex.preflight.is_empty() {
                options.live = Some(Arc::new(super::preflight::Preflight {
                    source: Box::new(InMemoryFacts(ex.preflight.clone())),
                    states: Vec::new(),
                    stack_name: None,
                }));
            }
            check_sources(sources, &options, set)
        }
    }
}

/// Saved outputs given inline in an example.
struct InMemoryFacts(Vec<String>);

impl super::preflight::LiveFactsSource for InMemoryFacts {
    fn read(
        &self,
        _wanted: &crate::checks::preflight::Wanted,
    ) -> crate::checks::preflight::LiveFacts {
        let mut facts = crate::checks::preflight::LiveFacts {
            source: "--live-file".into(),
            ..Default::default()
        };
        for (i, text) in self.0.iter().enumerate() {
            facts.add_document(
                Arc::new(SourceFile::in_memory(&format!("live-{i}.json"), text)),
                None,
            );
        }
        facts
    }
}

fn examples(set: &RuleSet, rule: &Rule, o: &mut Outcome) {
    let Some((origin, _)) = &rule.examples else {
        record(
            o,
            false,
            &format!("{} examples", rule.meta.id),
            "no examples .yaml beside the rule",
        );
        return;
    };
    let Some(root) = examples_root(rule) else {
        record(o, false, origin, "the examples file is empty or not YAML");
        return;
    };
    let mut bad_count = 0;
    for f in EXAMPLE_FORMATS {
        let (format, file_name) = (f.key, f.file_name);
        let Some(section) = root.get(format) else {
            continue;
        };
        for (kind, want_bad) in [("good", false), ("bad", true)] {
            let items: &[Node] = section.get(kind).and_then(Node::as_seq).unwrap_or(&[]);
            for (i, item) in items.iter().enumerate() {
                if want_bad {
                    bad_count += 1;
                }
                let label = format!("{} {format} {kind}[{i}]", rule.meta.id);
                let ex = match example_of(item, file_name) {
                    Ok(ex) => ex,
                    Err(e) => {
                        record(o, false, &label, &e);
                        continue;
                    }
                };
                let dir = format!("examples/{}/{format}-{kind}-{i}", rule.meta.id);
                let report = run_example(
                    set,
                    &ex,
                    &dir,
                    &format!("{}:{format}.{kind}[{i}]", rule.meta.id),
                );
                let ids: Vec<&str> = report
                    .findings
                    .iter()
                    .filter(|f| f.suppression.is_none())
                    .map(|f| f.rule_id.as_str())
                    .collect();
                let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
                let ok = errors.is_empty()
                    && report.units > 0
                    && if want_bad {
                        ids == [rule.meta.id.as_str()]
                    } else {
                        ids.is_empty()
                    };
                let detail = if !errors.is_empty() {
                    errors.join("; ")
                } else if report.units == 0 {
                    "the example declares no traffic mirroring resource".to_owned()
                } else {
                    format!(
                        "expected {}, got {:?}",
                        if want_bad {
                            format!("exactly one {}", rule.meta.id)
                        } else {
                            "no findings".into()
                        },
                        ids
                    )
                };
                record(o, ok, &label, &detail);
            }
        }
    }
    if bad_count == 0 {
        record(
            o,
            false,
            &format!("{} examples", rule.meta.id),
            "no bad example",
        );
    }
}
