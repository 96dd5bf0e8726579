//! `mirrorguard check`: reading, parsing and rule evaluation of many files in parallel.
//!
//! Files are read and parsed in parallel with rayon, grouped into units and evaluated with
//! one regorus engine per worker. Errors about one file never stop the others; the report
//! is sorted at the end, so the output is the same bytes for the same input.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::discover::{
    DiskLoader, discover, display_path, read_script, read_source, read_source_if, report_root,
};
use super::jobs::{Job, build_unit, make_jobs};
use crate::checks::iam::{Operation, Principal};
use crate::checks::suppress::{self, IgnoreEntry};
use crate::error::{CheckError, FileError};
use crate::model::Unit;
use crate::parse::{Kind, ReadOptions, could_declare_mirroring, kind_of};
use crate::report::Report;
use crate::rules::RuleSet;
use crate::rules::eval::{UnitResult, evaluate};
use crate::source::SourceFile;

/// Where the configuration file is: `exclude` and `[[ignore]]` paths are relative to its
/// folder, and findings about `[[ignore]]` entries point into it.
#[derive(Debug, Clone)]
pub struct ConfigLocation {
    /// The folder holding the file.
    pub dir: PathBuf,
    /// The file.
    pub file: PathBuf,
}

/// What MG020 checks: the deploying principal and the operations it must be able to do.
#[derive(Debug, Clone)]
pub struct IamCheck {
    /// The principal's policies.
    pub principal: Principal,
    /// Operations to check.
    pub operations: Vec<Operation>,
}

/// Settings for a check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// How documents are read (parameters, stackql environment, region).
    pub read: ReadOptions,
    /// Terraform variable files applied to every module (`--var-file`), in order.
    pub var_files: Vec<PathBuf>,
    /// Terraform plan JSON files (`--plan`); the Terraform files among the paths are then the
    /// plan's configuration, used to point at declaring lines, and not checked on their own.
    pub plans: Vec<PathBuf>,
    /// Globs of paths not to check, relative to the configuration file's folder.
    pub exclude: Vec<String>,
    /// External suppressions (`[[ignore]]` of the configuration file).
    pub ignore: Vec<IgnoreEntry>,
    /// The configuration file, when there is one.
    pub config: Option<ConfigLocation>,
    /// IAM: the deploying principal and the operations to check it for (MG020).
    pub iam: Option<IamCheck>,
    /// The name of the file read from standard input when a path is `-`.
    pub stdin_name: Option<PathBuf>,
    /// Whether to keep the drawing of each unit (the `graph` command, markdown reports).
    pub draw: bool,
    /// Preflight: what exists in the account, read and joined before the rules run.
    pub live: Option<Arc<super::preflight::Preflight>>,
}

impl CheckOptions {
    fn base(&self) -> PathBuf {
        self.config
            .as_ref()
            .map_or_else(|| PathBuf::from("."), |c| c.dir.clone())
    }
}

/// Discovered, read files: the input of both `check` and `drift`.
pub(crate) struct Inputs {
    pub(crate) jobs: Vec<Job>,
    pub(crate) paths: Vec<PathBuf>,
    pub(crate) files_read: usize,
    pub(crate) errors: Vec<FileError>,
}

/// A reported path relative to the folder `base` (for exclude and ignore globs, which are
/// relative to the configuration file's folder).
fn relative_to(base: &Path, display: &str) -> String {
    let base = display_path(base);
    if base == "." {
        return display.to_owned();
    }
    display
        .strip_prefix(&format!("{base}/"))
        .unwrap_or(display)
        .to_owned()
}

/// Reads the file given on standard input, named `name`.
fn read_stdin(name: &Path) -> Result<SourceFile, FileError> {
    let display = name.to_string_lossy().replace('\\', "/");
    let bytes = super::discover::read_limited(std::io::stdin(), 0)
        .map_err(|e| {
            FileError::whole_file(display.clone(), format!("cannot read standard input: {e}"))
        })?
        .map_err(|_| {
            FileError::whole_file(
                display.clone(),
                format!(
                    "standard input is longer than the {}-byte limit",
                    super::discover::MAX_FILE_BYTES
                ),
            )
        })?;
    super::discover::source_of_bytes(name, display, bytes)
}

/// Reads every file of a list, keeping the errors.
fn read_all(paths: &[PathBuf], errors: &mut Vec<FileError>) -> Vec<Arc<SourceFile>> {
    paths
        .iter()
        .filter_map(|p| read_source(p).map_err(|e| errors.push(e)).ok())
        .map(Arc::new)
        .collect()
}

pub(crate) fn read_inputs(paths: &[PathBuf], options: &CheckOptions) -> Inputs {
    let root = report_root();
    let stdin = paths.iter().any(|p| p.as_os_str() == "-");
    let on_disk: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    let (mut files, mut errors) = if on_disk.is_empty() && stdin {
        (Vec::new(), Vec::new())
    } else {
        discover(&on_disk, &root)
    };
    let base = options.base();
    if !options.exclude.is_empty() {
        let mut set = globset::GlobSetBuilder::new();
        for pattern in &options.exclude {
            match globset::Glob::new(pattern) {
                Ok(g) => {
                    set.add(g);
                }
                Err(e) => errors.push(FileError::whole_file(
                    pattern.clone(),
                    format!("bad exclude glob: {e}"),
                )),
            }
        }
        if let Ok(set) = set.build() {
            files.retain(|f| !set.is_match(relative_to(&base, &display_path(&f.path))));
        }
    }
    // A document that cannot declare a traffic mirror resource is read and counted, and goes
    // no further: `parse::read_document` would skip it (the same test), and most files of a
    // repository are such documents.
    let full_parse = options.read.full_parse;
    let loaded: Vec<(Kind, Result<Option<SourceFile>, FileError>)> = files
        .par_iter()
        .map(|f| {
            let kind = kind_of(&f.path).unwrap_or(Kind::Document);
            if kind == Kind::Script {
                return (kind, read_script(&f.path));
            }
            let needed =
                |text: &str| full_parse || kind != Kind::Document || could_declare_mirroring(text);
            (kind, read_source_if(&f.path, needed))
        })
        .collect();
    let mut sources = Vec::new();
    let mut skipped = 0;
    for (kind, r) in loaded {
        match r {
            Ok(Some(s)) => sources.push((kind, Arc::new(s))),
            Ok(None) => skipped += 1,
            Err(e) => errors.push(e),
        }
    }
    if stdin && let Some(name) = &options.stdin_name {
        match read_stdin(name) {
            Ok(s) => sources.push((kind_of(name).unwrap_or(Kind::Document), Arc::new(s))),
            Err(e) => errors.push(e),
        }
    }
    let var_files = read_all(&options.var_files, &mut errors);
    let plans = read_all(&options.plans, &mut errors);
    let plan_root = paths
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let files_read = sources.len() + skipped + plans.len();
    let loader = DiskLoader::new(&root);
    let (jobs, job_errors) = make_jobs(
        sources,
        &var_files,
        &plans,
        &plan_root,
        Some(&loader),
        options.read.full_parse,
    );
    errors.extend(job_errors);
    Inputs {
        jobs,
        paths: files.into_iter().map(|f| f.path).collect(),
        files_read,
        errors,
    }
}

/// Checks files and folders on disk.
pub fn check_paths(paths: &[PathBuf], options: &CheckOptions, rules: &RuleSet) -> Report {
    let inputs = read_inputs(paths, options);
    let base = options.base();
    let relative = |display: &str| relative_to(&base, display);
    let mut report = check_jobs(inputs.jobs, inputs.files_read, options, rules);
    report.inputs = inputs.paths;
    let config_file = options
        .config
        .as_ref()
        .and_then(|c| read_source(&c.file).ok())
        .map(Arc::new);
    let about_ignores = suppress::apply_external(
        &mut report.findings,
        &options.ignore,
        config_file.as_ref(),
        &relative,
    );
    report
        .findings
        .extend(rules.with_configured_severity(about_ignores));
    report
        .errors
        .extend(inputs.errors.into_iter().map(CheckError::from));
    report.finish();
    report
}

/// Checks in-memory sources (rule examples, tests, fuzzing): CloudFormation by content,
/// `.tf` files grouped by their folder.
pub fn check_sources(sources: Vec<SourceFile>, options: &CheckOptions, rules: &RuleSet) -> Report {
    let sources: Vec<(Kind, Arc<SourceFile>)> = sources
        .into_iter()
        .filter_map(|s| kind_of(&s.path).map(|k| (k, Arc::new(s))))
        .collect();
    let files_read = sources.len();
    let (jobs, errors) = make_jobs(
        sources,
        &[],
        &[],
        Path::new("."),
        None,
        options.read.full_parse,
    );
    let mut report = check_jobs(jobs, files_read, options, rules);
    report
        .errors
        .extend(errors.into_iter().map(CheckError::from));
    report.finish();
    report
}

/// Declarations read without evaluating rules (for drift).
pub(crate) struct Declared {
    pub(crate) units: Vec<Unit>,
    pub(crate) errors: Vec<FileError>,
    pub(crate) files_read: usize,
    pub(crate) paths: Vec<PathBuf>,
}

/// Builds the declared units of every job (in parallel), without evaluating rules.
pub(crate) fn declared_units(paths: &[PathBuf], options: &CheckOptions) -> Declared {
    let inputs = read_inputs(paths, options);
    units_of(inputs, options)
}

/// Builds the declared units of in-memory sources.
pub(crate) fn declared_units_of_sources(
    sources: Vec<SourceFile>,
    options: &CheckOptions,
) -> Declared {
    let sources: Vec<(Kind, Arc<SourceFile>)> = sources
        .into_iter()
        .filter_map(|s| kind_of(&s.path).map(|k| (k, Arc::new(s))))
        .collect();
    let files_read = sources.len();
    let (jobs, errors) = make_jobs(
        sources,
        &[],
        &[],
        Path::new("."),
        None,
        options.read.full_parse,
    );
    units_of(
        Inputs {
            jobs,
            paths: Vec::new(),
            files_read,
            errors,
        },
        options,
    )
}

fn units_of(inputs: Inputs, options: &CheckOptions) -> Declared {
    let built: Vec<crate::parse::Read> = inputs
        .jobs
        .par_iter()
        .map(|job| build_unit(job, &options.read))
        .collect();
    let mut units = Vec::new();
    let mut errors = inputs.errors;
    for read in built {
        units.extend(read.unit);
        errors.extend(read.errors);
    }
    Declared {
        units,
        errors,
        files_read: inputs.files_read,
        paths: inputs.paths,
    }
}

/// A unit after its rules ran: kept whole when something still reads it (user rules, IAM),
/// else reduced to its part of the report, so that its model and sources are dropped as soon
/// as its findings are out (memory stays bounded by the units in flight, not the run).
enum Checked {
    Kept(Box<(Unit, UnitResult)>),
    Summarised(Box<Report>),
}

fn check_jobs(
    jobs: Vec<Job>,
    files_read: usize,
    options: &CheckOptions,
    rules: &RuleSet,
) -> Report {
    let keep = rules.user_rules().next().is_some() || options.iam.is_some();
    let check = |engine: &mut crate::rules::eval::Engines, unit: Unit| {
        let result = evaluate_caught(rules, engine, &unit);
        if keep {
            Checked::Kept(Box::new((unit, result)))
        } else {
            Checked::Summarised(Box::new(summarise(&unit, result, options, rules)))
        }
    };
    let mut live_errors = Vec::new();
    let checked: Vec<(Option<Checked>, Vec<FileError>)> = if let Some(preflight) = &options.live {
        // Preflight joins live facts about what every unit names: all are built first.
        let mut built: Vec<(Option<Unit>, Vec<FileError>)> = jobs
            .par_iter()
            .map(|job| built_unit(job, options))
            .collect();
        live_errors = super::preflight::join_live(preflight, &mut built);
        built
            .into_par_iter()
            .map_init(
                crate::rules::eval::Engines::new,
                |engine, (unit, errors)| (unit.map(|u| check(engine, u)), errors),
            )
            .collect()
    } else {
        // Read, parse and evaluate overlap: each job goes all the way on one worker. Each job
        // is its own piece of work to steal: the files that declare sessions usually sit
        // together (one folder, neighbouring names), and in larger pieces one worker would
        // evaluate all of them while the other had only files to skip.
        jobs.par_iter()
            .with_max_len(1)
            .map_init(crate::rules::eval::Engines::new, |engine, job| {
                let (unit, errors) = built_unit(job, options);
                (unit.map(|u| check(engine, u)), errors)
            })
            .collect()
    };

    let mut report = Report {
        files_read,
        errors: live_errors,
        ..Report::default()
    };
    let mut evaluated: Vec<(Unit, UnitResult)> = Vec::new();
    for (done, errors) in checked {
        report
            .errors
            .extend(errors.into_iter().map(CheckError::from));
        match done {
            Some(Checked::Kept(kept)) => evaluated.push(*kept),
            Some(Checked::Summarised(part)) => report.absorb(*part),
            None => {}
        }
    }
    // User rules run out of process, on every unit at once.
    if rules.user_rules().next().is_some() {
        let with_input: Vec<(usize, &Unit, &crate::model::RuleInput)> = evaluated
            .iter()
            .enumerate()
            .filter_map(|(i, (u, r))| Some((i, u, r.input.as_ref()?)))
            .collect();
        let pairs: Vec<(&Unit, &crate::model::RuleInput)> =
            with_input.iter().map(|(_, u, r)| (*u, *r)).collect();
        let extra = crate::pipeline::sandbox::run_user_rules(rules, &pairs);
        let indexes: Vec<usize> = with_input.iter().map(|(i, _, _)| *i).collect();
        for (i, r) in indexes.into_iter().zip(extra) {
            if let Some((_, result)) = evaluated.get_mut(i) {
                result.findings.extend(r.findings);
                result.errors.extend(r.errors);
            }
        }
    }
    let mut units = Vec::new();
    for (u, result) in evaluated {
        report.absorb(summarise(&u, result, options, rules));
        units.push(u);
    }
    // IAM works on the declared sessions of every unit at once.
    if let (Some(iam), Some(meta)) = (&options.iam, rules.find_meta("MG020")) {
        let (findings, skipped) =
            crate::checks::iam::evaluate(&units, &iam.principal, &iam.operations, meta);
        report.findings.extend(findings);
        report.skipped.extend(skipped);
    }
    report
}

/// A job's unit with the suppressions written in its files, and the job's errors.
fn built_unit(job: &Job, options: &CheckOptions) -> (Option<Unit>, Vec<FileError>) {
    let read = build_unit(job, &options.read);
    let mut unit = read.unit;
    if let Some(u) = unit.as_mut() {
        for f in u.files.clone() {
            u.suppressions.extend(suppress::inline(&f));
        }
    }
    (unit, read.errors)
}

/// One evaluated unit's part of the report.
fn summarise(u: &Unit, mut result: UnitResult, options: &CheckOptions, rules: &RuleSet) -> Report {
    let mut part = Report::default();
    let about_suppressions = suppress::apply_in_source(&mut result.findings, &u.suppressions);
    result.findings.extend(about_suppressions);
    if !u.sessions.is_empty() || u.resources.iter().any(|r| r.kind.is_mirroring()) {
        part.units += 1;
        if options.draw {
            part.topologies
                .push(crate::report::topology::Topology::of(u));
        }
    }
    part.sessions += u.declared_sessions().count();
    part.secrets.extend(u.secrets.iter().cloned());
    part.usage_errors.extend(u.usage_errors.iter().cloned());
    part.parameters.extend(u.parameters.iter().cloned());
    // Severity comes from the (configured) rule set, for built-in rules too; disabled rules
    // report nothing.
    part.findings = rules.with_configured_severity(result.findings);
    part.skipped = result.skipped;
    part.errors = result.errors.into_iter().map(CheckError::from).collect();
    part
}

/// Evaluates the shipped rules on a unit; a panic inside the engine is that unit's error,
/// never a crash of the run.
fn evaluate_caught(
    rules: &RuleSet,
    engine: &mut crate::rules::eval::Engines,
    unit: &Unit,
) -> UnitResult {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        evaluate(rules, engine, unit)
    }));
    outcome.unwrap_or_else(|panic| {
        *engine = crate::rules::eval::Engines::new();
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic".into());
        UnitResult {
            errors: vec![crate::error::RunError::new(
                crate::error::Subject::Rule,
                format!("rules on {}", unit.name),
                format!("the rule engine failed: {why}"),
            )],
            ..UnitResult::default()
        }
    })
}

/// Reads the deploying principal's policy and boundary files.
pub fn load_principal(
    policy_files: &[PathBuf],
    boundary_files: &[PathBuf],
) -> (Principal, Vec<FileError>) {
    let mut errors = Vec::new();
    let policies = read_all(policy_files, &mut errors);
    let boundaries = read_all(boundary_files, &mut errors);
    let principal = Principal::from_sources(&policies, &boundaries, &mut errors);
    (principal, errors)
}
