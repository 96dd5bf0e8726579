//! Parsers: source text into the session model, one [`Unit`] per CloudFormation template,
//! Terraform module, stackql-deploy manifest or CLI input file.
//!
//! This module owns the file-kind dispatch: [`kind_of`] says what a path can be by its
//! name, and [`read_document`] decides what a YAML or JSON document is by its content
//! (a plan, a CLI input, a CloudFormation template, or nothing to check).

pub(crate) mod cli_input;
pub(crate) mod cloudformation;
pub(crate) mod comments;
pub(crate) mod graph;
pub(crate) mod hcl_scan;
pub(crate) mod json;
pub(crate) mod shell;
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
    /// `.sh`, `.bash`, `.zsh`, `.ksh` scripts (AWS CLI command lines)
    Script,
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
    // Asked of every file a walk finds: the extension is compared without a lowercased copy.
    let ext = path.extension()?.to_str()?;
    let any_of = |names: &[&str]| names.iter().any(|n| ext.eq_ignore_ascii_case(n));
    if any_of(&["yaml", "yml", "json", "template"]) {
        Some(Kind::Document)
    } else if any_of(&["tf"]) {
        Some(Kind::Terraform)
    } else if any_of(&["iql"]) {
        Some(Kind::Query)
    } else if shell::is_script(name) {
        Some(Kind::Script)
    } else {
        None
    }
}

/// Longest string a template may compute (`Fn::Sub`, Terraform templates and functions,
/// Jinja output): longer values are unknown, so that small hostile files cannot exhaust
/// memory by doubling a string.
pub(crate) const MAX_VALUE_BYTES: usize = 1 << 20;

/// Most evaluation steps one unit may take (intrinsic functions, Terraform expressions);
/// a unit that needs more is reported as an error, and what is left is unknown.
pub(crate) const EVALUATION_BUDGET: u64 = 2_000_000;

/// Most resource instances `count` and `for_each` may expand to in one unit.
pub(crate) const MAX_UNIT_INSTANCES: usize = 10_000;

/// The evaluation steps and expanded instances left to one unit.
#[derive(Debug)]
pub(crate) struct Budget {
    left: std::cell::Cell<u64>,
    instances_left: std::cell::Cell<usize>,
    instances_spent: std::cell::Cell<bool>,
    /// A value grew past [`MAX_VALUE_BYTES`].
    oversize: std::cell::Cell<bool>,
    /// Expressions nested past the evaluator's depth.
    too_deep: std::cell::Cell<bool>,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            left: std::cell::Cell::new(EVALUATION_BUDGET),
            instances_left: std::cell::Cell::new(MAX_UNIT_INSTANCES),
            instances_spent: std::cell::Cell::new(false),
            oversize: std::cell::Cell::new(false),
            too_deep: std::cell::Cell::new(false),
        }
    }
}

impl Budget {
    /// Takes one step; `false` when the budget is spent.
    pub(crate) fn step(&self) -> bool {
        let left = self.left.get();
        if left == 0 {
            return false;
        }
        self.left.set(left - 1);
        true
    }

    /// Whether the budget ran out.
    pub(crate) fn spent(&self) -> bool {
        self.left.get() == 0
    }

    /// Takes `n` instances; `false` (and remembered) when fewer are left.
    pub(crate) fn take_instances(&self, n: usize) -> bool {
        let left = self.instances_left.get();
        if n > left {
            self.instances_spent.set(true);
            return false;
        }
        self.instances_left.set(left - n);
        true
    }

    /// Notes that a value grew past [`MAX_VALUE_BYTES`] (it is unknown from there on).
    pub(crate) fn oversize(&self) {
        self.oversize.set(true);
    }

    /// Notes that expressions nest past the evaluator's depth.
    pub(crate) fn too_deep(&self) {
        self.too_deep.set(true);
    }

    /// The errors of a unit whose budgets ran out.
    pub(crate) fn errors(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.oversize.get() {
            out.push(format!(
                "a value here grows beyond {MAX_VALUE_BYTES} bytes (a doubling template, substitution or function?); it is unknown from there on"
            ));
        }
        if self.too_deep.get() {
            out.push(
                "expressions here nest deeper than mirrorguard evaluates; the deeper values are unknown".to_owned(),
            );
        }
        if self.spent() {
            out.push(budget_error());
        }
        if self.instances_spent.get() {
            out.push(format!(
                "count and for_each here expand to more than {MAX_UNIT_INSTANCES} resource instances; the rest are checked as one symbolic instance each"
            ));
        }
        out
    }
}

/// Whether a computed value is too large to keep (see [`MAX_VALUE_BYTES`]).
pub(crate) fn too_large(v: &Json) -> bool {
    match v {
        Json::String(s) => s.len() > MAX_VALUE_BYTES,
        Json::Array(a) => a.len() > MAX_UNIT_INSTANCES * 10,
        Json::Object(m) => m.len() > MAX_UNIT_INSTANCES * 10,
        _ => false,
    }
}

/// The error of a unit whose evaluation ran out of steps.
pub(crate) fn budget_error() -> String {
    format!(
        "evaluating this file takes more than {EVALUATION_BUDGET} steps (nested or repeated expansions?); values past that point are unknown"
    )
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
/// template or fragment, or nothing mirrorguard checks. A document that could declare a
/// traffic mirror resource is parsed: if it does not parse, that is an error, never a
/// silent pass.
pub(crate) fn read_document(src: &Arc<SourceFile>, options: &ReadOptions) -> Read {
    // Fast path: a document that never names a traffic mirror resource, in any spelling,
    // cannot declare a session or target, whatever else it is.
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
            let could_matter = could_declare_mirroring(&src.text)
                || src.text.contains("AWS::")
                || src.text.contains("AWSTemplateFormatVersion");
            return if could_matter {
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
        cloudformation::Shape::NotCloudFormation => {
            if let Some(resources) = cloudformation::serverless_resources(&root) {
                return Read::unit(cloudformation::read_as(
                    src.clone(),
                    resources,
                    cloudformation::Shape::Template,
                    options,
                    cloudformation::Dialect::Serverless(&root),
                ));
            }
            // AWS CLI commands in a CI pipeline or build specification (`run:`,
            // `script:`, `commands:`): read as the shell scripts they are.
            if let Some(read) = shell::embedded::read(src, &root) {
                return read;
            }
            // A resource declared where no template mirrorguard reads puts it: reported,
            // never passed in silence.
            match cloudformation::unread_mirror_resource(&root) {
                Some(unread) => Read::error(FileError::at(src, unread.span, unread.message)),
                None => Read::default(),
            }
        }
        shape => Read::unit(cloudformation::read(src.clone(), &root, shape, options)),
    }
}

/// Whether a text could declare a traffic mirror resource: it names one, in any spelling
/// its format allows (`traffic-mirror` of an AWS CLI command a CI pipeline runs included),
/// or holds `NetworkInterfaceId` (an AWS CLI input can declare a session with that key
/// alone, naming no traffic mirror resource: `{"NetworkInterfaceId": …,
/// "SessionNumber": 1}`). A file without a backslash is searched as it is; one with escapes
/// (`\u004d`, `\x4D`, a `\`-continued YAML line) is also searched with them decoded, so
/// that no escape can hide a resource type from the shortcut.
///
/// The search is memchr's vectorized substring search, the needles prepared once: most files
/// of a repository name none of them and are read to the end three times.
pub(crate) fn could_declare_mirroring(text: &str) -> bool {
    static NEEDLES: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 4]> =
        std::sync::LazyLock::new(|| {
            [
                "TrafficMirror",
                "traffic_mirror",
                "NetworkInterfaceId",
                "traffic-mirror",
            ]
            .map(|n| memchr::memmem::Finder::new(n.as_bytes()))
        });
    let names = |t: &str| NEEDLES.iter().any(|f| f.find(t.as_bytes()).is_some());
    names(text)
        || (memchr::memchr(b'\\', text.as_bytes()).is_some() && names(&unescape(text)))
        // A command a pipeline runs, its name cut by shell quotes (`traffic-''mirror`).
        || shell::named_when_joined(text.as_bytes())
}

/// Decodes the escapes of JSON, YAML and HCL strings wherever they appear (outside strings
/// too: over-decoding only makes the shortcut parse more files, never fewer).
pub(crate) fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let hex = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>, n: usize| {
            let digits: String = (0..n)
                .filter_map(|_| chars.next_if(char::is_ascii_hexdigit))
                .collect();
            u32::from_str_radix(&digits, 16)
                .ok()
                .and_then(char::from_u32)
        };
        match chars.next() {
            Some('u') => out.extend(hex(&mut chars, 4)),
            Some('U') => out.extend(hex(&mut chars, 8)),
            Some('x') => out.extend(hex(&mut chars, 2)),
            // A YAML double-quoted line break escaped with `\`: the line joins the next one
            // without its leading blanks.
            Some('\n' | '\r') => {
                while chars
                    .next_if(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
                    .is_some()
                {}
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
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

/// A CloudFormation template of `sessions` sessions with what the rule input carries:
/// conditions, tags, an origin (a parameter default) and a value as written that holds a
/// `ref` key of its own.
#[cfg(test)]
pub(crate) fn sample_template(sessions: usize) -> String {
    use std::fmt::Write as _;
    let mut text = String::from(
        "Parameters:\n  Vni:\n    Type: Number\n    Default: 7\nConditions:\n  Prod: !Equals [a, a]\nResources:\n",
    );
    for i in 0..sessions {
        let _ = write!(
            text,
            "  S{i}:\n    Type: AWS::EC2::TrafficMirrorSession\n    Condition: Prod\n    Properties:\n      NetworkInterfaceId: eni-{i:08x}\n      TrafficMirrorTargetId: tmt-0123abcd\n      TrafficMirrorFilterId: tmf-0123abcd\n      SessionNumber: {}\n      VirtualNetworkId: !Ref Vni\n      Description: {{ref: 3}}\n      Tags:\n        - Key: team\n          Value: !If [Prod, a, b]\n",
            i % 40 + 1
        );
    }
    text
}

/// The value of the first alternative of a field (tests).
#[cfg(test)]
pub(crate) fn first_value(alts: &[Alt]) -> Option<Val> {
    alts.first().map(|a| a.val.clone())
}

#[cfg(test)]
mod tests {
    use super::{ReadOptions, read_document};
    use crate::source::SourceFile;
    use std::sync::Arc;

    /// Found by fuzzing (byte_scan): a CLI input that names the source interface and no
    /// traffic mirror resource declares a session, so the byte scan must not skip it.
    #[test]
    fn the_byte_scan_keeps_a_cli_input_without_a_mirror_resource_name() {
        let text = "{\n    \"NetworkInterfaceId\": \"enidef0\",\n    \"SessionNumber\": 1,\n    \"PacketLength\": 9001\n}\n";
        assert!(super::could_declare_mirroring(text));
        let escaped = text.replace("NetworkInterfaceId", "Network\\u0049nterfaceId");
        assert!(super::could_declare_mirroring(&escaped));
        let src = Arc::new(SourceFile::in_memory("in.json", text));
        let read = read_document(&src, &ReadOptions::default());
        assert_eq!(read.unit.map(|u| u.sessions.len()), Some(1));
    }

    /// A pipeline's command whose name shell quotes cut (`traffic-''mirror`, which YAML and
    /// then the shell join) is not skipped by the byte scan: it declares a session.
    #[test]
    fn the_byte_scan_keeps_a_pipeline_command_cut_by_quotes() {
        let text =
            "job:\n  script:\n    - aws ec2 create-traffic-''mirror-session --session-number 0\n";
        assert!(super::could_declare_mirroring(text));
        let src = Arc::new(SourceFile::in_memory(".gitlab-ci.yml", text));
        let read = read_document(&src, &ReadOptions::default());
        assert_eq!(read.unit.map(|u| u.sessions.len()), Some(1));
    }

    /// A Serverless Framework service declares its resources under `resources.Resources`:
    /// they are checked, `${self:…}` read from the service file and any other variable
    /// unknown; a resource nested where no reader looks is an error at its type, never
    /// passed in silence; a text that only mentions the type is nothing to check.
    #[test]
    fn serverless_resources_are_read_and_a_resource_nested_elsewhere_is_reported() {
        let service = "service: s\ncustom:\n  n: 40000\nresources:\n  Resources:\n    A:\n      Type: AWS::EC2::TrafficMirrorSession\n      Properties:\n        SessionNumber: ${self:custom.n}\n        PacketLength: ${opt:length}\n";
        let src = Arc::new(SourceFile::in_memory("serverless.yml", service));
        let read = read_document(&src, &ReadOptions::default());
        let unit = read.unit.expect("the service's resources are read");
        let s = unit.sessions.first().expect("session");
        let first = super::first_value;
        assert_eq!(
            first(&s.session_number),
            Some(crate::model::Val::Known(serde_json::json!(40000)))
        );
        assert!(matches!(
            first(&s.packet_length),
            Some(crate::model::Val::Symbol { .. })
        ));

        let nested = "stages:\n  - template:\n      Resources:\n        S:\n          Type: AWS::EC2::TrafficMirrorTarget\n";
        let src = Arc::new(SourceFile::in_memory("pipeline.yaml", nested));
        let read = read_document(&src, &ReadOptions::default());
        assert!(read.unit.is_none());
        let e = read.errors.first().expect("reported");
        assert_eq!(e.position.map(|p| (p.line, p.column)), Some((5, 17)));
        assert!(e.message.contains("AWS::EC2::TrafficMirrorTarget"));

        let mention = "text: we use AWS::EC2::TrafficMirrorSession\n";
        let src = Arc::new(SourceFile::in_memory("notes.yaml", mention));
        let read = read_document(&src, &ReadOptions::default());
        assert!(read.unit.is_none() && read.errors.is_empty());
    }

    /// A Pulumi YAML program or a Kubernetes object (Crossplane, AWS Controllers for
    /// Kubernetes) that declares a traffic mirror resource is reported at its type, never
    /// passed in silence: mirrorguard reads neither. Other resources of those formats, and
    /// tokens that only look alike, are nothing to check.
    #[test]
    fn pulumi_and_kubernetes_mirror_resources_are_reported_not_skipped() {
        let error_at = |name: &str, text: &str| {
            let src = Arc::new(SourceFile::in_memory(name, text));
            let read = read_document(&src, &ReadOptions::default());
            assert!(read.unit.is_none());
            read.errors
                .first()
                .map(|e| (e.position.map(|p| (p.line, p.column)), e.message.clone()))
        };
        for ty in [
            "aws:ec2:TrafficMirrorSession",
            "aws:ec2/trafficMirrorFilterRule:TrafficMirrorFilterRule",
            "aws-native:ec2:TrafficMirrorTarget",
        ] {
            let program = format!(
                "name: m\nruntime: yaml\nresources:\n  b:\n    type: aws:s3:Bucket\n  s:\n    type: {ty}\n"
            );
            let (at, message) = error_at("Pulumi.yaml", &program).expect("reported");
            assert_eq!(at, Some((7, 11)), "{ty}");
            assert!(
                message.contains(ty) && message.contains("Pulumi"),
                "{message}"
            );
        }
        let object =
            "apiVersion: ec2.aws.upbound.io/v1beta1\nkind: TrafficMirrorSession\nspec: {}\n";
        let (at, message) = error_at("xp.yaml", object).expect("reported");
        assert_eq!(at, Some((2, 7)));
        assert!(message.contains("ec2.aws.upbound.io/v1beta1"), "{message}");
        for nothing in [
            "resources:\n  b:\n    type: aws:s3:Bucket\n",
            "resources:\n  t:\n    type: aws:ec2:TrafficMirrorTarget:extra\n",
            "kind: TrafficMirrorSession\n",
        ] {
            assert_eq!(error_at("x.yaml", nothing), None, "{nothing}");
        }
    }

    /// A large unit's input is built in parallel chunks, each numbering its locations from
    /// where a counting pass says the chunks before it end: it must be the input the serial
    /// loop builds, down to every `ref`, with
    /// conditions, tags, origins and a value as written that holds a `ref` key of its own.
    #[test]
    fn parallel_input_is_the_serial_input() {
        let text = super::sample_template(700);
        let src = Arc::new(SourceFile::in_memory("big.yaml", &text));
        let read = read_document(&src, &ReadOptions::default());
        let Some(unit) = read.unit else {
            panic!("the template declares sessions: {:?}", read.errors);
        };
        assert_eq!(unit.sessions.len(), 700);
        let links = unit.links();
        let serial = unit.input_built(&links, false);
        let parallel = unit.input_built(&links, true);
        assert!(
            serial.locs.len() > 700 * 5,
            "every session registers locations"
        );
        assert_eq!(parallel.locs, serial.locs);
        assert!(parallel.json == serial.json, "the same input JSON");
    }
}
