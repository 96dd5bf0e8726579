//! `mirrorguard rules test`: each rule's Rego unit tests and its good/bad examples.
//!
//! Unit tests are the `test_*` rules of the `_test.rego` file beside a rule, run by regorus
//! itself (the same engine as production); `true` passes. Examples come from the `.yaml`
//! file beside the rule (`cloudformation:`/`terraform:` each with `good:`/`bad:` lists) and
//! go through the real parsers: a good example must produce no finding at all, a bad one
//! exactly one, from this rule (biome's rule-docs contract).

use std::fmt::Write as _;
use std::path::PathBuf;

use regorus::Engine;

use super::{Rule, RuleSet};
use crate::check::{CheckOptions, check_sources};
use crate::parse::{tree::Node, yaml};
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
        unit_tests(set, rule, &mut o);
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
    for r in set.rules() {
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
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let name_end = l.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
            let name = &l[..name_end];
            name.starts_with("test_").then_some(name)
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
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

fn examples(set: &RuleSet, rule: &Rule, o: &mut Outcome) {
    let Some((origin, text)) = &rule.examples else {
        record(
            o,
            false,
            &format!("{} examples", rule.meta.id),
            "no examples .yaml beside the rule",
        );
        return;
    };
    let source = SourceFile::in_memory(origin, text);
    let root = match yaml::parse(&source) {
        Ok(Some(r)) => r,
        Ok(None) => {
            record(o, false, origin, "empty examples file");
            return;
        }
        Err(e) => {
            record(o, false, origin, &e.to_string());
            return;
        }
    };
    let mut bad_count = 0;
    for (format, file_name) in [
        ("cloudformation", "template.yaml"),
        ("terraform", "main.tf"),
        ("terraform-json", "main.tf.json"),
        ("aws-cli", "create-traffic-mirror-session.json"),
        ("stackql", "stackql_manifest.yml"),
    ] {
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
                let dir = format!("examples/{}/{format}-{kind}-{i}", rule.meta.id);
                let file = |name: &str, code: &str| {
                    SourceFile::new(
                        PathBuf::from(format!("{dir}/{name}")),
                        format!("{}:{format}.{kind}[{i}]/{name}", rule.meta.id),
                        std::sync::Arc::from(code),
                    )
                };
                // An example is the file's text, or (stackql) a manifest with its query files.
                let files: Vec<SourceFile> =
                    match (item.as_str(), item.get("manifest").and_then(Node::as_str)) {
                        (Some(code), _) => vec![file(file_name, code)],
                        (None, Some(manifest)) => {
                            let mut files = vec![file(file_name, manifest)];
                            for q in item.get("resources").and_then(Node::as_map).unwrap_or(&[]) {
                                if let Some(code) = q.value.as_str() {
                                    files.push(file(&format!("resources/{}", q.key), code));
                                }
                            }
                            files
                        }
                        _ => {
                            record(
                                o,
                                false,
                                &label,
                                "an example is a string, or a map with manifest and resources",
                            );
                            continue;
                        }
                    };
                let report = check_sources(files, &CheckOptions::default(), set);
                let ids: Vec<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
                let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
                let ok = errors.is_empty()
                    && report.sessions > 0
                    && if want_bad {
                        ids == [rule.meta.id.as_str()]
                    } else {
                        ids.is_empty()
                    };
                let detail = if !errors.is_empty() {
                    errors.join("; ")
                } else if report.sessions == 0 {
                    "the example declares no session".to_owned()
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
