//! `mirrorguard drift`: declared sessions against live `DescribeTrafficMirrorSessions`.
//!
//! Declarations are read exactly as `check` reads them. Live sessions come from a
//! [`LiveSource`]: saved `aws ec2 describe-traffic-mirror-sessions` outputs ([`LiveFiles`],
//! no AWS SDK needed) or, with the `aws` cargo feature, the EC2 API (`crate::aws`). A source
//! that could not be read is an error (exit 2, a SARIF notification), never an empty, clean
//! result; what could be read is still compared.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::check::{CheckOptions, Declared, declared_units, declared_units_of_sources};
use super::discover::{display_path, read_source};
use crate::checks::drift::inventory::Coverage;
use crate::checks::drift::live::LiveFileError;
use crate::checks::drift::live_filters::LiveFilter;
use crate::checks::drift::remediation::RemediationPlan;
use crate::checks::drift::scope::Scope;
use crate::checks::drift::{LiveSession, Matching, compare, compare_filters, live, state};
use crate::error::{CheckError, FileError};
use crate::model::Format;
use crate::report::{Location, Report};
use crate::rules::RuleSet;
use crate::source::SourceFile;

/// Live sessions and the accounts they were read for, with what failed.
#[derive(Debug, Default)]
pub struct LiveRead {
    /// Sessions read.
    pub sessions: Vec<LiveSession>,
    /// Filters read, with their rules (compared when a declared session's filter is one).
    pub filters: Vec<LiveFilter>,
    /// Accounts audited (`None`: unknown, every owner counts).
    pub accounts: Option<BTreeSet<String>>,
    /// Sources that failed (a region, a file).
    pub errors: Vec<CheckError>,
    /// What an inventory (AWS Config) covers; `None` for the EC2 API and its saved outputs,
    /// which cover the regions they were read in.
    pub coverage: Option<Coverage>,
}

/// Where live sessions come from.
pub trait LiveSource {
    /// Reads every live session the source covers.
    fn read(&self) -> LiveRead;
}

/// Saved `describe-traffic-mirror-sessions` outputs (`--live-file`).
#[derive(Debug, Clone, Default)]
pub struct LiveFiles {
    /// The files.
    pub files: Vec<PathBuf>,
    /// The region they were read in, when one `--region` says so.
    pub region: Option<String>,
    /// The audited account (`--account-id`).
    pub account_id: Option<String>,
}

impl LiveSource for LiveFiles {
    fn read(&self) -> LiveRead {
        let mut out = LiveRead::default();
        for given in &self.files {
            let (region, path) = region_and_path(given, self.region.as_deref());
            match read_source(&path) {
                Ok(source) => {
                    let source = Arc::new(source);
                    match live::parse_live_output(&source, &region) {
                        Ok(doc) => {
                            out.sessions.extend(doc.sessions);
                            out.filters.extend(doc.filters);
                            if let Some(c) = doc.coverage {
                                out.coverage.get_or_insert_with(Coverage::default).merge(c);
                            }
                        }
                        Err(LiveFileError::Json(e)) => out.errors.push(e.into()),
                        Err(e) => out.errors.push(
                            FileError::whole_file(source.display.clone(), e.to_string()).into(),
                        ),
                    }
                }
                Err(e) => out.errors.push(e.into()),
            }
        }
        if let Some(a) = &self.account_id {
            out.accounts = Some(BTreeSet::from([a.clone()]));
        }
        out
    }
}

/// The file of a `--live-file` value (`REGION=FILE` or `FILE`).
pub fn live_file_path(given: &Path) -> PathBuf {
    region_and_path(given, None).1
}

/// `REGION=FILE` names the region a saved output was read in; a plain `FILE` takes the
/// one `--region`.
fn region_and_path(given: &Path, region: Option<&str>) -> (String, PathBuf) {
    let text = given.to_string_lossy();
    if let Some((r, file)) = text.split_once('=')
        && !r.is_empty()
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && r.contains('-')
    {
        return (r.to_owned(), PathBuf::from(file));
    }
    (region.unwrap_or_default().to_owned(), given.to_path_buf())
}

/// Settings of a drift run.
#[derive(Debug, Clone, Default)]
pub struct DriftOptions {
    /// How declarations are read (as `check`).
    pub check: CheckOptions,
    /// Terraform state files (`--state`); `terraform.tfstate` beside a module is used too.
    pub states: Vec<PathBuf>,
    /// CloudFormation stack name (`--stack-name`).
    pub stack_name: Option<String>,
    /// Inventory items older than this are not compared (`--max-age`), with how it was
    /// written.
    pub max_age: Option<(std::time::Duration, String)>,
}

/// Runs drift: declarations from `paths` against `live`.
pub fn run(paths: &[PathBuf], options: &DriftOptions, rules: &RuleSet, live: LiveRead) -> Report {
    compare_units(declared_units(paths, &options.check), options, rules, live).0
}

/// Runs drift and returns what to do about it too (`drift --remediation`).
pub fn run_with_plan(
    paths: &[PathBuf],
    options: &DriftOptions,
    rules: &RuleSet,
    live: LiveRead,
) -> (Report, RemediationPlan) {
    compare_units(declared_units(paths, &options.check), options, rules, live)
}

/// Runs drift on in-memory declarations (rule examples).
pub(crate) fn run_sources(
    sources: Vec<SourceFile>,
    options: &DriftOptions,
    rules: &RuleSet,
    live: LiveRead,
) -> Report {
    compare_units(
        declared_units_of_sources(sources, &options.check),
        options,
        rules,
        live,
    )
    .0
}

fn compare_units(
    declared: Declared,
    options: &DriftOptions,
    rules: &RuleSet,
    live: LiveRead,
) -> (Report, RemediationPlan) {
    let Declared {
        units,
        errors,
        files_read,
        paths,
    } = declared;
    let mut errors: Vec<CheckError> = errors.into_iter().map(CheckError::from).collect();
    let mut state_files = options.states.clone();
    for unit in &units {
        if unit.format == Format::Terraform
            && let Some(dir) = unit.files.first().map(|f| f.dir().to_path_buf())
        {
            let beside = dir.join("terraform.tfstate");
            if beside.is_file() && !state_files.contains(&beside) {
                state_files.push(beside);
            }
        }
    }
    // Findings about live sessions the API gave point at the configuration file, else at
    // the first declared file (SARIF needs a physical location).
    let fallback = options
        .check
        .config
        .as_ref()
        .and_then(|c| read_source(&c.file).ok())
        .map(Arc::new)
        .or_else(|| units.iter().find_map(|u| u.files.first().cloned()))
        .map(|f| Location::new(f, crate::source::Span::default()));
    let mut matching = Matching {
        fallback,
        stack_name: options.stack_name.clone(),
        accounts: live.accounts.clone(),
        incomplete: (!live.errors.is_empty()).then(|| {
            let failed: Vec<&str> = live.errors.iter().map(CheckError::name).collect();
            format!("{} could not be read", failed.join(", "))
        }),
        stale_before: options.max_age.as_ref().map(|(age, text)| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let cutoff = now.saturating_sub(age.as_secs());
            (i64::try_from(cutoff).unwrap_or(i64::MAX), text.clone())
        }),
        ..Matching::default()
    };
    for path in &state_files {
        match std::fs::read_to_string(path) {
            Ok(text) => match state::session_ids(&text) {
                Ok(ids) => matching.state_ids.extend(ids),
                Err(e) => errors.push(
                    FileError::whole_file(display_path(path), format!("Terraform state: {e}"))
                        .into(),
                ),
            },
            Err(e) => errors.push(
                FileError::whole_file(
                    display_path(path),
                    format!("Terraform state: cannot read: {e}"),
                )
                .into(),
            ),
        }
    }
    let mut result = compare(&units, &live.sessions, &matching, rules);
    compare_filters(
        &units,
        &live.sessions,
        &live.filters,
        &matching,
        rules,
        &mut result,
    );
    errors.extend(live.errors);
    let mut report = Report {
        findings: rules.with_configured_severity(result.findings),
        skipped: result.skipped,
        errors,
        files_read,
        units: units.iter().filter(|u| !u.sessions.is_empty()).count(),
        sessions: units.iter().map(|u| u.sessions.len()).sum(),
        baselined: 0,
        secrets: units
            .iter()
            .flat_map(|u| u.secrets.iter().cloned())
            .collect(),
        inputs: paths,
        usage_errors: units
            .iter()
            .flat_map(|u| u.usage_errors.iter().cloned())
            .collect(),
        parameters: units
            .iter()
            .flat_map(|u| u.parameters.iter().cloned())
            .collect(),
        topologies: Vec::new(),
        live_outside_scopes: 0,
    };
    report.finish();
    (report, result.plan)
}

/// Runs drift scope by scope from one live read: each scope's declarations against the live
/// sessions in its account and regions. A part of a scope the inventory does not cover is
/// an error naming it (exit 2), and its declarations are not reported missing. Findings of
/// named scopes carry the name, first in their message too; live sessions outside every
/// scope are counted, not reported.
pub fn run_scopes(
    scopes: &[Scope],
    options: &DriftOptions,
    rules: &RuleSet,
    live: LiveRead,
) -> (Report, RemediationPlan) {
    let mut merged = Report::default();
    let mut plan = RemediationPlan::default();
    merged.live_outside_scopes = live
        .sessions
        .iter()
        .filter(|l| !scopes.iter().any(|s| s.contains(l)))
        .count();
    for scope in scopes {
        let mut errors = live.errors.clone();
        let mut uncovered = match &live.coverage {
            Some(c) => scope.uncovered(c),
            None => Vec::new(),
        };
        if let (Some(account), Some(read)) = (&scope.account, &live.accounts)
            && !read.contains(account)
        {
            uncovered.push(format!(
                "account {account} was not read (the credentials audit {}); read every account with --live-source config-aggregator:NAME",
                read.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        let name = scope.name();
        errors.extend(uncovered.into_iter().map(|why| {
            CheckError::from(crate::error::RunError::new(
                crate::error::Subject::Live,
                format!("scope {name}"),
                format!("skipped: {why}"),
            ))
        }));
        let read = LiveRead {
            sessions: live
                .sessions
                .iter()
                .filter(|l| scope.contains(l))
                .cloned()
                .collect(),
            filters: live.filters.clone(),
            accounts: scope
                .account
                .as_ref()
                .map(|a| BTreeSet::from([a.clone()]))
                .or_else(|| live.accounts.clone()),
            errors,
            coverage: None,
        };
        let (mut report, scope_plan) = compare_units(
            declared_units(&scope.paths, &options.check),
            options,
            rules,
            read,
        );
        if let Some(label) = &scope.label {
            for f in &mut report.findings {
                f.message = format!("[{label}] {}", f.message);
                f.fingerprint = crate::report::stable_hash(&[&f.fingerprint, label]);
                f.scope = Some(label.clone());
            }
            for s in &mut report.skipped {
                s.reason = format!("[{label}] {}", s.reason);
            }
        }
        merged.absorb(report);
        plan.merge(scope_plan);
    }
    merged.inputs.sort();
    merged.inputs.dedup();
    merged.usage_errors.sort();
    merged.usage_errors.dedup();
    merged.finish();
    (merged, plan)
}
