//! Units of work: files grouped into what one evaluation covers (a document, a Terraform
//! module folder, a stackql-deploy manifest with its queries, a plan with its
//! configuration), and the reading of each into the model.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::FileError;
use rayon::prelude::*;

use crate::parse::terraform::files::DataFiles;
use crate::parse::terraform::modules::{self, ModuleSet, ParsedModule};
use crate::parse::terraform::{self, ParsedFile};
use crate::parse::{self, Kind, ReadOptions, json, stackql, tfplan, yaml};
use crate::pipeline::discover::display_path;
use crate::source::SourceFile;

/// A module folder's `.tf` files and variable files.
type ModuleFiles = (Vec<Arc<SourceFile>>, Vec<Arc<SourceFile>>);

/// One unit of work.
pub(crate) enum Job {
    /// A YAML or JSON document.
    Document(Arc<SourceFile>),
    /// A shell script.
    Script(Arc<SourceFile>),
    /// A Terraform root module, with every folder of the run it may call.
    Terraform { set: Arc<ModuleSet>, root: String },
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

/// Reads the `.tf` files of a folder that no path named, when a module call leads there.
pub(crate) trait ModuleLoader: Sync {
    /// The folder's `.tf` files, or `None` when it is not a folder mirrorguard may read.
    fn load(&self, dir: &str) -> Option<Vec<Arc<SourceFile>>>;
    /// The `Key` → `Dir` entries of a root's `.terraform/modules/modules.json`.
    fn registry(&self, root: &str) -> Vec<(String, String)>;
    /// The YAML and JSON files Terraform's `file()` may read.
    fn data_files(&self) -> Option<Arc<dyn DataFiles>> {
        None
    }
}

/// Groups files into units of work: documents, Terraform roots, manifests, plans. Files of
/// Terraform folders are parsed here, since which folders are roots depends on their
/// module calls; their errors are returned.
pub(crate) fn make_jobs(
    sources: Vec<(Kind, Arc<SourceFile>)>,
    var_files: &[Arc<SourceFile>],
    plans: &[Arc<SourceFile>],
    root: &Path,
    loader: Option<&dyn ModuleLoader>,
    full_parse: bool,
) -> (Vec<Job>, Vec<FileError>) {
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
            Kind::Script => jobs.push(Job::Script(src)),
            Kind::Manifest => manifests.push(src),
            Kind::Query => queries.push(src),
            Kind::Terraform | Kind::TfVars => {
                let dir = modules::normalize(&src.dir().to_string_lossy());
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
    let (terraform, errors) = terraform_jobs(modules, var_files, loader, full_parse);
    jobs.extend(terraform);
    (jobs, errors)
}

/// Most folders one run reads for module calls, beyond the ones its paths name.
const MAX_LOADED_MODULES: usize = 256;

/// Parses the Terraform folders (and the folders their module calls lead to), finds the
/// roots and makes one job per root that can reach a traffic mirror resource.
fn terraform_jobs(
    folders: BTreeMap<String, ModuleFiles>,
    var_files: &[Arc<SourceFile>],
    loader: Option<&dyn ModuleLoader>,
    full_parse: bool,
) -> (Vec<Job>, Vec<FileError>) {
    let relevant = |files: &[Arc<SourceFile>]| {
        full_parse
            || files
                .iter()
                .any(|s| parse::could_declare_mirroring(&s.text) || s.text.contains("module"))
    };
    let candidates: Vec<String> = folders
        .iter()
        .filter(|(_, (tf, _))| !tf.is_empty())
        .map(|(d, _)| d.clone())
        .collect();
    let parsed: Vec<(ParsedModule, Vec<FileError>)> = folders
        .into_par_iter()
        .filter(|(_, (tf, _))| !tf.is_empty() && relevant(tf))
        .map(|(dir, (tf, mut tfvars))| {
            tfvars.sort_by_key(|s| {
                let name = s
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (name != "terraform.tfvars", name)
            });
            tfvars.extend(var_files.iter().cloned());
            parse_module(dir, &tf, &tfvars)
        })
        .collect();
    let mut set = ModuleSet {
        data: loader.and_then(ModuleLoader::data_files),
        ..ModuleSet::default()
    };
    let mut errors = Vec::new();
    for (m, errs) in parsed {
        errors.extend(errs);
        set.modules.insert(m.dir.clone(), m);
    }
    if let Some(loader) = loader {
        load_called(&mut set, &candidates, loader, &mut errors);
    }
    let set = Arc::new(set);
    // A root is checked when something it reaches may declare a traffic mirror resource:
    // a folder that names one, or a module that cannot be read (reported as opaque).
    let mentions = |dir: &str, root: &str| {
        set.modules.get(dir).is_some_and(|m| {
            full_parse
                || m.tf
                    .iter()
                    .any(|f| parse::could_declare_mirroring(&f.source.text))
                || modules::has_unreadable_calls(&set, m, root)
        })
    };
    let jobs = terraform::modules::roots(&set, &candidates)
        .into_iter()
        .filter(|root| {
            set.modules.contains_key(root)
                && terraform::reachable(&set, root)
                    .iter()
                    .any(|d| mentions(d, root))
        })
        .map(|root| Job::Terraform {
            set: set.clone(),
            root,
        })
        .collect();
    (jobs, errors)
}

fn parse_module(
    dir: String,
    tf: &[Arc<SourceFile>],
    tfvars: &[Arc<SourceFile>],
) -> (ParsedModule, Vec<FileError>) {
    let mut errors = Vec::new();
    let tf = parse_all(tf, &mut errors);
    let tfvars = parse_all(tfvars, &mut errors);
    let display = if dir == "." {
        ".".to_owned()
    } else {
        display_path(Path::new(&dir))
    };
    (
        ParsedModule {
            dir,
            display,
            tf,
            tfvars,
        },
        errors,
    )
}

/// Loads the folders module calls lead to that no path named: local sources, and the
/// modules `terraform init` downloaded for each root.
fn load_called(
    set: &mut ModuleSet,
    candidates: &[String],
    loader: &dyn ModuleLoader,
    errors: &mut Vec<FileError>,
) {
    for root in candidates {
        let entries: HashMap<String, String> = loader
            .registry(root)
            .into_iter()
            .map(|(key, dir)| (key, modules::normalize(&format!("{root}/{dir}"))))
            .collect();
        if !entries.is_empty() {
            set.registry.insert(root.clone(), entries);
        }
    }
    let mut loaded = 0;
    loop {
        let mut wanted: Vec<String> = set
            .modules
            .values()
            .flat_map(modules::local_calls)
            .chain(set.registry.values().flat_map(|r| r.values().cloned()))
            .filter(|d| !set.modules.contains_key(d))
            .collect();
        wanted.sort();
        wanted.dedup();
        let mut progress = false;
        for dir in wanted {
            if loaded >= MAX_LOADED_MODULES {
                return;
            }
            let Some(tf) = loader.load(&dir) else {
                continue;
            };
            loaded += 1;
            progress = true;
            let (m, errs) = parse_module(dir, &tf, &[]);
            errors.extend(errs);
            set.modules.insert(m.dir.clone(), m);
        }
        if !progress {
            return;
        }
    }
}

/// Parses every file, keeping those that parse and the errors of the others.
fn parse_all(files: &[Arc<SourceFile>], errors: &mut Vec<FileError>) -> Vec<ParsedFile> {
    files
        .iter()
        .filter_map(|s| terraform::parse_file(s).map_err(|e| errors.push(e)).ok())
        .collect()
}

/// Reads one job into a unit (when it declares anything) and the errors found on the way,
/// the unit's own (an undeclared variable) included.
pub(crate) fn build_unit(job: &Job, options: &ReadOptions) -> parse::Read {
    let mut read = read_job(job, options);
    if let Some(unit) = read.unit.as_mut() {
        unit.shrink_to_fit();
        for (loc, message) in std::mem::take(&mut unit.errors) {
            if let Some(file) = unit.files.get(loc.file) {
                read.errors.push(FileError::at(file, loc.span, message));
            }
        }
    }
    read
}

fn read_job(job: &Job, options: &ReadOptions) -> parse::Read {
    match job {
        Job::Plan { plan, root, config } => {
            let mut errors = Vec::new();
            let parsed = parse_all(config, &mut errors);
            let mut modules: HashMap<PathBuf, Vec<&ParsedFile>> = HashMap::new();
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
                Ok(None) => return parse::Read { unit: None, errors },
                Err(e) => {
                    errors.push(e);
                    return parse::Read { unit: None, errors };
                }
            };
            if !tfplan::is_plan(&root_node) {
                errors.push(FileError::whole_file(plan.display.clone(), "not a Terraform plan (`terraform show -json` output has format_version and resource_changes or planned_values)"));
                return parse::Read { unit: None, errors };
            }
            parse::Read {
                unit: Some(tfplan::read(plan.clone(), &root_node, Some(&config))),
                errors,
            }
        }
        Job::Manifest { manifest, queries } => match yaml::parse(manifest) {
            Ok(Some(root)) => parse::Read {
                unit: Some(stackql::read(
                    manifest.clone(),
                    &root,
                    queries,
                    &options.stackql,
                )),
                errors: Vec::new(),
            },
            Ok(None) => parse::Read::default(),
            Err(e) => parse::Read {
                unit: None,
                errors: vec![e],
            },
        },
        Job::Document(src) => parse::read_document(src, options),
        Job::Script(src) => parse::shell::read(src),
        Job::Terraform { set, root } => parse::Read {
            unit: Some(terraform::read_root(set, root, options.region.as_deref())),
            errors: Vec::new(),
        },
    }
}
