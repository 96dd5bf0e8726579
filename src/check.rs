//! `mirrorguard check`: discovery, reading, parsing and rule evaluation of many files.
//!
//! Files are found with the `ignore` crate (honouring `.gitignore`), read and parsed in
//! parallel with rayon, grouped into units (a CloudFormation template, a Terraform module
//! folder) and evaluated with one regorus engine per worker. A file that cannot declare a
//! traffic mirror resource (a byte scan finds no `TrafficMirror`/`traffic_mirror`) is not
//! parsed at all. Errors about one file never stop the others; everything is sorted before
//! it is returned, so the output is the same bytes for the same input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::error::FileError;
use crate::finding::{Finding, Skipped, sort_findings};
use crate::model::Unit;
use crate::parse::cloudformation::{self, ParameterValues, Shape};
use crate::parse::stackql::{self, StackqlOptions};
use crate::parse::terraform::{self, ParsedFile};
use crate::parse::{cli_input, json, tfplan, yaml};
use crate::rules::RuleSet;
use crate::rules::eval::{UnitResult, evaluate};
use crate::source::SourceFile;
use crate::suppress;

/// Files larger than this are reported instead of read (CloudFormation's own limit is 1 MB).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Settings for a check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// CloudFormation parameter values (`--parameters`, `--parameter-file`).
    pub parameters: ParameterValues,
    /// Terraform variable files applied to every module (`--var-file`), in order.
    pub var_files: Vec<PathBuf>,
    /// Terraform plan JSON files (`--plan`); the Terraform files among the paths are then the
    /// plan's configuration, used to point at declaring lines, and not checked on their own.
    pub plans: Vec<PathBuf>,
    /// stackql-deploy environment and template variables (`--stack-env`, `--var`).
    pub stackql: StackqlOptions,
    /// Parse every candidate file, skipping the byte-scan shortcut (for comparing both paths).
    pub full_parse: bool,
    /// Globs of paths not to check, relative to `base`.
    pub exclude: Vec<String>,
    /// External suppressions (`[[ignore]]` of the configuration file).
    pub ignore: Vec<crate::config::IgnoreEntry>,
    /// Folder that `exclude` and `ignore` paths are relative to; the configuration file.
    pub base: Option<(PathBuf, Option<PathBuf>)>,
    /// IAM: the deploying principal and the operations to check it for (MG020).
    pub iam: Option<(crate::iam::Principal, Vec<crate::iam::Operation>)>,
    /// Region of provider configurations that set none (`--region`; Alibaba Cloud scopes
    /// session priorities by region).
    pub region: Option<String>,
}

/// Everything a check found.
#[derive(Debug, Default)]
pub struct Report {
    /// Rule violations, sorted.
    pub findings: Vec<Finding>,
    /// Checks hidden by unknown values, sorted.
    pub skipped: Vec<Skipped>,
    /// Files or rules that could not be processed, sorted.
    pub errors: Vec<FileError>,
    /// Files read.
    pub files_read: usize,
    /// Templates and modules that declare traffic mirror resources.
    pub units: usize,
    /// Sessions (resource instances) checked.
    pub sessions: usize,
    /// Findings left out because a baseline records them.
    pub baselined: usize,
}

/// A file format found by discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `.yaml`, `.yml`, `.json`, `.template`: CloudFormation if its content says so.
    Document,
    /// `.tf`
    Terraform,
    /// `terraform.tfvars`, `*.auto.tfvars`
    TfVars,
    /// `stackql_manifest.yml`
    Manifest,
    /// `.iql` query files of stackql-deploy resources
    Query,
}

fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if terraform::is_tfvars(name) {
        return Some(Kind::TfVars);
    }
    if stackql::is_manifest(name) {
        return Some(Kind::Manifest);
    }
    if name.ends_with(".tf.json") {
        return Some(Kind::Terraform);
    }
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "yaml" | "yml" | "json" | "template" => Some(Kind::Document),
        "tf" => Some(Kind::Terraform),
        "iql" => Some(Kind::Query),
        _ => None,
    }
}

/// Finds the files to check under `paths` (files named explicitly are always included).
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<FileError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        if root.is_file() {
            files.push(root.clone());
            // A Terraform file is part of its folder's module: the siblings give its context
            // (variables, locals, other resources), as when pre-commit passes one file.
            if matches!(kind_of(root), Some(Kind::Terraform | Kind::TfVars)) {
                let dir = root
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or_else(|| Path::new("."));
                if let Ok(rd) = std::fs::read_dir(dir) {
                    for e in rd.filter_map(Result::ok) {
                        let p = e.path();
                        if p.is_file()
                            && matches!(kind_of(&p), Some(Kind::Terraform | Kind::TfVars))
                        {
                            files.push(p);
                        }
                    }
                }
            }
            continue;
        }
        if !root.exists() {
            errors.push(FileError::whole_file(
                display_path(root),
                "no such file or directory",
            ));
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .require_git(false)
            .follow_links(false)
            .sort_by_file_name(std::cmp::Ord::cmp)
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_some_and(|t| t.is_file()) && kind_of(e.path()).is_some() {
                        files.push(e.into_path());
                    }
                }
                Err(e) => errors.push(FileError::whole_file(display_path(root), e.to_string())),
            }
        }
    }
    // A manifest's query files live in its resources/ folder, even when only the manifest
    // was named on the command line.
    let manifests: Vec<PathBuf> = files
        .iter()
        .filter(|f| kind_of(f) == Some(Kind::Manifest))
        .cloned()
        .collect();
    for m in manifests {
        let resources = m
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("resources");
        if let Ok(rd) = std::fs::read_dir(&resources) {
            for e in rd.filter_map(Result::ok) {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "iql") && p.is_file() {
                    files.push(p);
                }
            }
        }
    }
    // One spelling per file (`./main.tf` and `main.tf` are the same file, in the same module).
    for f in &mut files {
        if let Ok(stripped) = f.strip_prefix(".")
            && !stripped.as_os_str().is_empty()
        {
            *f = stripped.to_path_buf();
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

/// The path shown in reports: relative to the working directory when under it, `/`-separated.
pub fn display_path(path: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            let abs = if path.is_absolute() {
                path.to_path_buf()
            } else {
                cwd.join(path)
            };
            abs.strip_prefix(&cwd).ok().map(Path::to_path_buf)
        })
        .unwrap_or_else(|| path.to_path_buf());
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

/// Reads a file, refusing huge and non-UTF-8 files with a clear error.
pub fn read_source(path: &Path) -> Result<SourceFile, FileError> {
    let display = display_path(path);
    let meta = std::fs::metadata(path)
        .map_err(|e| FileError::whole_file(display.clone(), format!("cannot read: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(FileError::whole_file(
            display,
            format!(
                "file is {} bytes, more than the {MAX_FILE_BYTES}-byte limit",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| FileError::whole_file(display.clone(), format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        FileError::whole_file(
            display.clone(),
            format!(
                "not valid UTF-8 (first bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text);
    Ok(SourceFile::new(
        path.to_path_buf(),
        display,
        Arc::from(text),
    ))
}

/// Discovered, read files: the input of both `check` and `drift`.
struct Inputs {
    jobs: Vec<Job>,
    files_read: usize,
    errors: Vec<FileError>,
}

/// A path relative to `base` (for exclude and ignore globs).
fn relative_to(base: &Path, display: &str) -> String {
    let abs = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let file = abs(Path::new(display));
    file.strip_prefix(abs(base))
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| display.to_owned())
}

fn base_of(options: &CheckOptions) -> PathBuf {
    options
        .base
        .as_ref()
        .map_or_else(|| PathBuf::from("."), |(b, _)| b.clone())
}

fn read_inputs(paths: &[PathBuf], options: &CheckOptions) -> Inputs {
    let (mut files, mut errors) = discover(paths);
    let base = base_of(options);
    let relative = |display: &str| relative_to(&base, display);
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
            files.retain(|f| !set.is_match(relative(&display_path(f))));
        }
    }
    let loaded: Vec<(Kind, Result<SourceFile, FileError>)> = files
        .par_iter()
        .map(|p| (kind_of(p).unwrap_or(Kind::Document), read_source(p)))
        .collect();
    let mut sources = Vec::new();
    for (kind, r) in loaded {
        match r {
            Ok(s) => sources.push((kind, Arc::new(s))),
            Err(e) => errors.push(e),
        }
    }
    let mut var_files = Vec::new();
    for p in &options.var_files {
        match read_source(p) {
            Ok(s) => var_files.push(Arc::new(s)),
            Err(e) => errors.push(e),
        }
    }
    let mut plans = Vec::new();
    for p in &options.plans {
        match read_source(p) {
            Ok(s) => plans.push(Arc::new(s)),
            Err(e) => errors.push(e),
        }
    }
    let root = paths
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let files_read = sources.len() + plans.len();
    let jobs = make_jobs(sources, &var_files, &plans, &root);
    Inputs {
        jobs,
        files_read,
        errors,
    }
}

/// Checks files and folders on disk.
pub fn check_paths(paths: &[PathBuf], options: &CheckOptions, rules: &RuleSet) -> Report {
    let inputs = read_inputs(paths, options);
    let base = base_of(options);
    let relative = |display: &str| relative_to(&base, display);
    let errors = inputs.errors;
    let mut report = check_loaded(inputs.jobs, inputs.files_read, options, rules);
    let config_file = options
        .base
        .as_ref()
        .and_then(|(_, f)| f.as_ref())
        .and_then(|f| read_source(f).ok())
        .map(Arc::new);
    let about_ignores = suppress::apply_external(
        &mut report.findings,
        &options.ignore,
        config_file.as_ref(),
        &relative,
    );
    report
        .findings
        .extend(about_ignores.into_iter().filter_map(|mut f| {
            f.severity = rules.find_meta(&f.rule_id)?.severity;
            Some(f)
        }));
    report.errors.extend(errors);
    finish(&mut report);
    report
}

/// Checks in-memory sources (rule examples, tests): CloudFormation by content, `.tf`
/// files grouped by their folder.
pub fn check_sources(sources: Vec<SourceFile>, options: &CheckOptions, rules: &RuleSet) -> Report {
    let sources: Vec<(Kind, Arc<SourceFile>)> = sources
        .into_iter()
        .filter_map(|s| kind_of(&s.path).map(|k| (k, Arc::new(s))))
        .collect();
    let files_read = sources.len();
    let jobs = make_jobs(sources, &[], &[], Path::new("."));
    let mut report = check_loaded(jobs, files_read, options, rules);
    finish(&mut report);
    report
}

/// Sorts and de-duplicates a report (deterministic output).
pub(crate) fn finish_report(report: &mut Report) {
    finish(report);
}

fn finish(report: &mut Report) {
    sort_findings(&mut report.findings);
    // Instances of one `count`/`for_each` resource share their source: one finding per place.
    report.findings.dedup_by(|a, b| {
        a.rule_id == b.rule_id
            && a.file() == b.file()
            && a.location.is_some()
            && a.span() == b.span()
            && a.message == b.message
    });
    report.skipped.sort_by(|a, b| {
        (
            a.location.file(),
            a.location.span.start,
            &a.property,
            &a.reason,
        )
            .cmp(&(
                b.location.file(),
                b.location.span.start,
                &b.property,
                &b.reason,
            ))
    });
    report.skipped.dedup_by(|a, b| {
        a.location.file() == b.location.file()
            && a.location.span == b.location.span
            && a.property == b.property
            && a.reason == b.reason
    });
    report.errors.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.message).cmp(&(&b.file, b.line, b.column, &b.message))
    });
}

/// A module folder's `.tf` files and variable files.
type ModuleFiles = (Vec<Arc<SourceFile>>, Vec<Arc<SourceFile>>);

/// One unit of work: a document or a Terraform module folder.
enum Job {
    Document(Arc<SourceFile>),
    Module {
        dir: String,
        tf: Vec<Arc<SourceFile>>,
        tfvars: Vec<Arc<SourceFile>>,
    },
    /// A stackql-deploy manifest and the query files under its folder, by relative path.
    Manifest {
        manifest: Arc<SourceFile>,
        queries: BTreeMap<String, Arc<SourceFile>>,
    },
    /// A plan given with `--plan`, with the configuration's `.tf` files.
    Plan {
        plan: Arc<SourceFile>,
        root: PathBuf,
        config: Arc<Vec<Arc<SourceFile>>>,
    },
}

/// Groups files into units of work: documents, Terraform modules, manifests, plans.
fn make_jobs(
    sources: Vec<(Kind, Arc<SourceFile>)>,
    var_files: &[Arc<SourceFile>],
    plans: &[Arc<SourceFile>],
    root: &Path,
) -> Vec<Job> {
    let mut jobs = Vec::new();
    let (sources, config): (Vec<_>, Vec<_>) = if plans.is_empty() {
        (sources, Vec::new())
    } else {
        sources.into_iter().partition(|(k, _)| *k == Kind::Document)
    };
    let config = Arc::new(
        config
            .into_iter()
            .filter(|(k, _)| *k == Kind::Terraform)
            .map(|(_, s)| s)
            .collect::<Vec<_>>(),
    );
    for plan in plans {
        jobs.push(Job::Plan {
            plan: plan.clone(),
            root: root.to_path_buf(),
            config: config.clone(),
        });
    }
    let mut modules: BTreeMap<String, ModuleFiles> = BTreeMap::new();
    let mut manifests = Vec::new();
    let mut queries = Vec::new();
    for (kind, src) in sources {
        match kind {
            Kind::Document => jobs.push(Job::Document(src)),
            Kind::Manifest => manifests.push(src),
            Kind::Query => queries.push(src),
            Kind::Terraform | Kind::TfVars => {
                let dir = src.dir().to_string_lossy().replace('\\', "/");
                let entry = modules.entry(dir).or_default();
                if kind == Kind::Terraform {
                    entry.0.push(src)
                } else {
                    entry.1.push(src)
                }
            }
        }
    }
    for manifest in manifests {
        let dir = manifest.dir().to_path_buf();
        let queries = queries
            .iter()
            .filter_map(|q| {
                let rel = q.path.strip_prefix(&dir).ok()?;
                Some((rel.to_string_lossy().replace('\\', "/"), q.clone()))
            })
            .collect();
        jobs.push(Job::Manifest { manifest, queries });
    }
    for (dir, (tf, mut tfvars)) in modules {
        if tf.is_empty() {
            continue;
        }
        tfvars.sort_by_key(|s| {
            let name = s
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name != "terraform.tfvars", name)
        });
        tfvars.extend(var_files.iter().cloned());
        jobs.push(Job::Module { dir, tf, tfvars });
    }
    jobs
}

/// Builds the declared units of every job (in parallel), without evaluating rules.
pub(crate) fn declared_units(
    paths: &[PathBuf],
    options: &CheckOptions,
) -> (Vec<Unit>, Vec<FileError>, usize) {
    let inputs = read_inputs(paths, options);
    let built: Vec<(Option<Unit>, Vec<FileError>)> = inputs
        .jobs
        .par_iter()
        .map(|job| build_unit(job, options))
        .collect();
    let mut units = Vec::new();
    let mut errors = inputs.errors;
    for (unit, errs) in built {
        units.extend(unit);
        errors.extend(errs);
    }
    (units, errors, inputs.files_read)
}

fn check_loaded(
    jobs: Vec<Job>,
    files_read: usize,
    options: &CheckOptions,
    rules: &RuleSet,
) -> Report {
    let results: Vec<(Option<Unit>, Vec<FileError>, UnitResult)> = jobs
        .par_iter()
        .map_init(
            || rules.engine(),
            |engine, job| {
                let (mut unit, errors) = build_unit(job, options);
                let mut result = UnitResult::default();
                if let Some(u) = unit.as_mut() {
                    for f in u.files.clone() {
                        u.suppressions.extend(suppress::inline(&f));
                    }
                    result = evaluate(rules, engine, u);
                    let about_suppressions =
                        suppress::apply_in_source(&mut result.findings, &u.suppressions);
                    result.findings.extend(about_suppressions);
                }
                (unit, errors, result)
            },
        )
        .collect();

    let mut report = Report {
        files_read,
        ..Report::default()
    };
    let mut units = Vec::new();
    for (unit, errors, result) in results {
        if let Some(u) = unit {
            if !u.sessions.is_empty() || !u.targets.is_empty() {
                report.units += 1;
            }
            report.sessions += u.sessions.len();
            units.push(u);
        }
        report.errors.extend(errors);
        // Severity comes from the (configured) rule set, for tool rules too; disabled tool
        // rules report nothing.
        report
            .findings
            .extend(result.findings.into_iter().filter_map(|mut f| {
                let meta = rules.find_meta(&f.rule_id)?;
                f.severity = meta.severity;
                Some(f)
            }));
        report.skipped.extend(result.skipped);
        report.errors.extend(result.errors);
    }
    // IAM works on the declared sessions of every unit at once.
    if let (Some((principal, operations)), Some(meta)) = (&options.iam, rules.find_meta("MG020")) {
        let (findings, skipped) = crate::iam::evaluate(&units, principal, operations, meta);
        report.findings.extend(findings);
        report.skipped.extend(skipped);
    }
    report
}

/// Whether a document's text could declare a traffic mirror resource, or looks like
/// CloudFormation at all (for deciding whether a parse failure is worth reporting).
fn mentions(text: &str, needle: &str) -> bool {
    text.contains(needle)
}

fn build_unit(job: &Job, options: &CheckOptions) -> (Option<Unit>, Vec<FileError>) {
    match job {
        Job::Plan { plan, root, config } => {
            let mut errors = Vec::new();
            let parsed: Vec<ParsedFile> = config
                .iter()
                .filter_map(|s| terraform::parse_file(s).map_err(|e| errors.push(e)).ok())
                .collect();
            let mut modules: std::collections::HashMap<PathBuf, Vec<&ParsedFile>> =
                std::collections::HashMap::new();
            for p in &parsed {
                modules
                    .entry(tfplan::normalize(p.source.dir()))
                    .or_default()
                    .push(p);
            }
            let config = tfplan::Config {
                root: tfplan::normalize(root),
                modules,
            };
            let root_node = match json::parse(plan) {
                Ok(Some(n)) => n,
                Ok(None) => return (None, errors),
                Err(e) => {
                    errors.push(e);
                    return (None, errors);
                }
            };
            if !tfplan::is_plan(&root_node) {
                errors.push(FileError::whole_file(plan.display.clone(), "not a Terraform plan (`terraform show -json` output has format_version and resource_changes or planned_values)"));
                return (None, errors);
            }
            (
                Some(tfplan::read(plan.clone(), &root_node, Some(&config))),
                errors,
            )
        }
        Job::Manifest { manifest, queries } => match yaml::parse(manifest) {
            Ok(Some(root)) => (
                Some(stackql::read(
                    manifest.clone(),
                    &root,
                    queries,
                    &options.stackql,
                )),
                Vec::new(),
            ),
            Ok(None) => (None, Vec::new()),
            Err(e) => (None, vec![e]),
        },
        Job::Document(src) => {
            // Fast path: a document that never names a traffic mirror resource cannot declare
            // a session or target, whatever else it is.
            if !options.full_parse
                && !mentions(&src.text, "TrafficMirror")
                && !mentions(&src.text, "traffic_mirror")
            {
                return (None, Vec::new());
            }
            let is_json = src
                .path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
                || src.text.trim_start().starts_with('{');
            let parsed = if is_json {
                json::parse(src)
            } else {
                yaml::parse(src)
            };
            let root = match parsed {
                Ok(Some(root)) => root,
                Ok(None) => return (None, Vec::new()),
                Err(e) => {
                    let looks_like_cfn = mentions(&src.text, "AWS::")
                        || mentions(&src.text, "AWSTemplateFormatVersion");
                    return (None, if looks_like_cfn { vec![e] } else { Vec::new() });
                }
            };
            if tfplan::is_plan(&root) {
                return (Some(tfplan::read(src.clone(), &root, None)), Vec::new());
            }
            if let Some(request) = cli_input::request(&root) {
                return (
                    Some(cli_input::read(src.clone(), &root, request)),
                    Vec::new(),
                );
            }
            match cloudformation::shape(&root) {
                Shape::NotCloudFormation => (None, Vec::new()),
                shape => (
                    Some(cloudformation::read(
                        src.clone(),
                        &root,
                        shape,
                        &options.parameters,
                    )),
                    Vec::new(),
                ),
            }
        }
        Job::Module { dir, tf, tfvars } => {
            if !options.full_parse && !tf.iter().any(|s| mentions(&s.text, "traffic_mirror")) {
                return (None, Vec::new());
            }
            let mut errors = Vec::new();
            let mut parse_all = |files: &[Arc<SourceFile>]| -> Vec<ParsedFile> {
                files
                    .iter()
                    .filter_map(|s| match terraform::parse_file(s) {
                        Ok(parsed) => Some(parsed),
                        Err(e) => {
                            errors.push(e);
                            None
                        }
                    })
                    .collect()
            };
            let tf_parsed = parse_all(tf);
            let vars_parsed = parse_all(tfvars);
            let name = if dir.is_empty() {
                ".".to_owned()
            } else {
                display_path(Path::new(dir))
            };
            (
                Some(terraform::read_module(
                    name,
                    &tf_parsed,
                    &vars_parsed,
                    options.region.as_deref(),
                )),
                errors,
            )
        }
    }
}
