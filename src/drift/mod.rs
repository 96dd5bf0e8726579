//! `mirrorguard drift`: declared sessions against live `DescribeTrafficMirrorSessions`.
//!
//! Declarations are read exactly as `check` reads them. Live sessions come from saved
//! `aws ec2 describe-traffic-mirror-sessions` outputs (`--live-file`, no AWS SDK needed) or,
//! with the `aws` cargo feature, from the EC2 API itself (all pages, every `--region`).
//! A region that could not be read is an error (exit 2, a SARIF notification), never an
//! empty, clean result; the regions that answered are still compared.

#[cfg(feature = "aws")]
pub mod aws;
pub mod diff;
pub mod live;
pub mod state;

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::check::{CheckOptions, Report, declared_units};
use crate::error::FileError;
use crate::rules::RuleSet;
pub use diff::Matching;
pub(crate) use diff::compare;
pub use live::LiveSession;

/// Where live sessions come from.
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    /// Saved describe outputs.
    pub live_files: Vec<PathBuf>,
    /// Regions to read (`--region`, repeatable); the environment's default when empty.
    pub regions: Vec<String>,
    /// Named profile (`--profile`).
    pub profile: Option<String>,
    /// Endpoint override (`--endpoint-url`, e.g. a local emulator).
    pub endpoint_url: Option<String>,
    /// Audited account (`--account-id`); the caller's account (STS) when reading live.
    pub account_id: Option<String>,
}

/// Settings of a drift run.
#[derive(Debug, Clone, Default)]
pub struct DriftOptions {
    /// How declarations are read (as `check`).
    pub check: CheckOptions,
    /// Where live sessions come from.
    pub live: LiveOptions,
    /// Terraform state files (`--state`); `terraform.tfstate` beside a module is used too.
    pub states: Vec<PathBuf>,
    /// CloudFormation stack name (`--stack-name`).
    pub stack_name: Option<String>,
}

/// Live sessions and the accounts they were read for, with per-region errors.
#[derive(Debug, Default)]
pub struct LiveRead {
    /// Sessions read.
    pub sessions: Vec<LiveSession>,
    /// Accounts audited (`None`: unknown, every owner counts).
    pub accounts: Option<BTreeSet<String>>,
    /// Sources that failed (a region, a file).
    pub errors: Vec<FileError>,
}

/// Reads the live sessions from `--live-file`s and, with the `aws` feature, the API.
pub fn read_live(options: &LiveOptions) -> LiveRead {
    let mut out = LiveRead::default();
    let region = match options.regions.as_slice() {
        [one] => one.clone(),
        _ => String::new(),
    };
    for path in &options.live_files {
        let display = crate::check::display_path(path);
        match std::fs::read_to_string(path) {
            Ok(text) => match live::parse_describe_output(&text, &region) {
                Ok(s) => out.sessions.extend(s),
                Err(e) => out.errors.push(FileError::whole_file(display, e)),
            },
            Err(e) => out
                .errors
                .push(FileError::whole_file(display, format!("cannot read: {e}"))),
        }
    }
    if let Some(a) = &options.account_id {
        out.accounts = Some(BTreeSet::from([a.clone()]));
    }
    if options.live_files.is_empty() {
        #[cfg(feature = "aws")]
        {
            let api = aws::read(options);
            out.sessions.extend(api.sessions);
            out.errors.extend(api.errors);
            if out.accounts.is_none() {
                out.accounts = api.accounts;
            }
        }
        #[cfg(not(feature = "aws"))]
        out.errors.push(FileError::whole_file(
            "live sessions".into(),
            "this mirrorguard was built without the `aws` feature: pass saved outputs with --live-file, or install with `cargo install mirrorguard --features aws`".to_owned(),
        ));
    }
    out
}

/// Runs drift: declarations from `paths` against `live`.
pub fn run(paths: &[PathBuf], options: &DriftOptions, rules: &RuleSet, live: LiveRead) -> Report {
    let (units, mut errors, files_read) = declared_units(paths, &options.check);
    let mut state_files = options.states.clone();
    for unit in &units {
        if unit.format == crate::model::Format::Terraform
            && let Some(dir) = unit.files.first().map(|f| f.dir().to_path_buf())
        {
            let beside = dir.join("terraform.tfstate");
            if beside.is_file() && !state_files.contains(&beside) {
                state_files.push(beside);
            }
        }
    }
    let mut matching = Matching {
        stack_name: options.stack_name.clone(),
        accounts: live.accounts.clone(),
        incomplete: (!live.errors.is_empty()).then(|| {
            let failed: Vec<&str> = live.errors.iter().map(|e| e.file.as_str()).collect();
            format!("{} could not be read", failed.join(", "))
        }),
        ..Matching::default()
    };
    for path in &state_files {
        match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| state::session_ids(&t))
        {
            Ok(ids) => matching.state_ids.extend(ids),
            Err(e) => errors.push(FileError::whole_file(
                crate::check::display_path(path),
                format!("Terraform state: {e}"),
            )),
        }
    }
    let metas: Vec<_> = rules.metas().into_iter().cloned().collect();
    let result = compare(&units, &live.sessions, &matching, &metas);
    errors.extend(live.errors);
    let mut report = Report {
        findings: result.findings,
        skipped: result.skipped,
        errors,
        files_read,
        units: units.iter().filter(|u| !u.sessions.is_empty()).count(),
        sessions: units.iter().map(|u| u.sessions.len()).sum(),
        baselined: 0,
    };
    crate::check::finish_report(&mut report);
    report
}
