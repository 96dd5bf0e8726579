//! Units of work: files grouped into what one evaluation covers (a document, a Terraform
//! module folder, a stackql-deploy manifest with its queries, a plan with its
//! configuration), and the reading of each into the model.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::FileError;
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
    /// A Terraform module folder.
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
pub(crate) fn make_jobs(
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

/// Parses every file, keeping those that parse and the errors of the others.
fn parse_all(files: &[Arc<SourceFile>], errors: &mut Vec<FileError>) -> Vec<ParsedFile> {
    files
        .iter()
        .filter_map(|s| terraform::parse_file(s).map_err(|e| errors.push(e)).ok())
        .collect()
}

/// Reads one job into a unit (when it declares anything) and the errors found on the way.
pub(crate) fn build_unit(job: &Job, options: &ReadOptions) -> parse::Read {
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
        Job::Module { dir, tf, tfvars } => {
            if !options.full_parse && !tf.iter().any(|s| s.text.contains("traffic_mirror")) {
                return parse::Read::default();
            }
            let mut errors = Vec::new();
            let tf_parsed = parse_all(tf, &mut errors);
            let vars_parsed = parse_all(tfvars, &mut errors);
            let name = if dir.is_empty() {
                ".".to_owned()
            } else {
                display_path(Path::new(dir))
            };
            parse::Read {
                unit: Some(terraform::read_module(
                    name,
                    &tf_parsed,
                    &vars_parsed,
                    options.region.as_deref(),
                )),
                errors,
            }
        }
    }
}
