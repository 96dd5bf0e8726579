//! Preflight (`check --live-file` / `--live`): reads what the declarations name from the
//! account and joins it into each unit before the rules run. Live facts come from a
//! [`LiveFactsSource`]: saved AWS CLI outputs ([`FactFiles`]) or, with the `aws` feature,
//! the EC2 API (`crate::aws::preflight`). What could not be read is an error: the run exits
//! 2, and nothing that needed it is reported as passing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::discover::read_source;
use crate::checks::preflight::{LiveFacts, OwnSessions, Wanted, join};
use crate::error::{CheckError, FileError};
use crate::model::{Format, Unit};

/// Where live facts come from.
pub trait LiveFactsSource: Send + Sync {
    /// Reads what the declarations name (`wanted`), or everything the source has.
    fn read(&self, wanted: &Wanted) -> LiveFacts;
}

/// Saved AWS CLI outputs (`--live-file`), each recognised by its top-level key.
#[derive(Debug, Clone, Default)]
pub struct FactFiles {
    pub files: Vec<PathBuf>,
}

impl LiveFactsSource for FactFiles {
    fn read(&self, _wanted: &Wanted) -> LiveFacts {
        let mut facts = LiveFacts {
            source: "complete listing from --live-file".into(),
            ..LiveFacts::default()
        };
        for path in &self.files {
            let path = super::drift::live_file_path(path);
            match read_source(&path) {
                Ok(s) => facts.add_document(Arc::new(s), None),
                Err(e) => facts.errors.push(e.into()),
            }
        }
        facts
    }
}

/// A preflight: where the facts come from, and how the declared sessions are recognised.
pub struct Preflight {
    pub source: Box<dyn LiveFactsSource>,
    /// `--state` files (and `terraform.tfstate` beside each module) and `--stack-name`.
    pub states: Vec<PathBuf>,
    pub stack_name: Option<String>,
}

impl std::fmt::Debug for Preflight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preflight")
            .field("states", &self.states)
            .field("stack_name", &self.stack_name)
            .finish_non_exhaustive()
    }
}

/// Reads the live facts every built unit names and joins them in; returns what failed.
pub(crate) fn join_live(
    preflight: &Preflight,
    built: &mut [(Option<Unit>, Vec<FileError>)],
) -> Vec<CheckError> {
    let units: Vec<&Unit> = built.iter().filter_map(|(u, _)| u.as_ref()).collect();
    let wanted = LiveFacts::wanted_of(&units);
    let mut errors = Vec::new();
    let mut own = OwnSessions {
        stack_name: preflight.stack_name.clone(),
        state_ids: BTreeMap::new(),
    };
    let mut states = preflight.states.clone();
    for u in &units {
        if u.format == Format::Terraform
            && let Some(dir) = u.files.first().map(|f| f.dir().to_path_buf())
        {
            let beside = dir.join("terraform.tfstate");
            if beside.is_file() && !states.contains(&beside) {
                states.push(beside);
            }
        }
    }
    for path in &states {
        let parsed = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|t| crate::checks::drift::state::session_ids(&t).map_err(|e| e.to_string()));
        match parsed {
            Ok(ids) => own.state_ids.extend(ids),
            Err(e) => errors.push(
                FileError::whole_file(
                    super::discover::display_path(path),
                    format!("Terraform state: {e}"),
                )
                .into(),
            ),
        }
    }
    let facts = preflight.source.read(&wanted);
    for (unit, _) in built.iter_mut() {
        if let Some(u) = unit.as_mut() {
            join(u, &facts, &own);
        }
    }
    errors.extend(facts.errors);
    errors
}
