//! What a module declares (variables, locals, resources, providers), for resolving references.

use std::collections::{HashMap, HashSet};

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Body};
use serde_json::{Value as Json, json};

use super::eval::Evaluator;
use super::functions::{compact, strip_parens};
use super::labels;
use crate::model::{Alt, FileId, Loc, Origin, Val};
use crate::parse::tfjson::Remap;
use crate::source::Span;

/// What a module declares, for resolving references.
#[derive(Default)]
pub(crate) struct Index<'a> {
    pub(crate) variables: HashMap<String, (Option<&'a Expression>, FileId)>,
    pub(crate) has_variables: bool,
    pub(crate) locals: HashMap<String, (&'a Expression, FileId)>,
    pub(crate) declared: HashSet<String>,
    /// Span maps of files written in JSON syntax.
    pub(crate) remaps: HashMap<FileId, &'a Remap>,
    /// `provider` blocks by `name` or `name.alias`: the block's file and its `region`.
    pub(crate) providers: HashMap<String, (Option<&'a Expression>, FileId)>,
    /// `count` or `for_each` of each resource that has one: `length(aws_x.y)` is its size.
    pub(crate) repetition: HashMap<String, (&'a Attribute, FileId)>,
    pub(crate) tfvars: HashMap<String, (Json, Loc)>,
}

impl<'a> Index<'a> {
    /// The region of a resource's provider configuration: the `provider` block's `region`
    /// (through `provider = alicloud.alias`), else `--region`. Unknown regions keep the
    /// provider configuration as their identity: resources on one configuration share a region.
    pub(crate) fn region(
        &self,
        ev: &mut Evaluator<'_, 'a>,
        body: &Body,
        default_region: Option<&str>,
    ) -> Vec<Alt> {
        let key = match body
            .get_attribute("provider")
            .map(|a| strip_parens(&a.value))
        {
            Some(e @ Expression::Traversal(_)) => compact(&e.to_string()),
            _ => "alicloud".to_owned(),
        };
        let provider_loc = body.get_attribute("provider").map(|a| ev.loc(&a.value));
        match self.providers.get(&key) {
            Some((Some(expr), file)) => {
                let saved = ev.file;
                ev.file = *file;
                let mut out = Vec::new();
                ev.branches(expr, Vec::new(), &mut out, 0);
                ev.file = saved;
                for a in &mut out {
                    if let Val::Unknown(why) = &a.val {
                        a.val = Val::Symbol {
                            expr: format!("provider.{key}.region"),
                            why: why.clone(),
                        };
                    }
                }
                out
            }
            _ => {
                let loc = provider_loc.unwrap_or(Loc {
                    file: ev.file,
                    span: Span::default(),
                });
                match default_region {
                    Some(r) => {
                        let mut a = Alt::known(loc, json!(r));
                        a.origin = Some(Origin::outside("--region"));
                        vec![a]
                    }
                    None => vec![Alt::symbol(
                        loc,
                        format!("provider.{key}.region"),
                        format!("provider {key} sets no region (pass --region)"),
                    )],
                }
            }
        }
    }

    /// A location in the file the user wrote (JSON syntax: mapped back through the remap).
    pub(crate) fn locate(&self, file: FileId, span: Span) -> Loc {
        let span = self.remaps.get(&file).map_or(span, |r| r.map(span));
        Loc { file, span }
    }

    pub(crate) fn add(&mut self, file: FileId, body: &'a Body) {
        for block in body.blocks() {
            match block.ident.as_str() {
                "variable" => {
                    self.has_variables = true;
                    let [name, _] = labels(block);
                    let default = block.body.get_attribute("default").map(|a| &a.value);
                    self.variables.insert(name, (default, file));
                }
                "locals" => {
                    for attr in block.body.attributes() {
                        self.locals
                            .insert(attr.key.as_str().to_owned(), (&attr.value, file));
                    }
                }
                "resource" => {
                    let [ty, name] = labels(block);
                    let rep = block
                        .body
                        .get_attribute("count")
                        .or_else(|| block.body.get_attribute("for_each"));
                    if let Some(attr) = rep {
                        self.repetition.insert(format!("{ty}.{name}"), (attr, file));
                    }
                    self.declared.insert(format!("{ty}.{name}"));
                }
                "data" => {
                    let [ty, name] = labels(block);
                    self.declared.insert(format!("data.{ty}.{name}"));
                }
                "provider" => {
                    let [name, _] = labels(block);
                    let key = match block.body.get_attribute("alias").map(|a| &a.value) {
                        Some(Expression::String(s)) => format!("{name}.{}", s.value()),
                        _ => name,
                    };
                    let region = block.body.get_attribute("region").map(|a| &a.value);
                    self.providers.insert(key, (region, file));
                }
                "module" => {
                    let [name, _] = labels(block);
                    self.declared.insert(format!("module.{name}"));
                }
                _ => {}
            }
        }
    }
}
