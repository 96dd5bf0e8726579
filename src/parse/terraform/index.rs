//! What a module folder declares (variables, locals, resources, providers, module calls),
//! for resolving references, and the region of a resource's provider configuration.

use std::collections::{HashMap, HashSet};

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body};
use serde_json::json;

use super::eval::Evaluator;
use super::functions::{compact, strip_parens};
use super::overrides::{Conflict, Declared, Merged};
use super::scope::Scope;
use super::{block_span, labels, span_of};
use crate::model::{Alt, FileId, Loc, Origin, Val};
use crate::parse::tfjson::Remap;
use crate::source::Span;

/// What a module folder declares, for resolving references.
#[derive(Default)]
pub(crate) struct Index<'a> {
    /// The module's folder and the root module's, normalized (`modules/ids`, `envs/prod`).
    pub(crate) dir: String,
    pub(crate) root_dir: String,
    /// What `file()` may read (see [`super::modules::ModuleSet::data`]).
    pub(crate) data: Option<&'a dyn super::files::DataFiles>,
    pub(crate) variables: HashMap<String, (Option<&'a Expression>, FileId)>,
    /// Variables marked `sensitive = true`: their values never appear in reports.
    pub(crate) sensitive: HashSet<String>,
    /// The `type` constraint of each variable that has one, and its file.
    pub(crate) variable_types: HashMap<String, (&'a Expression, FileId)>,
    pub(crate) locals: HashMap<String, (&'a Expression, FileId)>,
    pub(crate) declared: HashSet<String>,
    /// Span maps of files written in JSON syntax.
    pub(crate) remaps: HashMap<FileId, &'a Remap>,
    /// `provider` blocks by `name` or `name.alias`: the block's file and its `region`.
    pub(crate) providers: HashMap<String, (Option<&'a Expression>, FileId)>,
    /// `count` or `for_each` of each resource that has one: `length(aws_x.y)` is its size.
    pub(crate) repetition: HashMap<String, (&'a Attribute, FileId)>,
    /// Resource blocks, in file order.
    pub(crate) resources: Vec<(FileId, &'a Block)>,
    /// `module` blocks, in file order.
    pub(crate) modules: Vec<(FileId, &'a Block)>,
    /// The interface an `aws_instance` declares at device index 0: its primary interface.
    pub(crate) primary_interfaces: HashMap<String, (&'a Expression, FileId)>,
    /// Blocks of override files, by what they override (`aws_x.y`, `module.m`), in order.
    pub(crate) overrides: HashMap<String, Vec<(FileId, &'a Block)>>,
    /// Where each name is declared first (`resource aws_x.y`, `local n`), for duplicates.
    first: HashMap<String, (FileId, Span)>,
    /// Declarations Terraform refuses: reported as errors at their place.
    pub(crate) conflicts: Vec<Conflict>,
}

impl<'a> Index<'a> {
    /// A location in the file the user wrote (JSON syntax: mapped back through the remap).
    pub(crate) fn locate(&self, file: FileId, span: Span) -> Loc {
        let span = self.remaps.get(&file).map_or(span, |r| r.map(span));
        Loc { file, span }
    }

    /// Adds the declarations of one file; an override file's blocks are merged into what the
    /// module's other files declare, which must all be added first.
    pub(crate) fn add(&mut self, file: FileId, body: &'a Body, is_override: bool) {
        for block in body.blocks() {
            match block.ident.as_str() {
                "variable" => {
                    let [name, _] = labels(block);
                    if !self.declare(
                        Declared::Variable,
                        &name,
                        file,
                        block_span(block),
                        is_override,
                    ) {
                        continue;
                    }
                    if matches!(
                        block.body.get_attribute("sensitive").map(|a| &a.value),
                        Some(Expression::Bool(b)) if *b.value()
                    ) {
                        self.sensitive.insert(name.clone());
                    }
                    if let Some(ty) = block.body.get_attribute("type") {
                        self.variable_types.insert(name.clone(), (&ty.value, file));
                    }
                    // An override without a default keeps the base's.
                    let default = block.body.get_attribute("default").map(|a| &a.value);
                    if !is_override || default.is_some() {
                        self.variables.insert(name, (default, file));
                    }
                }
                "locals" => {
                    for attr in block.body.attributes() {
                        let name = attr.key.as_str();
                        let span = span_of(&attr.key);
                        if self.declare(Declared::Local, name, file, span, is_override) {
                            self.locals.insert(name.to_owned(), (&attr.value, file));
                        }
                    }
                }
                "resource" => {
                    let [ty, name] = labels(block);
                    let address = format!("{ty}.{name}");
                    let kind = Declared::Resource(ty.clone());
                    if !self.declare(kind, &name, file, block_span(block), is_override) {
                        continue;
                    }
                    let rep = block
                        .body
                        .get_attribute("count")
                        .or_else(|| block.body.get_attribute("for_each"));
                    if let Some(attr) = rep {
                        self.repetition.insert(address.clone(), (attr, file));
                    }
                    if ty == "aws_instance" {
                        self.note_primary_interface(&address, block, file);
                    }
                    if is_override {
                        self.overrides
                            .entry(address)
                            .or_default()
                            .push((file, block));
                    } else {
                        self.declared.insert(address);
                        self.resources.push((file, block));
                    }
                }
                "data" => {
                    let [ty, name] = labels(block);
                    let kind = Declared::Data(ty.clone());
                    if self.declare(kind, &name, file, block_span(block), is_override) {
                        self.declared.insert(format!("data.{ty}.{name}"));
                    }
                }
                "provider" => {
                    let [name, _] = labels(block);
                    let key = match block.body.get_attribute("alias").map(|a| &a.value) {
                        Some(Expression::String(s)) => format!("{name}.{}", s.value()),
                        _ => name,
                    };
                    if !self.declare(
                        Declared::Provider,
                        &key,
                        file,
                        block_span(block),
                        is_override,
                    ) {
                        continue;
                    }
                    let region = block.body.get_attribute("region").map(|a| &a.value);
                    if !is_override || region.is_some() {
                        self.providers.insert(key, (region, file));
                    }
                }
                "module" => {
                    let [name, _] = labels(block);
                    if !self.declare(
                        Declared::Module,
                        &name,
                        file,
                        block_span(block),
                        is_override,
                    ) {
                        continue;
                    }
                    if is_override {
                        self.overrides
                            .entry(format!("module.{name}"))
                            .or_default()
                            .push((file, block));
                    } else {
                        self.declared.insert(format!("module.{name}"));
                        self.modules.push((file, block));
                    }
                }
                "output" => {
                    let [name, _] = labels(block);
                    self.declare(
                        Declared::Output,
                        &name,
                        file,
                        block_span(block),
                        is_override,
                    );
                }
                _ => {}
            }
        }
    }

    /// Notes a declaration. A normal file's is new (else a duplicate: `false`, and the first
    /// declaration stands); an override file's has a declaration to merge into (else `false`).
    fn declare(
        &mut self,
        kind: Declared,
        name: &str,
        file: FileId,
        span: Span,
        is_override: bool,
    ) -> bool {
        let key = format!("{kind} {name}");
        let first = self.first.get(&key).copied();
        let ok = if is_override {
            first.is_some()
        } else {
            first.is_none()
        };
        if ok {
            self.first.entry(key).or_insert((file, span));
        } else {
            self.conflicts.push(Conflict {
                file,
                span,
                kind,
                name: name.to_owned(),
                first,
            });
        }
        ok
    }

    /// A resource or module block with what override files merge into it.
    pub(crate) fn merged<'s>(&'s self, key: &str, file: FileId, block: &'s Block) -> Merged<'s> {
        Merged {
            file,
            block,
            overrides: self.overrides.get(key).map_or(&[], Vec::as_slice),
        }
    }

    fn note_primary_interface(&mut self, address: &str, block: &'a Block, file: FileId) {
        // AWS provider 6: `primary_network_interface { network_interface_id = … }`.
        if let Some(eni) = block
            .body
            .get_blocks("primary_network_interface")
            .find_map(|b| b.body.get_attribute("network_interface_id"))
        {
            self.primary_interfaces
                .insert(address.to_owned(), (&eni.value, file));
            return;
        }
        for ni in block.body.get_blocks("network_interface") {
            let index = ni.body.get_attribute("device_index").map(|a| &a.value);
            let is_primary =
                matches!(index, Some(Expression::Number(n)) if n.value().as_u64() == Some(0));
            if let (true, Some(eni)) = (is_primary, ni.body.get_attribute("network_interface_id")) {
                self.primary_interfaces
                    .insert(address.to_owned(), (&eni.value, file));
            }
        }
    }
}

impl Evaluator<'_, '_> {
    /// The region of a resource's provider configuration: the `provider` block's `region`
    /// (through `provider = alicloud.alias`, and through a module call's `providers` map or
    /// the inherited default configuration), else `--region`. An unknown region keeps the
    /// provider configuration as its identity: resources on one configuration share a region.
    pub(crate) fn region(&mut self, body: &Body) -> Vec<Alt> {
        let key = match body
            .get_attribute("provider")
            .map(|a| strip_parens(&a.value))
        {
            Some(e @ Expression::Traversal(_)) => compact(&e.to_string()),
            _ => "alicloud".to_owned(),
        };
        let here = body.get_attribute("provider").map_or(
            Loc {
                file: self.file,
                span: Span::default(),
            },
            |a| self.loc(&a.value),
        );
        region_of(self.scope, &key, here)
    }
}

fn region_of(scope: &Scope<'_, '_>, key: &str, here: Loc) -> Vec<Alt> {
    if let Some((region, file)) = scope.index.providers.get(key) {
        let Some(expr) = region else {
            return no_region(scope, key, here);
        };
        let mut ev = Evaluator::new(scope, *file);
        let mut out = Vec::new();
        ev.branches(expr, Vec::new(), &mut out, 0);
        for a in &mut out {
            if let Val::Unknown(why) = &a.val {
                a.val = Val::Symbol {
                    expr: format!("provider.{}{key}.region", scope.prefix),
                    why: why.clone(),
                };
            }
        }
        return out;
    }
    if let Some(parent) = scope.parent {
        // `providers = { alicloud = alicloud.hz }` on the call, or the default configuration
        // a module inherits from its caller.
        match scope.providers.get(key) {
            Some(mapped) => return region_of(parent, mapped, here),
            None if !key.contains('.') => return region_of(parent, key, here),
            None => {}
        }
    }
    no_region(scope, key, here)
}

fn no_region(scope: &Scope<'_, '_>, key: &str, here: Loc) -> Vec<Alt> {
    match &scope.default_region {
        Some(r) => {
            let mut a = Alt::known(here, json!(r));
            a.origin = Some(Origin::outside("--region"));
            vec![a]
        }
        None => vec![Alt::symbol(
            here,
            format!("provider.{key}.region"),
            format!("provider {key} sets no region (pass --region)"),
        )],
    }
}
