//! Terraform modules (a folder of `.tf` files) into the model.
//!
//! A module is evaluated as Terraform would before `plan`, as far as that is possible
//! without providers or state: variables take their value from `--var-file`, `*.auto.tfvars`,
//! `terraform.tfvars` or their `default`; `locals`, arithmetic, comparisons, conditionals,
//! string templates and common functions are evaluated; `count` and `for_each` are expanded
//! when they resolve. A reference to a resource, data source or module output is symbolic:
//! `aws_network_interface.src.id` names the same ENI wherever it is written. A conditional
//! whose condition is unknown gives one alternative per branch, like CloudFormation's `Fn::If`.

mod eval;
pub(crate) mod files;
mod for_expr;
mod functions;
mod graph;
mod index;
mod instances;
pub(crate) mod modules;
mod overrides;
mod refs;
mod repeated_keys;
mod resources;
mod scope;
#[cfg(test)]
mod tests;
mod types;
mod values;

use std::collections::HashMap;
use std::sync::Arc;

use hcl_edit::structure::{Block, Body};

use self::eval::Evaluator;
use self::index::Index;
use self::modules::Expander;
pub(crate) use self::modules::{ModuleSet, ParsedModule, Source};
use self::scope::Scope;
use crate::error::FileError;
use crate::model::{Format, Provider, RefKind, Unit, Val};
use crate::parse::json;
use crate::parse::tfjson::{self, Remap};
use crate::source::{SourceFile, Span};

/// Most instances one `count` or `for_each` is expanded to; larger ones are checked as one
/// symbolic instance.
pub(crate) const MAX_INSTANCES: usize = 1_000;
/// Deepest expression (and local-to-local) evaluation.
pub(crate) const MAX_EVAL_DEPTH: usize = 64;
/// Deepest bracket nesting accepted before handing a file to the (recursive) HCL parser.
const MAX_NESTING: usize = 64;

/// The session resource types read from Terraform and their provider.
pub(crate) const SESSION_TYPES: &[(&str, Provider)] = &[
    ("aws_ec2_traffic_mirror_session", Provider::Aws),
    ("awscc_ec2_traffic_mirror_session", Provider::Awscc),
    ("alicloud_vpc_traffic_mirror_session", Provider::Alicloud),
];

/// Parses one `.tf`, `.tf.json`, `.tfvars` or `.tfvars.json` file.
pub(crate) fn parse_file(source: &Arc<SourceFile>) -> Result<ParsedFile, FileError> {
    let name = source
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with(".json") {
        let root = json::parse(source)?;
        let Some(root) = root else {
            return Ok(ParsedFile {
                source: source.clone(),
                body: Body::new(),
                remap: None,
            });
        };
        let generated = if name.ends_with(".tfvars.json") {
            tfjson::generate_tfvars(source, &root)?
        } else {
            tfjson::generate(source, &root)?
        };
        if let Err((at, message)) = super::hcl_scan::check(&generated.text, MAX_NESTING) {
            let at = generated.remap.map(Span::new(at, at));
            return Err(FileError::at(
                source,
                at,
                format!("invalid Terraform JSON: {message}"),
            ));
        }
        let body = hcl_edit::parser::parse_body(&generated.text).map_err(|e| {
            let at = generated
                .remap
                .map(Span::new(e.location().offset(), e.location().offset()));
            FileError::at(
                source,
                at,
                format!("invalid Terraform expression: {}", e.message()),
            )
        })?;
        return Ok(ParsedFile {
            source: source.clone(),
            body,
            remap: Some(generated.remap),
        });
    }
    let body = parse_hcl(source)?;
    Ok(ParsedFile {
        source: source.clone(),
        body,
        remap: None,
    })
}

fn parse_hcl(source: &SourceFile) -> Result<Body, FileError> {
    if let Err((at, message)) = super::hcl_scan::check(&source.text, MAX_NESTING) {
        return Err(FileError::at(
            source,
            Span::new(at, at + 1),
            format!("invalid HCL: {message}"),
        ));
    }
    let offset_of = |e: &hcl_edit::parser::Error| {
        let loc = e.location();
        source.line_start(loc.line()).map_or(loc.offset(), |s| {
            source
                .offset_of_line_char(loc.line(), loc.column().saturating_sub(1))
                .max(s)
        })
    };
    repeated_keys::parse_body(&source.text, offset_of).map_err(|e| {
        let offset = offset_of(&e);
        let note = if repeated_keys::is_repeated_key(&e) {
            format!(
                " (Terraform keeps the last value of a repeated key; mirrorguard reads up to {} \
                 repeated keys in a file, written as names or plain strings)",
                repeated_keys::MAX_RENAMES
            )
        } else {
            String::new()
        };
        FileError::at(
            source,
            Span::new(offset, offset),
            format!("invalid HCL: {}{note}", e.message()),
        )
    })
}

/// A parsed file of a module: its source and body.
#[derive(Debug)]
pub(crate) struct ParsedFile {
    pub(crate) source: Arc<SourceFile>,
    pub(crate) body: Body,
    /// For JSON syntax: where each generated value came from in the JSON.
    pub(crate) remap: Option<Remap>,
}

/// Reads a root module and every module instance it calls into one unit: variable values
/// from its variable files (in increasing precedence: `terraform.tfvars`, `*.auto.tfvars`
/// in name order, then `--var-file`s), module arguments bound in each call.
pub(crate) fn read_root(set: &ModuleSet, root: &str, default_region: Option<&str>) -> Unit {
    let reachable = reachable(set, root);
    let mut files: Vec<Arc<SourceFile>> = Vec::new();
    let mut indexes: HashMap<String, Index<'_>> = HashMap::new();
    for dir in &reachable {
        let Some(m) = set.modules.get(dir) else {
            continue;
        };
        let mut index = Index::default();
        index.dir.clone_from(dir);
        root.clone_into(&mut index.root_dir);
        index.data = set.data.as_deref();
        // Override files last, in name order: their blocks merge into the others'.
        let (overriding, normal): (Vec<&ParsedFile>, Vec<&ParsedFile>) =
            m.tf.iter().partition(|f| {
                f.source
                    .path
                    .file_name()
                    .is_some_and(|n| overrides::is_override_file(&n.to_string_lossy()))
            });
        for (f, is_override) in normal
            .into_iter()
            .map(|f| (f, false))
            .chain(overriding.into_iter().map(|f| (f, true)))
        {
            let id = files.len();
            files.push(f.source.clone());
            index.add(id, &f.body, is_override);
            if let Some(r) = &f.remap {
                index.remaps.insert(id, r);
            }
        }
        if dir == root {
            for f in &m.tfvars {
                let id = files.len();
                files.push(f.source.clone());
                if let Some(r) = &f.remap {
                    index.remaps.insert(id, r);
                }
            }
        }
        indexes.insert(dir.clone(), index);
    }
    let display = set
        .modules
        .get(root)
        .map_or_else(|| root.to_owned(), |m| m.display.clone());
    let mut unit = Unit::new(Format::Terraform, display, files);
    let Some(root_index) = indexes.get(root) else {
        return unit;
    };
    // Variable values from variable files, later files winning.
    let mut tfvars = HashMap::new();
    if let Some(m) = set.modules.get(root) {
        let first_var_file = m.tf.len();
        let plain = Scope::root(root_index, HashMap::new(), default_region);
        for (i, f) in m.tfvars.iter().enumerate() {
            for attr in f.body.attributes() {
                let mut ev = Evaluator::new(&plain, first_var_file + i);
                let v = ev.eval(&attr.value);
                let loc = ev.loc(&attr.value);
                if let Val::Known(j) = v.val {
                    tfvars.insert(attr.key.as_str().to_owned(), (j, loc));
                }
            }
        }
    }
    let scope = Scope::root(root_index, tfvars, default_region);
    let expander = Expander {
        set,
        indexes: &indexes,
        root_dir: root.to_owned(),
    };
    expander.expand(
        &mut unit,
        &scope,
        root,
        "",
        &mut vec![root.to_owned()],
        &read_resources,
    );
    let root_loc = unit
        .sessions
        .first()
        .map(|s| s.loc)
        .unwrap_or(crate::model::Loc {
            file: 0,
            span: Span::default(),
        });
    for e in scope.budget.errors() {
        unit.errors.push((root_loc, e));
    }
    for dir in &reachable {
        if let Some(index) = indexes.get(dir) {
            for c in &index.conflicts {
                let first_at = c.first.and_then(|(file, span)| {
                    let at = index.locate(file, span);
                    let f = unit.files.get(at.file)?;
                    let p = f.position(at.span.start);
                    Some(format!("{}:{}:{}", f.display, p.line, p.column))
                });
                let message = c.message(first_at.as_deref());
                unit.errors.push((index.locate(c.file, c.span), message));
            }
        }
    }
    unit.secrets.extend(scope.secrets.borrow().iter().cloned());
    unit.created.extend(scope.created.into_inner());
    // Terraform refuses a reference to a variable the module does not declare.
    let (undeclared, references): (Vec<_>, Vec<_>) = std::mem::take(&mut unit.references)
        .into_iter()
        .partition(|r| r.kind == RefKind::Variable && !r.declared);
    unit.references = references;
    for r in undeclared {
        unit.errors.push((
            r.loc,
            format!(
                "var.{} is not declared: Terraform fails with \"Reference to undeclared input variable\" (declare it in a variable block)",
                r.name
            ),
        ));
    }
    unit.errors.sort_by_key(|(l, m)| (*l, m.clone()));
    unit.errors.dedup();
    unit
}

/// Reads the sessions and the rest of the mirror graph of one module instance.
fn read_resources(scope: &Scope<'_, '_>, unit: &mut Unit) {
    for &(file, block) in &scope.index.resources {
        let [ty, name] = labels(block);
        let merged = scope.index.merged(&format!("{ty}.{name}"), file, block);
        if let Some(&(_, provider)) = SESSION_TYPES.iter().find(|(t, _)| *t == ty) {
            resources::read_sessions(scope, unit, merged, provider);
        } else if let Some((kind, provider)) = crate::model::graph::kind_of_type(&ty) {
            graph::read(scope, unit, merged, kind, provider);
        }
    }
}

/// The folders a root reaches through module calls (the root first), following local
/// sources and downloaded registry modules, each once.
pub(crate) fn reachable(set: &ModuleSet, root: &str) -> Vec<String> {
    let mut out = vec![root.to_owned()];
    let mut todo = vec![(root.to_owned(), String::new())];
    while let Some((dir, key)) = todo.pop() {
        let Some(m) = set.modules.get(&dir) else {
            continue;
        };
        for f in &m.tf {
            for block in f.body.get_blocks("module") {
                let [name, _] = labels(block);
                let call_key = if key.is_empty() {
                    name
                } else {
                    format!("{key}.{name}")
                };
                let source = modules::source_of(block);
                if let Source::Folder(child) =
                    modules::resolve(set, &dir, root, &call_key, source.as_deref())
                    && !out.contains(&child)
                    && out.len() < 256
                {
                    out.push(child.clone());
                    todo.push((child, call_key));
                }
            }
        }
    }
    out
}

/// Reads one folder as a root module on its own (tests, fuzzing).
pub(crate) fn read_module(
    name: String,
    tf: Vec<ParsedFile>,
    tfvars: Vec<ParsedFile>,
    default_region: Option<&str>,
) -> Unit {
    let mut set = ModuleSet::default();
    let dir = ".".to_owned();
    set.modules.insert(
        dir.clone(),
        ParsedModule {
            dir: dir.clone(),
            display: name,
            tf,
            tfvars,
        },
    );
    read_root(&set, &dir, default_region)
}

pub(crate) fn labels(block: &Block) -> [String; 2] {
    // Terraform decodes escapes in quoted labels (`"aws_ec2_traffic\u005fmirror_session"`).
    let mut it = block.labels.iter().map(|l| {
        let s = l.as_str();
        if s.contains('\\') {
            crate::parse::unescape(s)
        } else {
            s.to_owned()
        }
    });
    [it.next().unwrap_or_default(), it.next().unwrap_or_default()]
}

/// Whether a block is `dynamic "name" { … }`: nested `name` blocks, one per item.
pub(crate) fn is_dynamic(block: &Block, name: &str) -> bool {
    block.ident.as_str() == "dynamic" && block.labels.first().is_some_and(|l| l.as_str() == name)
}

pub(crate) fn span_of(x: &impl hcl_edit::Span) -> Span {
    x.span()
        .map_or(Span::default(), |r| Span::new(r.start, r.end))
}

/// Where findings about a whole block point: its labels.
pub(crate) fn block_span(block: &Block) -> Span {
    let first = block.labels.first().map(span_of);
    let last = block.labels.last().map(span_of);
    match (first, last) {
        (Some(a), Some(b)) => Span::new(a.start, b.end),
        _ => span_of(&block.ident),
    }
}

/// Variable values from a `.tfvars` file that are used as `--var-file` or auto-loaded.
pub(crate) fn is_tfvars(name: &str) -> bool {
    let name = name.strip_suffix(".json").unwrap_or(name);
    name == "terraform.tfvars" || name.ends_with(".auto.tfvars")
}
