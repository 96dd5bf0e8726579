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
mod functions;
mod index;
mod instances;
mod resources;
#[cfg(test)]
mod tests;
mod values;

use std::sync::Arc;

use hcl_edit::structure::{Block, Body};

use self::eval::Evaluator;
use self::index::Index;
use crate::error::FileError;
use crate::model::{FileId, Format, Provider, Unit, Val};
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
pub(crate) const TARGET_TYPES: &[&str] = &[
    "aws_ec2_traffic_mirror_target",
    "awscc_ec2_traffic_mirror_target",
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
    hcl_edit::parser::parse_body(&source.text).map_err(|e| {
        let loc = e.location();
        let offset = source.line_start(loc.line()).map_or(loc.offset(), |s| {
            source
                .offset_of_line_char(loc.line(), loc.column().saturating_sub(1))
                .max(s)
        });
        FileError::at(
            source,
            Span::new(offset, offset),
            format!("invalid HCL: {}", e.message()),
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

/// Reads a module: its `.tf` files and the variable files that apply to it (in increasing
/// precedence: `terraform.tfvars`, `*.auto.tfvars` in name order, then `--var-file`s).
pub(crate) fn read_module(
    name: String,
    tf: &[ParsedFile],
    tfvars: &[ParsedFile],
    default_region: Option<&str>,
) -> Unit {
    let mut files: Vec<Arc<SourceFile>> = Vec::new();
    let mut bodies: Vec<(FileId, &Body)> = Vec::new();
    for f in tf {
        bodies.push((files.len(), &f.body));
        files.push(f.source.clone());
    }
    let mut index = Index::default();
    for &(file, body) in &bodies {
        index.add(file, body);
    }
    for (file, f) in tf.iter().enumerate() {
        if let Some(r) = &f.remap {
            index.remaps.insert(file, r);
        }
    }
    // Variable values from tfvars files, later files winning.
    for f in tfvars {
        let file = files.len();
        files.push(f.source.clone());
        if let Some(r) = &f.remap {
            index.remaps.insert(file, r);
        }
        for attr in f.body.attributes() {
            let mut ev = Evaluator::new(&index, file);
            let v = ev.eval(&attr.value);
            let loc = ev.loc(&attr.value);
            if let Val::Known(j) = v.val {
                index.tfvars.insert(attr.key.as_str().to_owned(), (j, loc));
            }
        }
    }

    let mut unit = Unit::new(Format::Terraform, name, files);
    for &(file, body) in &bodies {
        for block in body.get_blocks("resource") {
            let [ty, _] = labels(block);
            if let Some(&(_, provider)) = SESSION_TYPES.iter().find(|(t, _)| *t == ty) {
                resources::read_sessions(&index, &mut unit, file, block, provider, default_region);
            } else if TARGET_TYPES.contains(&ty.as_str()) {
                resources::read_targets(&index, &mut unit, file, block);
            }
        }
    }
    unit
}

pub(crate) fn labels(block: &Block) -> [String; 2] {
    let mut it = block.labels.iter().map(|l| l.as_str().to_owned());
    [it.next().unwrap_or_default(), it.next().unwrap_or_default()]
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
