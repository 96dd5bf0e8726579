//! Parsers: source text into the session model, one [`Unit`] per CloudFormation template,
//! Terraform module, stackql-deploy manifest or CLI input file.
//!
//! This module owns the file-kind dispatch: [`kind_of`] says what a path can be by its
//! name, and [`read_document`] decides what a YAML or JSON document is by its content
//! (a plan, a CLI input, a CloudFormation template, or nothing to check).

pub(crate) mod cli_input;
pub(crate) mod cloudformation;
pub(crate) mod hcl_scan;
pub(crate) mod json;
pub mod stackql;
pub(crate) mod terraform;
pub(crate) mod tfjson;
pub(crate) mod tfplan;
pub(crate) mod tree;
pub(crate) mod yaml;

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value as Json, json};

use crate::error::FileError;
use crate::model::{Alt, Unit, Val};
use crate::source::SourceFile;
pub use cloudformation::ParameterValues;
pub use stackql::StackqlOptions;

/// A file format found by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `.yaml`, `.yml`, `.json`, `.template`: CloudFormation, a plan or a CLI input if its
    /// content says so.
    Document,
    /// `.tf`, `.tf.json`
    Terraform,
    /// `terraform.tfvars`, `*.auto.tfvars` (and `.json`)
    TfVars,
    /// `stackql_manifest.yml`
    Manifest,
    /// `.iql` query files of stackql-deploy resources
    Query,
}

/// What a path can be, by its name; `None` for files mirrorguard never reads.
pub fn kind_of(path: &Path) -> Option<Kind> {
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

/// How documents are read: values given on the command line or in the configuration.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// CloudFormation parameter values (`--parameters`, `--parameter-file`).
    pub parameters: ParameterValues,
    /// stackql-deploy environment and template variables (`--stack-env`, `--var`).
    pub stackql: StackqlOptions,
    /// Region of provider configurations that set none (`--region`).
    pub region: Option<String>,
    /// Parse every candidate file, skipping the byte-scan shortcut.
    pub full_parse: bool,
}

/// What reading one document gave: a unit when it declares something to check, and the
/// problems found on the way.
#[derive(Debug, Default)]
pub(crate) struct Read {
    pub(crate) unit: Option<Unit>,
    pub(crate) errors: Vec<FileError>,
}

impl Read {
    fn unit(unit: Unit) -> Self {
        Self {
            unit: Some(unit),
            errors: Vec::new(),
        }
    }

    fn error(e: FileError) -> Self {
        Self {
            unit: None,
            errors: vec![e],
        }
    }
}

/// Reads a YAML or JSON document: a Terraform plan, an AWS CLI input, a CloudFormation
/// template or fragment, or nothing mirrorguard checks.
pub(crate) fn read_document(src: &Arc<SourceFile>, options: &ReadOptions) -> Read {
    // Fast path: a document that never names a traffic mirror resource cannot declare a
    // session or target, whatever else it is.
    if !options.full_parse && !could_declare_mirroring(&src.text) {
        return Read::default();
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
        Ok(None) => return Read::default(),
        Err(e) => {
            let looks_like_cfn =
                src.text.contains("AWS::") || src.text.contains("AWSTemplateFormatVersion");
            return if looks_like_cfn {
                Read::error(e)
            } else {
                Read::default()
            };
        }
    };
    if tfplan::is_plan(&root) {
        return Read::unit(tfplan::read(src.clone(), &root, None));
    }
    if let Some(request) = cli_input::request(&root) {
        return Read::unit(cli_input::read(src.clone(), &root, request));
    }
    match cloudformation::shape(&root) {
        cloudformation::Shape::NotCloudFormation => Read::default(),
        shape => Read::unit(cloudformation::read(src.clone(), &root, shape, options)),
    }
}

/// Whether a text could declare a traffic mirror resource: it names one.
pub(crate) fn could_declare_mirroring(text: &str) -> bool {
    text.contains("TrafficMirror") || text.contains("traffic_mirror")
}

/// Converts numeric strings ("5") to numbers, as CloudFormation and the providers do for
/// integer properties.
pub(crate) fn numeric(mut alts: Vec<Alt>) -> Vec<Alt> {
    for alt in &mut alts {
        if let Val::Known(Json::String(s)) = &alt.val {
            if let Ok(i) = s.trim().parse::<i64>() {
                alt.val = Val::Known(json!(i));
            }
        } else if let Val::Known(Json::Number(n)) = &alt.val
            && let Some(f) = n.as_f64()
            && n.as_i64().is_none()
            && f.fract() == 0.0
            && f.abs() < 9.0e15
        {
            #[expect(clippy::cast_possible_truncation, reason = "integral and in range")]
            let i = f as i64;
            alt.val = Val::Known(json!(i));
        }
    }
    alts
}
