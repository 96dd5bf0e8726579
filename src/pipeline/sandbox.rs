//! User rules (`--rules DIR`, or `rules` in a repository's configuration) are untrusted
//! code: a pull request can add one. Each runs in its own child process (`mirrorguard
//! __eval-rule`), with an address-space limit and the rule's time budget for the whole run.
//! A rule that recurses without end, allocates without bound, panics or runs out of time
//! kills only its own process: the run reports one error naming the rule, disables it, and
//! keeps every other result.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::error::{RunError, Subject};
use crate::model::{RuleInput, Unit};
use crate::rules::eval::{UnitResult, user_rule_results};
use crate::rules::{Rule, RuleSet};

/// The hidden subcommand the child runs.
pub const SUBCOMMAND: &str = "__eval-rule";

/// Address space of the child process.
const MEMORY_LIMIT: u64 = 768 * 1024 * 1024;

/// Runs every user rule on every unit; results in the order of `units`.
pub(crate) fn run_user_rules(rules: &RuleSet, units: &[(&Unit, &RuleInput)]) -> Vec<UnitResult> {
    let mut results: Vec<UnitResult> = units.iter().map(|_| UnitResult::default()).collect();
    if units.is_empty() {
        return results;
    }
    let policies: Vec<Json> = rules
        .user_rules()
        .map(|r| json!([r.origin, r.source]))
        .collect();
    for rule in rules.user_rules() {
        let outcome = run_one(rule, &policies, units, rules.time_limit());
        for (i, line) in outcome.lines.iter().enumerate() {
            let Some(((unit, input), result)) = units.get(i).zip(results.get_mut(i)) else {
                break;
            };
            match line {
                Ok(deny) => {
                    let r = user_rule_results(rule, unit, input, deny);
                    result.findings.extend(r.findings);
                    result.errors.extend(r.errors);
                }
                Err(message) => result.errors.push(RunError::new(
                    Subject::Rule,
                    format!("rule {} on {}", rule.meta.id, unit.name),
                    message.clone(),
                )),
            }
        }
        if let (Some(why), Some(first)) = (outcome.stopped, results.first_mut()) {
            first.errors.push(RunError::new(
                Subject::Rule,
                format!("rule {}", rule.meta.id),
                format!(
                    "{why}; it checked {} of {} templates and modules and is disabled for the rest of the run",
                    outcome.lines.len(),
                    units.len()
                ),
            ));
        }
    }
    results
}

/// What one child gave back.
struct Outcome {
    /// One result per unit, in order, as far as it got.
    lines: Vec<Result<Json, String>>,
    /// Why it stopped early, if it did.
    stopped: Option<String>,
}

fn run_one(
    rule: &Rule,
    policies: &[Json],
    units: &[(&Unit, &RuleInput)],
    budget: Duration,
) -> Outcome {
    let stopped = |why: String| Outcome {
        lines: Vec::new(),
        stopped: Some(why),
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return stopped(format!("cannot start the rule's process: {e}")),
    };
    let mut child = match Command::new(exe)
        .arg(SUBCOMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return stopped(format!("cannot start the rule's process: {e}")),
    };
    let request = json!({
        "policies": policies,
        "rule": rule.deny_path(),
        "budget_ms": u64::try_from(budget.as_millis()).unwrap_or(u64::MAX),
        "inputs": units.iter().map(|(_, i)| &i.json).collect::<Vec<_>>(),
    });
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        return stopped("cannot talk to the rule's process".into());
    };
    let writer = std::thread::spawn(move || {
        let _ = serde_json::to_writer(&mut stdin, &request);
        let _ = stdin.flush();
    });
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    let deadline = Instant::now() + budget;
    let mut lines = Vec::new();
    let mut why = None;
    loop {
        while let Ok(l) = rx.try_recv() {
            lines.push(parse_line(&l));
        }
        match child.try_wait() {
            Ok(Some(status)) => {
                if !status.success() && lines.len() < units.len() {
                    why = Some(format!(
                        "its evaluation crashed ({status}: endless recursion, more than {} MiB of memory, or a panic)",
                        MEMORY_LIMIT / (1024 * 1024)
                    ));
                }
                break;
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                why = Some(format!(
                    "it used its time budget of {} s for the whole run (--rule-time-limit)",
                    budget.as_secs_f64()
                ));
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => {
                why = Some(format!("its process could not be watched: {e}"));
                break;
            }
        }
    }
    let _ = writer.join();
    let _ = reader.join();
    while let Ok(l) = rx.try_recv() {
        lines.push(parse_line(&l));
    }
    if why.is_none() && lines.len() < units.len() {
        why = Some("its process stopped before checking everything".into());
    }
    lines.truncate(units.len());
    Outcome {
        lines,
        stopped: why,
    }
}

fn parse_line(line: &str) -> Result<Json, String> {
    match serde_json::from_str::<Json>(line) {
        Ok(Json::Object(mut m)) => match (m.remove("ok"), m.remove("error")) {
            (Some(v), _) => Ok(v),
            (_, Some(Json::String(e))) => Err(e),
            _ => Err("the rule's process answered nonsense".into()),
        },
        _ => Err("the rule's process answered nonsense".into()),
    }
}

/// The child: reads the request on stdin, evaluates the rule on each input, writes one JSON
/// line per input. Runs under an address-space limit; whatever goes wrong ends only it.
pub fn serve() -> u8 {
    #[cfg(unix)]
    {
        let _ = rlimit::setrlimit(rlimit::Resource::AS, MEMORY_LIMIT, MEMORY_LIMIT);
    }
    let mut text = String::new();
    if std::io::stdin().read_to_string(&mut text).is_err() {
        return 2;
    }
    let Ok(request) = serde_json::from_str::<Json>(&text) else {
        return 2;
    };
    let mut engine = regorus::Engine::new();
    for p in request["policies"].as_array().into_iter().flatten() {
        if let (Some(origin), Some(source)) = (p[0].as_str(), p[1].as_str())
            && engine
                .add_policy(origin.to_owned(), source.to_owned())
                .is_err()
        {
            return 2;
        }
    }
    let rule = request["rule"].as_str().unwrap_or("").to_owned();
    let budget = Duration::from_millis(request["budget_ms"].as_u64().unwrap_or(10_000));
    let start = Instant::now();
    let mut out = std::io::stdout().lock();
    for input in request["inputs"].as_array().into_iter().flatten() {
        let left = budget.saturating_sub(start.elapsed());
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: left.max(Duration::from_millis(1)),
            check_interval: std::num::NonZeroU32::MIN.saturating_add(99),
        });
        engine.set_input(regorus::Value::from(input.clone()));
        let line = match engine.eval_rule(rule.clone()) {
            Ok(v) => match serde_json::to_value(&v) {
                Ok(j) => json!({ "ok": j }),
                Err(e) => json!({ "error": e.to_string() }),
            },
            Err(e) => json!({ "error": format!("failed: {e}") }),
        };
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            return 2;
        }
    }
    0
}
