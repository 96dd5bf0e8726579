//! What a run found: findings, checks skipped on unknown values, and what could not be
//! checked. Plain data shared by every check and every renderer; nothing here does I/O.

mod finding;
pub mod topology;

pub use finding::{
    Applicability, Applied, Edit, Finding, Fix, Location, Related, Severity, Skipped,
};
pub(crate) use finding::{sort_findings, stable_hash};

use crate::error::CheckError;

/// Everything a run found.
#[derive(Debug, Default)]
pub struct Report {
    /// Rule violations, sorted.
    pub findings: Vec<Finding>,
    /// Checks hidden by unknown values, sorted.
    pub skipped: Vec<Skipped>,
    /// Files, rules or live sources that could not be processed, sorted.
    pub errors: Vec<CheckError>,
    /// Files read.
    pub files_read: usize,
    /// Templates and modules that declare traffic mirror resources.
    pub units: usize,
    /// Sessions (resource instances) checked.
    pub sessions: usize,
    /// Findings left out because a baseline records them.
    pub baselined: usize,
    /// Values that must not be shown (masked in source snippets too).
    pub secrets: std::collections::BTreeSet<String>,
    /// The files read (a report is never written over one of them).
    pub inputs: Vec<std::path::PathBuf>,
    /// Command-line values that do not fit the files (`--stack-env` naming no
    /// environment): the run ends with a usage error instead of a report.
    pub usage_errors: Vec<String>,
    /// CloudFormation parameters declared by the templates read.
    pub parameters: std::collections::BTreeSet<String>,
    /// The drawing of each unit with mirror resources, by unit name.
    pub topologies: Vec<topology::Topology>,
    /// Live sessions outside every drift scope (counted, not compared).
    pub live_outside_scopes: usize,
}

/// The lowest severity that makes a run fail (exit status 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warning,
    /// Any finding.
    Note,
    /// Never (exit 0 unless something could not be checked).
    Never,
}

impl FailOn {
    /// The spellings accepted on the command line and in the configuration file.
    pub const NAMES: [&'static str; 4] = ["error", "warning", "note", "never"];

    /// Parses `error`, `warning`, `note` or `never`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.to_ascii_lowercase().as_str() {
            "error" => Self::Error,
            "warning" => Self::Warning,
            "note" => Self::Note,
            "never" => Self::Never,
            _ => return None,
        })
    }

    fn threshold(self) -> Option<Severity> {
        match self {
            Self::Error => Some(Severity::Error),
            Self::Warning => Some(Severity::Warning),
            Self::Note => Some(Severity::Note),
            Self::Never => None,
        }
    }
}

/// How a run ended: 0 nothing at or above `--fail-on`, 1 findings, 2 an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing to report at or above the threshold.
    Clean = 0,
    /// Findings at or above the threshold.
    Findings = 1,
    /// A usage, parse or runtime error.
    Error = 2,
}

impl Report {
    /// Unsuppressed findings of one severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.suppression.is_none() && f.severity == severity)
            .count()
    }

    /// The exit status under a `--fail-on` threshold: anything that could not be checked
    /// wins, then unsuppressed findings at or above the threshold.
    pub fn exit_status(&self, fail_on: FailOn) -> ExitStatus {
        if !self.errors.is_empty() {
            return ExitStatus::Error;
        }
        match fail_on.threshold() {
            Some(t)
                if self
                    .findings
                    .iter()
                    .any(|f| f.suppression.is_none() && f.severity >= t) =>
            {
                ExitStatus::Findings
            }
            _ => ExitStatus::Clean,
        }
    }

    /// Adds a part of a run (one unit's, or one drift scope's); [`Report::finish`] puts
    /// everything in order afterwards. Baselined and out-of-scope counts are the whole run's,
    /// set by its caller.
    pub(crate) fn absorb(&mut self, part: Report) {
        self.findings.extend(part.findings);
        self.skipped.extend(part.skipped);
        self.errors.extend(part.errors);
        self.files_read += part.files_read;
        self.units += part.units;
        self.sessions += part.sessions;
        self.secrets.extend(part.secrets);
        self.inputs.extend(part.inputs);
        self.usage_errors.extend(part.usage_errors);
        self.parameters.extend(part.parameters);
        self.topologies.extend(part.topologies);
    }

    /// Sorts and de-duplicates everything, so the output is the same bytes for the same input.
    pub fn finish(&mut self) {
        sort_findings(&mut self.findings);
        // Instances of one `count`/`for_each` resource share their source: one finding per place.
        self.findings.dedup_by(|a, b| {
            a.rule_id == b.rule_id
                && a.file() == b.file()
                && a.location.is_some()
                && a.span() == b.span()
                && a.message == b.message
        });
        let key = |s: &Skipped| {
            (
                s.location.file().to_owned(),
                s.location.span.start,
                s.location.span.end,
                s.property.clone(),
                s.reason.clone(),
            )
        };
        self.skipped.sort_by_key(key);
        // One value that hides checks of several things (a command changing every filter's
        // network services) is listed once, with every check it hides.
        self.skipped.dedup_by(|later, kept| {
            let same = key(later) == key(kept);
            if same {
                kept.rules.append(&mut later.rules);
                kept.rules.sort();
                kept.rules.dedup();
            }
            same
        });
        self.errors.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.errors.dedup_by(|a, b| a.sort_key() == b.sort_key());
        self.topologies.sort_by(|a, b| a.unit.cmp(&b.unit));
        let open: Vec<Finding> = self
            .findings
            .iter()
            .filter(|f| f.suppression.is_none())
            .cloned()
            .collect();
        for t in &mut self.topologies {
            t.mark(&open);
        }
    }
}
