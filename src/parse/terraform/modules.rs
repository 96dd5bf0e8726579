//! Terraform modules: which folder a `module` block calls, which folders are roots, and
//! the expansion of a root into every module instance it calls.
//!
//! A local `source` (`./`, `../`) names a folder relative to the caller; a registry or git
//! source names the folder `terraform init` recorded in the root's
//! `.terraform/modules/modules.json`. A module that cannot be read (not downloaded, a local
//! path that is not there) is opaque: the unit lists it, and every check is skipped for
//! what it may declare. Calls are followed to a fixed depth and never into a folder that
//! is already on the call stack.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block};

use super::eval::Evaluator;
use super::functions::{compact, strip_parens};
use super::index::Index;
use super::instances::instances;
use super::scope::{Input, Scope};
use super::{ParsedFile, block_span, labels, span_of};
use crate::model::{ModuleCall, Opaque, OpaqueKind, Unit};

/// Deepest chain of module calls followed.
pub(crate) const MAX_MODULE_DEPTH: usize = 16;

/// Attributes of a `module` block that are not arguments of the module.
const META_ARGUMENTS: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// A parsed Terraform folder: its `.tf` files, and the variable files that apply when it
/// is a root (`terraform.tfvars`, `*.auto.tfvars`, `--var-file`).
#[derive(Debug)]
pub(crate) struct ParsedModule {
    /// The folder, normalized and `/`-separated (`infra/modules/ids`).
    pub(crate) dir: String,
    /// The folder as shown in reports.
    pub(crate) display: String,
    pub(crate) tf: Vec<ParsedFile>,
    pub(crate) tfvars: Vec<ParsedFile>,
}

/// Every Terraform folder of a run, and the downloaded modules each root knows.
#[derive(Debug, Default)]
pub(crate) struct ModuleSet {
    pub(crate) modules: BTreeMap<String, ParsedModule>,
    /// Per root folder, the `Key` → `Dir` of its `.terraform/modules/modules.json`
    /// (`Dir` already joined to the root and normalized).
    pub(crate) registry: HashMap<String, HashMap<String, String>>,
    /// The YAML and JSON files `file()` may read (none when absent).
    pub(crate) data: Option<Arc<dyn super::files::DataFiles>>,
}

/// Where a `module` block's source leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A folder (local, or downloaded by `terraform init`).
    Folder(String),
    /// A local path that does not resolve to a folder of the run.
    Missing(String),
    /// A registry or git module that is not downloaded.
    NotDownloaded(String),
    /// A source that is not a string literal.
    Unknown,
}

/// Normalizes a `/`-separated path lexically (`a/./b/../c` → `a/c`; leading `..` kept; an
/// absolute path stays absolute, and `..` at its root stays at the root).
pub(crate) fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            other => parts.push(other),
        }
    }
    if absolute {
        format!("/{}", parts.join("/"))
    } else if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// Whether a source string is a local path.
pub(crate) fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// The literal `source` of a module block.
pub(crate) fn source_of(block: &Block) -> Option<String> {
    block.body.get_attribute("source").and_then(literal_source)
}

/// A `source` argument's literal string.
fn literal_source(source: &Attribute) -> Option<String> {
    match strip_parens(&source.value) {
        Expression::String(s) => Some(s.value().clone()),
        _ => None,
    }
}

/// The folders a parsed folder calls with local sources (for loading them and for roots).
pub(crate) fn local_calls(module: &ParsedModule) -> Vec<String> {
    let mut out = Vec::new();
    for f in &module.tf {
        for block in f.body.get_blocks("module") {
            if let Some(source) = source_of(block).filter(|s| is_local(s)) {
                out.push(normalize(&format!("{}/{source}", module.dir)));
            }
        }
    }
    out
}

/// Where a call leads: `key` is the call's path from the root (`ids`, `ids.child`).
pub(crate) fn resolve(
    set: &ModuleSet,
    caller_dir: &str,
    root_dir: &str,
    key: &str,
    source: Option<&str>,
) -> Source {
    let Some(source) = source else {
        return Source::Unknown;
    };
    if is_local(source) {
        let dir = normalize(&format!("{caller_dir}/{source}"));
        return if set.modules.contains_key(&dir) {
            Source::Folder(dir)
        } else {
            Source::Missing(dir)
        };
    }
    match set.registry.get(root_dir).and_then(|r| r.get(key)) {
        Some(dir) if set.modules.contains_key(dir) => Source::Folder(dir.clone()),
        _ => Source::NotDownloaded(source.to_owned()),
    }
}

/// Whether a folder calls a module that cannot be read (approximating nested registry keys
/// by the call's name).
pub(crate) fn has_unreadable_calls(set: &ModuleSet, module: &ParsedModule, root: &str) -> bool {
    module.tf.iter().any(|f| {
        f.body.get_blocks("module").any(|b| {
            let [name, _] = labels(b);
            !matches!(
                resolve(set, &module.dir, root, &name, source_of(b).as_deref()),
                Source::Folder(_)
            )
        })
    })
}

/// The folders no other folder of the set calls: each is checked as a root.
pub(crate) fn roots(set: &ModuleSet, candidates: &[String]) -> Vec<String> {
    let mut called = std::collections::BTreeSet::new();
    for m in set.modules.values() {
        for dir in local_calls(m) {
            if dir != m.dir {
                called.insert(dir);
            }
        }
    }
    for dirs in set.registry.values() {
        called.extend(dirs.values().cloned());
    }
    candidates
        .iter()
        .filter(|d| !called.contains(*d))
        .cloned()
        .collect()
}

/// Expands the module instances of one module instance, recursively.
pub(crate) struct Expander<'s, 'a> {
    pub(crate) set: &'a ModuleSet,
    pub(crate) indexes: &'s HashMap<String, Index<'a>>,
    pub(crate) root_dir: String,
}

impl<'s, 'a> Expander<'s, 'a> {
    /// Reads the resources of `scope` and follows its module calls.
    pub(crate) fn expand(
        &self,
        unit: &mut Unit,
        scope: &Scope<'_, 'a>,
        dir: &str,
        key: &str,
        stack: &mut Vec<String>,
        read: &dyn Fn(&Scope<'_, 'a>, &mut Unit),
    ) {
        read(scope, unit);
        for &(base_file, base) in &scope.index.modules {
            let [name, _] = labels(base);
            let block = scope
                .index
                .merged(&format!("module.{name}"), base_file, base);
            let call_key = if key.is_empty() {
                name.clone()
            } else {
                format!("{key}.{name}")
            };
            let address = format!("{}module.{name}", scope.prefix);
            let source_attr = block.attribute("source");
            let at = match source_attr {
                Some((file, a)) => scope.index.locate(file, span_of(&a.value)),
                None => scope.index.locate(base_file, block_span(base)),
            };
            let source = source_attr.and_then(|(_, a)| literal_source(a));
            let child_dir = match resolve(
                self.set,
                dir,
                &self.root_dir,
                &call_key,
                source.as_deref(),
            ) {
                Source::Folder(d) => d,
                other => {
                    let why = match other {
                        Source::Missing(path) => format!(
                            "its source {} leads to {path}, which is not in the checked tree; what it declares is not checked",
                            source.as_deref().unwrap_or("")
                        ),
                        Source::NotDownloaded(s) => format!(
                            "{s} is not downloaded (no entry in .terraform/modules/modules.json: run `terraform init`); what it declares is not checked"
                        ),
                        _ => "its source is not a literal string; what it declares is not checked"
                            .to_owned(),
                    };
                    unit.opaque.push(Opaque {
                        loc: at,
                        address,
                        why,
                        kind: OpaqueKind::Module,
                    });
                    continue;
                }
            };
            if stack.len() >= MAX_MODULE_DEPTH || stack.contains(&child_dir) {
                unit.opaque.push(Opaque {
                    loc: at,
                    address,
                    why: format!(
                        "it calls {child_dir} again or nests deeper than {MAX_MODULE_DEPTH} modules; not followed"
                    ),
                    kind: OpaqueKind::Module,
                });
                continue;
            }
            let Some(child_index) = self.indexes.get(&child_dir) else {
                continue;
            };
            let mut refs = Vec::new();
            let insts = instances(scope, block, &address, &mut refs);
            unit.references.append(&mut refs);
            let call_loc = scope.index.locate(base_file, block_span(base));
            for inst in insts {
                let mut ev = Evaluator::new(scope, base_file);
                ev.count_index = inst.count_index;
                ev.each = inst.each;
                let mut inputs = HashMap::new();
                for (file, attr) in block.attributes() {
                    let k = attr.key.as_str();
                    if META_ARGUMENTS.contains(&k) {
                        continue;
                    }
                    let input = ev.in_file(file, |ev| {
                        let value = ev.eval(&attr.value);
                        // Where the value is written: the branch a decided conditional picks.
                        let mut alts = Vec::new();
                        ev.branches(&attr.value, Vec::new(), &mut alts, 0);
                        let at = match alts.as_slice() {
                            [one] => one.loc,
                            _ => ev.loc(&attr.value),
                        };
                        Input { ev: value, at }
                    });
                    inputs.insert(k.to_owned(), input);
                }
                unit.references.append(&mut ev.refs);
                let instance = format!("{address}{}", inst.key);
                let mut conditions = scope.conditions.clone();
                conditions.extend(inst.conditions);
                let mut calls = scope.calls.clone();
                calls.push(ModuleCall {
                    loc: call_loc,
                    address: instance.clone(),
                });
                let child = Scope {
                    index: child_index,
                    parent: Some(scope),
                    prefix: format!("{instance}."),
                    inputs,
                    tfvars: HashMap::new(),
                    conditions,
                    providers: block
                        .attribute("providers")
                        .map(|(_, a)| provider_map(a))
                        .unwrap_or_default(),
                    calls,
                    default_region: scope.default_region.clone(),
                    locals: Default::default(),
                    variables: Default::default(),
                    created: Default::default(),
                    budget: scope.budget.clone(),
                    secrets: scope.secrets.clone(),
                };
                stack.push(child_dir.clone());
                self.expand(unit, &child, &child_dir, &call_key, stack, read);
                stack.pop();
                unit.created.extend(child.created.into_inner());
            }
        }
    }
}

/// `providers = { alicloud = alicloud.hz }`: provider keys in the module → keys in the caller.
fn provider_map(providers: &Attribute) -> HashMap<String, String> {
    let mut out = HashMap::new();
    if let Expression::Object(o) = strip_parens(&providers.value) {
        for (k, v) in o.iter() {
            let key = match k {
                hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_owned(),
                hcl_edit::expr::ObjectKey::Expression(e) => {
                    compact(&e.to_string()).trim_matches('"').to_owned()
                }
            };
            out.insert(key, compact(&v.expr().to_string()));
        }
    }
    out
}
