//! Terraform modules (a folder of `.tf` files) into the model.
//!
//! A module is evaluated as Terraform would before `plan`, as far as that is possible
//! without providers or state: variables take their value from `--var-file`, `*.auto.tfvars`,
//! `terraform.tfvars` or their `default`; `locals`, arithmetic, comparisons, conditionals,
//! string templates and common functions are evaluated; `count` and `for_each` are expanded
//! when they resolve. A reference to a resource, data source or module output is symbolic:
//! `aws_network_interface.src.id` names the same ENI wherever it is written. A conditional
//! whose condition is unknown gives one alternative per branch, like CloudFormation's `Fn::If`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Attribute, Block, Body};
use hcl_edit::template::{Element, Template};
use serde_json::{Map, Value as Json, json};

use crate::error::FileError;
use crate::model::{
    Alt, Condition, FileId, Format, Loc, Provider, RefKind, Reference, Session, TagItem, TagSet,
    Target, Unit, Val,
};
use crate::parse::cloudformation::numeric;
use crate::parse::json;
use crate::parse::tfjson::{self, Remap};
use crate::source::{SourceFile, Span};

/// Most instances one `count` or `for_each` is expanded to; larger ones are checked as one
/// symbolic instance.
const MAX_INSTANCES: usize = 1_000;
/// Deepest expression (and local-to-local) evaluation.
const MAX_EVAL_DEPTH: usize = 64;
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
                read_sessions(&index, &mut unit, file, block, provider, default_region);
            } else if TARGET_TYPES.contains(&ty.as_str()) {
                read_targets(&index, &mut unit, file, block);
            }
        }
    }
    unit
}

fn labels(block: &Block) -> [String; 2] {
    let mut it = block.labels.iter().map(|l| l.as_str().to_owned());
    [it.next().unwrap_or_default(), it.next().unwrap_or_default()]
}

fn span_of(x: &impl hcl_edit::Span) -> Span {
    x.span()
        .map_or(Span::default(), |r| Span::new(r.start, r.end))
}

/// Where findings about a whole block point: its labels.
fn block_span(block: &Block) -> Span {
    let first = block.labels.first().map(span_of);
    let last = block.labels.last().map(span_of);
    match (first, last) {
        (Some(a), Some(b)) => Span::new(a.start, b.end),
        _ => span_of(&block.ident),
    }
}

/// One instance of a resource: its address suffix and the values `count.index` / `each` take.
struct Instance {
    key: String,
    count_index: Option<Json>,
    each: Option<(Json, Json)>,
    conditions: Vec<Condition>,
}

fn instances(
    index: &Index<'_>,
    file: FileId,
    block: &Block,
    refs: &mut Vec<Reference>,
) -> Vec<Instance> {
    let single = |key: &str, conditions: Vec<Condition>| Instance {
        key: key.to_owned(),
        count_index: None,
        each: None,
        conditions,
    };
    if let Some(count) = block.body.get_attribute("count") {
        let mut ev = Evaluator::new(index, file);
        let v = ev.eval(&count.value);
        refs.append(&mut ev.refs);
        let text = compact(&count.value.to_string());
        return match v.val {
            Val::Known(Json::Number(n))
                if n.as_u64()
                    .is_some_and(|n| n > 0 && n as usize <= MAX_INSTANCES) =>
            {
                let n = n.as_u64().unwrap_or(0);
                (0..n)
                    .map(|i| Instance {
                        key: format!("[{i}]"),
                        count_index: Some(json!(i)),
                        each: None,
                        conditions: Vec::new(),
                    })
                    .collect()
            }
            Val::Known(Json::Number(n)) if n.as_u64() == Some(0) => vec![single(
                "[count.index]",
                vec![Condition::is(
                    format!(
                        "count = {text} is non-zero (it is 0 with the current variable values)"
                    ),
                    true,
                )],
            )],
            _ => vec![single(
                "[count.index]",
                vec![Condition::is(format!("count = {text} is non-zero"), true)],
            )],
        };
    }
    if let Some(for_each) = block.body.get_attribute("for_each") {
        let mut ev = Evaluator::new(index, file);
        let v = ev.eval(&for_each.value);
        refs.append(&mut ev.refs);
        let items: Option<Vec<(Json, Json)>> = match &v.val {
            Val::Known(Json::Object(m)) => {
                Some(m.iter().map(|(k, v)| (json!(k), v.clone())).collect())
            }
            Val::Known(Json::Array(a)) => Some(a.iter().map(|v| (v.clone(), v.clone())).collect()),
            _ => None,
        };
        if let Some(items) = items.filter(|i| !i.is_empty() && i.len() <= MAX_INSTANCES) {
            return items
                .into_iter()
                .map(|(k, v)| Instance {
                    key: format!("[{}]", k),
                    count_index: None,
                    each: Some((k, v)),
                    conditions: Vec::new(),
                })
                .collect();
        }
        let text = compact(&for_each.value.to_string());
        return vec![single(
            "[each.key]",
            vec![Condition::is(
                format!("for_each = {text} is non-empty"),
                true,
            )],
        )];
    }
    vec![single("", Vec::new())]
}

fn read_sessions(
    index: &Index<'_>,
    unit: &mut Unit,
    file: FileId,
    block: &Block,
    provider: Provider,
    default_region: Option<&str>,
) {
    let [ty, name] = labels(block);
    let loc = index.locate(file, block_span(block));
    let mut refs = Vec::new();
    let insts = instances(index, file, block, &mut refs);
    for r in &mut refs {
        r.session = Some(unit.sessions.len());
    }
    unit.references.append(&mut refs);
    for inst in insts {
        let session_index = unit.sessions.len();
        let mut s = Session::new(format!("{ty}.{name}{}", inst.key), &ty, provider, loc);
        s.conditions = inst.conditions;
        let mut ev = Evaluator::new(index, file);
        ev.count_index = inst.count_index;
        ev.each = inst.each;
        let body = &block.body;
        let field = |ev: &mut Evaluator<'_, '_>, key: &str| -> Vec<Alt> {
            body.get_attribute(key)
                .map(|a| ev.alternatives(a))
                .unwrap_or_default()
        };
        s.traffic_mirror_target_id = field(&mut ev, "traffic_mirror_target_id");
        s.traffic_mirror_filter_id = field(&mut ev, "traffic_mirror_filter_id");
        if provider == Provider::Alicloud {
            // priority is the session number; sources are a list (one per session in practice).
            s.session_number = numeric(field(&mut ev, "priority"));
            s.network_interface_id = body
                .get_attribute("traffic_mirror_source_ids")
                .map(|a| ev.list_items(a))
                .unwrap_or_default();
            s.target_type = field(&mut ev, "traffic_mirror_target_type");
            s.name = field(&mut ev, "traffic_mirror_session_name");
            s.region = index.region(&mut ev, body, default_region);
        } else {
            s.network_interface_id = field(&mut ev, "network_interface_id");
            s.session_number = numeric(field(&mut ev, "session_number"));
        }
        // The AWS provider sends packet_length only when it is non-zero: 0 means "not set".
        s.packet_length = numeric(field(&mut ev, "packet_length"))
            .into_iter()
            .map(|mut a| {
                if a.val == Val::Known(json!(0)) && provider == Provider::Aws {
                    a.val = Val::Absent;
                }
                a
            })
            .collect();
        s.virtual_network_id = numeric(field(&mut ev, "virtual_network_id"));
        s.description = field(
            &mut ev,
            if provider == Provider::Alicloud {
                "traffic_mirror_session_description"
            } else {
                "description"
            },
        );
        if let Some(tags) = body.get_attribute("tags") {
            s.tags = ev.tags(tags, provider);
        }
        for mut r in ev.refs.drain(..) {
            r.session = Some(session_index);
            unit.references.push(r);
        }
        unit.sessions.push(s);
    }
}

fn read_targets(index: &Index<'_>, unit: &mut Unit, file: FileId, block: &Block) {
    let [ty, name] = labels(block);
    let loc = index.locate(file, block_span(block));
    let mut refs = Vec::new();
    for inst in instances(index, file, block, &mut refs) {
        let mut ev = Evaluator::new(index, file);
        ev.count_index = inst.count_index;
        ev.each = inst.each;
        let eni = block
            .body
            .get_attribute("network_interface_id")
            .map(|a| ev.alternatives(a))
            .unwrap_or_default();
        let address = format!("{ty}.{name}{}", inst.key);
        unit.targets.push(Target {
            identities: vec![format!("{address}.id"), format!("{address}.arn")],
            address,
            loc,
            network_interface_id: eni,
        });
    }
}

/// What a module declares, for resolving references.
#[derive(Default)]
struct Index<'a> {
    variables: HashMap<String, (Option<&'a Expression>, FileId)>,
    has_variables: bool,
    locals: HashMap<String, (&'a Expression, FileId)>,
    declared: HashSet<String>,
    /// Span maps of files written in JSON syntax.
    remaps: HashMap<FileId, &'a Remap>,
    /// `provider` blocks by `name` or `name.alias`: the block's file and its `region`.
    providers: HashMap<String, (Option<&'a Expression>, FileId)>,
    /// `count` or `for_each` of each resource that has one: `length(aws_x.y)` is its size.
    repetition: HashMap<String, (&'a Attribute, FileId)>,
    tfvars: HashMap<String, (Json, Loc)>,
}

impl<'a> Index<'a> {
    /// The region of a resource's provider configuration: the `provider` block's `region`
    /// (through `provider = alicloud.alias`), else `--region`. Unknown regions keep the
    /// provider configuration as their identity: resources on one configuration share a region.
    fn region(
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
                        a.origin = Some((None, "--region".into()));
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
    fn locate(&self, file: FileId, span: Span) -> Loc {
        let span = self.remaps.get(&file).map_or(span, |r| r.map(span));
        Loc { file, span }
    }

    fn add(&mut self, file: FileId, body: &'a Body) {
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

/// An evaluated expression: what is known, and where a literal came from when elsewhere.
#[derive(Debug, Clone)]
struct Ev {
    val: Val,
    origin: Option<(Option<Loc>, String)>,
}

impl Ev {
    fn known(v: Json) -> Self {
        Self {
            val: Val::Known(v),
            origin: None,
        }
    }
    fn unknown(why: impl Into<String>) -> Self {
        Self {
            val: Val::Unknown(why.into()),
            origin: None,
        }
    }
    fn symbol(expr: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            val: Val::Symbol {
                expr: expr.into(),
                why: why.into(),
            },
            origin: None,
        }
    }
    fn json(&self) -> Option<&Json> {
        match &self.val {
            Val::Known(j) => Some(j),
            _ => None,
        }
    }
    fn why(&self) -> String {
        match &self.val {
            Val::Symbol { why, .. } | Val::Unknown(why) => why.clone(),
            Val::Absent => "null".into(),
            Val::Known(_) => String::new(),
        }
    }
}

struct Evaluator<'i, 'a> {
    index: &'i Index<'a>,
    file: FileId,
    count_index: Option<Json>,
    each: Option<(Json, Json)>,
    depth: usize,
    refs: Vec<Reference>,
    /// Local values being evaluated (cycle guard).
    evaluating: Vec<String>,
}

impl<'i, 'a> Evaluator<'i, 'a> {
    fn new(index: &'i Index<'a>, file: FileId) -> Self {
        Self {
            index,
            file,
            count_index: None,
            each: None,
            depth: 0,
            refs: Vec::new(),
            evaluating: Vec::new(),
        }
    }

    fn loc(&self, x: &impl hcl_edit::Span) -> Loc {
        self.index.locate(self.file, span_of(x))
    }

    /// The alternatives of an attribute's value: one per branch of a top-level conditional
    /// whose condition is unknown, otherwise one.
    fn alternatives(&mut self, attr: &Attribute) -> Vec<Alt> {
        let mut out = Vec::new();
        self.branches(&attr.value, Vec::new(), &mut out, 0);
        out
    }

    fn branches(
        &mut self,
        expr: &Expression,
        when: Vec<Condition>,
        out: &mut Vec<Alt>,
        depth: usize,
    ) {
        let expr = strip_parens(expr);
        if let Expression::Conditional(c) = expr {
            let cond = self.eval(&c.cond_expr);
            if depth < 4 && !matches!(cond.val, Val::Known(Json::Bool(_))) {
                let name = compact(&c.cond_expr.to_string());
                for (branch, value) in [(&c.true_expr, true), (&c.false_expr, false)] {
                    let mut w = when.clone();
                    w.push(Condition::is(name.clone(), value));
                    self.branches(branch, w, out, depth + 1);
                }
                return;
            }
        }
        let ev = self.eval(expr);
        let mut val = ev.val;
        if matches!(val, Val::Known(Json::Null)) {
            val = Val::Absent;
        }
        out.push(Alt {
            loc: self.loc(expr),
            when,
            val,
            origin: ev.origin,
        });
    }

    fn eval(&mut self, expr: &Expression) -> Ev {
        if self.depth >= MAX_EVAL_DEPTH {
            return Ev::unknown("expression nested too deeply to evaluate");
        }
        self.depth += 1;
        let r = self.eval_inner(expr);
        self.depth -= 1;
        r
    }

    fn eval_inner(&mut self, expr: &Expression) -> Ev {
        match expr {
            Expression::Null(_) => Ev::known(Json::Null),
            Expression::Bool(b) => Ev::known(json!(*b.value())),
            Expression::Number(n) => {
                let n = n.value();
                match (n.as_i64(), n.as_f64()) {
                    (Some(i), _) => Ev::known(json!(i)),
                    (None, Some(f)) => Ev::known(json!(f)),
                    _ => Ev::unknown("number out of range"),
                }
            }
            Expression::String(s) => Ev::known(json!(s.value())),
            Expression::Array(a) => {
                let items: Vec<Ev> = a.iter().map(|e| self.eval(e)).collect();
                collect_known(items).map_or_else(Ev::unknown, |v| Ev::known(Json::Array(v)))
            }
            Expression::Object(o) => {
                let mut map = Map::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => Some(i.as_str().to_owned()),
                        ObjectKey::Expression(e) => match self.eval(e).val {
                            Val::Known(Json::String(s)) => Some(s),
                            Val::Known(j) => Some(j.to_string()),
                            _ => None,
                        },
                    };
                    let value = self.eval(v.expr());
                    match (key, value.val) {
                        (Some(k), Val::Known(j)) => {
                            map.insert(k, j);
                        }
                        (_, other) => {
                            return Ev::unknown(match other {
                                Val::Symbol { why, .. } | Val::Unknown(why) => why,
                                _ => "object key is not known".into(),
                            });
                        }
                    }
                }
                Ev::known(Json::Object(map))
            }
            Expression::StringTemplate(t) => self.template(t, expr),
            Expression::HeredocTemplate(h) => self.template(&h.template, expr),
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Variable(v) => {
                let name = v.as_str();
                Ev::symbol(
                    name,
                    format!("{name} is not a value mirrorguard can evaluate"),
                )
            }
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr);
                match cond.json() {
                    Some(Json::Bool(true)) => self.eval(&c.true_expr),
                    Some(Json::Bool(false)) => self.eval(&c.false_expr),
                    _ => {
                        let a = self.eval(&c.true_expr);
                        let b = self.eval(&c.false_expr);
                        match (a.json(), b.json()) {
                            (Some(x), Some(y)) if x == y => a,
                            _ => Ev::unknown(format!(
                                "depends on {}",
                                compact(&c.cond_expr.to_string())
                            )),
                        }
                    }
                }
            }
            Expression::FuncCall(f) => self.call(f, expr),
            Expression::Traversal(t) => self.traversal(t, expr),
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr);
                match (u.operator.value(), v.json()) {
                    (UnaryOperator::Neg, Some(Json::Number(n))) => n
                        .as_i64()
                        .map(|i| Ev::known(json!(-i)))
                        .or_else(|| n.as_f64().map(|f| Ev::known(json!(-f))))
                        .unwrap_or_else(|| Ev::unknown("bad number")),
                    (UnaryOperator::Not, Some(Json::Bool(b))) => Ev::known(json!(!b)),
                    _ => Ev::unknown(v.why()),
                }
            }
            Expression::BinaryOp(b) => {
                let l = self.eval(&b.lhs_expr);
                let r = self.eval(&b.rhs_expr);
                binary(*b.operator.value(), &l, &r)
            }
            Expression::ForExpr(_) => Ev::unknown("for expressions are not evaluated"),
        }
    }

    fn template(&mut self, t: &Template, expr: &Expression) -> Ev {
        let mut out = String::new();
        let mut why = None;
        for el in t.iter() {
            match el {
                Element::Literal(l) => out.push_str(l.value()),
                Element::Interpolation(i) => {
                    let v = self.eval(&i.expr);
                    match v.json() {
                        Some(Json::String(s)) => out.push_str(s),
                        Some(Json::Number(n)) => out.push_str(&n.to_string()),
                        Some(Json::Bool(b)) => out.push_str(&b.to_string()),
                        _ => {
                            why.get_or_insert_with(|| v.why());
                        }
                    }
                }
                Element::Directive(_) => {
                    why.get_or_insert_with(|| "template directives are not evaluated".into());
                }
            }
        }
        match why {
            None => Ev::known(json!(out)),
            Some(why) => Ev::symbol(self.canonical(expr), why),
        }
    }

    /// A canonical text for an expression, with indexes evaluated where known.
    fn canonical(&mut self, expr: &Expression) -> String {
        match expr {
            Expression::Traversal(t) => {
                let mut s = self.canonical(&t.expr);
                for op in &t.operators {
                    match op.value() {
                        TraversalOperator::GetAttr(i) => {
                            s.push('.');
                            s.push_str(i.as_str());
                        }
                        TraversalOperator::Index(e) => {
                            let v = self.eval(e);
                            match v.json() {
                                Some(j) => s.push_str(&format!("[{j}]")),
                                None => s.push_str(&format!("[{}]", self.canonical(e))),
                            }
                        }
                        TraversalOperator::LegacyIndex(i) => {
                            s.push_str(&format!("[{}]", i.value()))
                        }
                        TraversalOperator::AttrSplat(_) => s.push_str(".*"),
                        TraversalOperator::FullSplat(_) => s.push_str("[*]"),
                    }
                }
                s
            }
            Expression::Variable(v) => v.as_str().to_owned(),
            other => compact(&other.to_string()),
        }
    }

    fn reference(&mut self, expr: &Expression, kind: RefKind, name: &str, declared: bool) {
        self.refs.push(Reference {
            loc: self.loc(expr),
            kind,
            name: name.to_owned(),
            declared,
            session: None,
        });
    }

    fn traversal(&mut self, t: &hcl_edit::expr::Traversal, expr: &Expression) -> Ev {
        let Expression::Variable(root) = &t.expr else {
            let base = self.eval(&t.expr);
            return self.apply_ops(base, &t.operators, expr);
        };
        let root = root.as_str();
        let first_attr = match t.operators.first().map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(i)) => Some(i.as_str().to_owned()),
            _ => None,
        };
        let rest = t.operators.get(1..).unwrap_or(&[]);
        match (root, first_attr) {
            ("var", Some(name)) => {
                let base = self.variable(&name, expr);
                self.apply_ops(base, rest, expr)
            }
            ("local", Some(name)) => {
                let base = self.local(&name, expr);
                self.apply_ops(base, rest, expr)
            }
            ("count", Some(attr)) if attr == "index" => match &self.count_index {
                Some(i) => {
                    let base = Ev::known(i.clone());
                    self.apply_ops(base, rest, expr)
                }
                None => Ev::symbol(
                    "count.index",
                    "count.index depends on a count that is not known",
                ),
            },
            ("each", Some(attr)) => {
                let base = match (&self.each, attr.as_str()) {
                    (Some((k, _)), "key") => Ev::known(k.clone()),
                    (Some((_, v)), "value") => Ev::known(v.clone()),
                    _ => Ev::symbol(format!("each.{attr}"), "for_each is not known"),
                };
                self.apply_ops(base, rest, expr)
            }
            ("path" | "terraform" | "self", _) => Ev::symbol(
                self.canonical(expr),
                format!("{root}.* is known only to Terraform"),
            ),
            ("data", Some(ty)) => {
                let name = match rest.first().map(|o| o.value()) {
                    Some(TraversalOperator::GetAttr(i)) => i.as_str().to_owned(),
                    _ => String::new(),
                };
                let full = format!("data.{ty}.{name}");
                let declared = self.index.declared.contains(&full);
                self.reference(expr, RefKind::Resource, &full, declared);
                Ev::symbol(self.canonical(expr), format!("{full} is read at plan time"))
            }
            ("module", Some(name)) => {
                let full = format!("module.{name}");
                let declared = self.index.declared.contains(&full);
                self.reference(expr, RefKind::Resource, &full, declared);
                Ev::symbol(
                    self.canonical(expr),
                    format!("{full} outputs are known only after apply"),
                )
            }
            (ty, Some(name)) if ty.contains('_') => {
                let full = format!("{ty}.{name}");
                let declared = self.index.declared.contains(&full);
                self.reference(expr, RefKind::Resource, &full, declared);
                Ev::symbol(
                    self.canonical(expr),
                    format!("{full} is known only after apply"),
                )
            }
            _ => Ev::symbol(self.canonical(expr), "not a value mirrorguard can evaluate"),
        }
    }

    fn variable(&mut self, name: &str, expr: &Expression) -> Ev {
        let declared = self.index.variables.get(name).copied();
        if declared.is_none() && self.index.has_variables {
            self.reference(expr, RefKind::Variable, name, false);
        }
        let display = format!("var.{name}");
        if let Some((v, loc)) = self.index.tfvars.get(name) {
            return Ev {
                val: empty_is_unknown(v.clone(), &display),
                origin: Some((
                    Some(*loc),
                    format!("value of {display} from a variables file"),
                )),
            };
        }
        let Some((default, file)) = declared else {
            return Ev::symbol(
                display.clone(),
                format!("{display} is not declared in this module (its value comes from outside)"),
            );
        };
        let Some(default) = default else {
            return Ev::symbol(
                display.clone(),
                format!("{display} has no default and no value in a variables file"),
            );
        };
        let saved = self.file;
        self.file = file;
        let v = self.eval(default);
        let loc = self.loc(default);
        self.file = saved;
        match v.val {
            Val::Known(j) => Ev {
                val: empty_is_unknown(j, &display),
                origin: Some((Some(loc), format!("default of {display}"))),
            },
            _ => Ev::symbol(display, v.why()),
        }
    }

    fn local(&mut self, name: &str, expr: &Expression) -> Ev {
        let Some(&(value, file)) = self.index.locals.get(name) else {
            self.reference(expr, RefKind::Local, name, false);
            return Ev::symbol(
                format!("local.{name}"),
                format!("local.{name} is not declared"),
            );
        };
        if self.evaluating.iter().any(|n| n == name) {
            return Ev::unknown(format!("local.{name} refers to itself"));
        }
        self.evaluating.push(name.to_owned());
        let saved = self.file;
        self.file = file;
        let v = self.eval(value);
        let loc = self.loc(value);
        self.file = saved;
        self.evaluating.pop();
        match v.val {
            Val::Known(j) => Ev {
                val: Val::Known(j),
                origin: Some((Some(loc), format!("value of local.{name}"))),
            },
            Val::Symbol { expr, why } => Ev {
                val: Val::Symbol { expr, why },
                origin: None,
            },
            other => Ev {
                val: other,
                origin: None,
            },
        }
    }

    fn apply_ops(
        &mut self,
        base: Ev,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        expr: &Expression,
    ) -> Ev {
        if ops.is_empty() {
            return base;
        }
        let Val::Known(mut cur) = base.val else {
            return match base.val {
                Val::Symbol { why, .. } => Ev::symbol(self.canonical(expr), why),
                other => Ev {
                    val: other,
                    origin: None,
                },
            };
        };
        for op in ops {
            let next = match op.value() {
                TraversalOperator::GetAttr(i) => cur.get(i.as_str()).cloned(),
                TraversalOperator::Index(e) => {
                    let k = self.eval(e);
                    match (k.json(), &cur) {
                        (Some(Json::Number(n)), Json::Array(a)) => {
                            n.as_u64().and_then(|i| a.get(i as usize)).cloned()
                        }
                        (Some(Json::String(s)), Json::Object(m)) => m.get(s).cloned(),
                        (Some(Json::String(s)), Json::Array(a)) => {
                            s.parse::<usize>().ok().and_then(|i| a.get(i)).cloned()
                        }
                        _ => return Ev::symbol(self.canonical(expr), k.why()),
                    }
                }
                TraversalOperator::LegacyIndex(i) => cur.get(*i.value() as usize).cloned(),
                _ => return Ev::unknown("splat expressions are not evaluated"),
            };
            match next {
                Some(n) => cur = n,
                None => {
                    return Ev::unknown(format!("{} does not exist", compact(&expr.to_string())));
                }
            }
        }
        Ev {
            val: Val::Known(cur),
            origin: base.origin,
        }
    }

    fn call(&mut self, f: &hcl_edit::expr::FuncCall, expr: &Expression) -> Ev {
        let name = f.name.name.as_str();
        if name == "length"
            && f.args.len() == 1
            && let Some(n) = f.args.iter().next().and_then(|a| self.instance_count(a))
        {
            return Ev::known(json!(n));
        }
        let args: Vec<Ev> = f.args.iter().map(|a| self.eval(a)).collect();
        if name == "try" || name == "coalesce" {
            for a in &args {
                match a.json() {
                    Some(Json::Null) => {}
                    Some(Json::String(s)) if name == "coalesce" && s.is_empty() => {}
                    Some(_) => return a.clone(),
                    None if name == "try" => {}
                    None => return Ev::unknown(a.why()),
                }
            }
            return Ev::unknown(format!("{name}() has no known argument"));
        }
        let known: Result<Vec<Json>, String> = collect_known(args);
        let args = match known {
            Ok(a) => a,
            Err(why) => return Ev::symbol(self.canonical(expr), why),
        };
        call_function(name, &args).unwrap_or_else(|| {
            Ev::unknown(format!("function {name}() is not evaluated by mirrorguard"))
        })
    }

    /// The number of instances of a resource named by a bare `type.name` reference, when its
    /// `count` or `for_each` resolves (`length(aws_network_interface.app)`).
    fn instance_count(&mut self, arg: &Expression) -> Option<usize> {
        let Expression::Traversal(t) = strip_parens(arg) else {
            return None;
        };
        let Expression::Variable(root) = &t.expr else {
            return None;
        };
        let [op] = t.operators.as_slice() else {
            return None;
        };
        let TraversalOperator::GetAttr(name) = op.value() else {
            return None;
        };
        let full = format!("{}.{}", root.as_str(), name.as_str());
        let &(attr, file) = self.index.repetition.get(&full)?;
        if self.evaluating.contains(&full) {
            return None;
        }
        self.evaluating.push(full);
        let saved = self.file;
        self.file = file;
        let v = self.eval(&attr.value);
        self.file = saved;
        self.evaluating.pop();
        let n = match v.json()? {
            Json::Number(n) if attr.key.as_str() == "count" => usize::try_from(n.as_u64()?).ok()?,
            Json::Object(m) if attr.key.as_str() == "for_each" => m.len(),
            Json::Array(a) if attr.key.as_str() == "for_each" => a.len(),
            _ => return None,
        };
        self.reference(
            arg,
            RefKind::Resource,
            &format!("{}.{}", root.as_str(), name.as_str()),
            true,
        );
        Some(n)
    }

    /// The items of a list attribute (`traffic_mirror_source_ids = [a, b]`) as alternatives,
    /// each at its own span; a list that does not resolve is one unknown alternative.
    fn list_items(&mut self, attr: &Attribute) -> Vec<Alt> {
        let expr = strip_parens(&attr.value);
        if let Expression::Array(items) = expr {
            return items
                .iter()
                .map(|item| {
                    let ev = self.eval(item);
                    Alt {
                        val: ev.val,
                        origin: ev.origin,
                        ..Alt::unknown(self.loc(item), "")
                    }
                })
                .collect();
        }
        let ev = self.eval(expr);
        let loc = self.loc(expr);
        match ev.val {
            Val::Known(Json::Array(items)) => {
                items.into_iter().map(|v| Alt::known(loc, v)).collect()
            }
            Val::Known(other) => vec![Alt::known(loc, other)],
            other => vec![Alt {
                val: other,
                origin: None,
                ..Alt::unknown(loc, "")
            }],
        }
    }

    /// The tag sets of a `tags` attribute: per-tag spans when it is an object literal.
    fn tags(&mut self, attr: &Attribute, provider: Provider) -> Vec<TagSet> {
        let expr = strip_parens(&attr.value);
        let here = self.loc(expr);
        let mut items = Vec::new();
        match (expr, provider) {
            (Expression::Object(o), _) => {
                for (k, v) in o.iter() {
                    let (key_loc, key) = match k {
                        ObjectKey::Ident(i) => (self.loc(i), Val::Known(json!(i.as_str()))),
                        ObjectKey::Expression(e) => (self.loc(e), self.eval(e).val),
                    };
                    let value = self.eval(v.expr());
                    let value_loc = self.loc(v.expr());
                    items.push(TagItem {
                        loc: Loc {
                            file: self.file,
                            span: Span::new(key_loc.span.start, value_loc.span.end),
                        },
                        key: Alt {
                            val: key,
                            ..Alt::unknown(key_loc, "")
                        },
                        value: Alt {
                            val: value.val,
                            origin: value.origin,
                            ..Alt::unknown(value_loc, "")
                        },
                    });
                }
            }
            (Expression::Array(a), Provider::Awscc) => {
                for item in a.iter() {
                    let Expression::Object(o) = strip_parens(item) else {
                        continue;
                    };
                    let mut key = None;
                    let mut value = None;
                    for (k, v) in o.iter() {
                        let kname = match k {
                            ObjectKey::Ident(i) => i.as_str().to_owned(),
                            ObjectKey::Expression(e) => {
                                compact(&e.to_string()).trim_matches('"').to_owned()
                            }
                        };
                        let ev = self.eval(v.expr());
                        let alt = Alt {
                            val: ev.val,
                            origin: ev.origin,
                            ..Alt::unknown(self.loc(v.expr()), "")
                        };
                        match kname.as_str() {
                            "key" => key = Some(alt),
                            "value" => value = Some(alt),
                            _ => {}
                        }
                    }
                    if let (Some(key), Some(value)) = (key, value) {
                        items.push(TagItem {
                            loc: self.loc(item),
                            key,
                            value,
                        });
                    }
                }
            }
            _ => {
                let v = self.eval(expr);
                match v.val {
                    Val::Known(Json::Object(m)) => {
                        for (k, val) in m {
                            items.push(TagItem {
                                loc: here,
                                key: Alt::known(here, json!(k)),
                                value: Alt::known(here, val),
                            });
                        }
                    }
                    Val::Known(Json::Null) => return Vec::new(),
                    other => {
                        let why = match other {
                            Val::Symbol { why, .. } | Val::Unknown(why) => why,
                            _ => "tags are not a map".into(),
                        };
                        return vec![TagSet {
                            loc: here,
                            when: Vec::new(),
                            items: None,
                            why,
                        }];
                    }
                }
            }
        }
        vec![TagSet {
            loc: here,
            when: Vec::new(),
            items: Some(items),
            why: String::new(),
        }]
    }
}

fn strip_parens(expr: &Expression) -> &Expression {
    let mut e = expr;
    while let Expression::Parenthesis(p) = e {
        e = p.inner();
    }
    e
}

/// An empty string or null from a variable is the caller's to set: unknown, not a violation.
fn empty_is_unknown(v: Json, display: &str) -> Val {
    match &v {
        Json::String(s) if s.is_empty() => Val::Symbol {
            expr: display.to_owned(),
            why: format!("{display} is empty by default; the caller sets it"),
        },
        Json::Null => Val::Symbol {
            expr: display.to_owned(),
            why: format!("{display} is null by default; the caller sets it"),
        },
        _ => Val::Known(v),
    }
}

fn collect_known(items: Vec<Ev>) -> Result<Vec<Json>, String> {
    items
        .into_iter()
        .map(|e| match e.val {
            Val::Known(j) => Ok(j),
            Val::Absent => Ok(Json::Null),
            Val::Symbol { why, .. } | Val::Unknown(why) => Err(why),
        })
        .collect()
}

/// Collapses whitespace so an expression reads on one line in messages.
pub(crate) fn compact(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn as_f64(j: &Json) -> Option<f64> {
    match j {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn number(f: f64) -> Json {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        #[expect(clippy::cast_possible_truncation, reason = "integral and in range")]
        let i = f as i64;
        json!(i)
    } else {
        json!(f)
    }
}

fn binary(op: BinaryOperator, l: &Ev, r: &Ev) -> Ev {
    let (Some(a), Some(b)) = (l.json(), r.json()) else {
        let why = if l.json().is_none() { l.why() } else { r.why() };
        return Ev::unknown(why);
    };
    use BinaryOperator as B;
    let num = |f: fn(f64, f64) -> Option<f64>| match (as_f64(a), as_f64(b)) {
        (Some(x), Some(y)) => {
            f(x, y).map_or_else(|| Ev::unknown("arithmetic error"), |v| Ev::known(number(v)))
        }
        _ => Ev::unknown("arithmetic on a value that is not a number"),
    };
    let cmp = |f: fn(f64, f64) -> bool| match (as_f64(a), as_f64(b)) {
        (Some(x), Some(y)) => Ev::known(json!(f(x, y))),
        _ => Ev::unknown("comparison of values that are not numbers"),
    };
    match op {
        B::Plus => num(|x, y| Some(x + y)),
        B::Minus => num(|x, y| Some(x - y)),
        B::Mul => num(|x, y| Some(x * y)),
        B::Div => num(|x, y| if y == 0.0 { None } else { Some(x / y) }),
        B::Mod => num(|x, y| if y == 0.0 { None } else { Some(x % y) }),
        B::Eq => Ev::known(json!(loose_eq(a, b))),
        B::NotEq => Ev::known(json!(!loose_eq(a, b))),
        B::Less => cmp(|x, y| x < y),
        B::LessEq => cmp(|x, y| x <= y),
        B::Greater => cmp(|x, y| x > y),
        B::GreaterEq => cmp(|x, y| x >= y),
        B::And => match (a, b) {
            (Json::Bool(x), Json::Bool(y)) => Ev::known(json!(*x && *y)),
            _ => Ev::unknown("&& on values that are not booleans"),
        },
        B::Or => match (a, b) {
            (Json::Bool(x), Json::Bool(y)) => Ev::known(json!(*x || *y)),
            _ => Ev::unknown("|| on values that are not booleans"),
        },
    }
}

fn loose_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn text_of(j: &Json) -> Option<String> {
    match j {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Terraform's built-in functions that matter for session values.
fn call_function(name: &str, args: &[Json]) -> Option<Ev> {
    let a0 = args.first();
    let a1 = args.get(1);
    let v = match name {
        "length" => match a0? {
            Json::Array(a) => json!(a.len()),
            Json::Object(m) => json!(m.len()),
            Json::String(s) => json!(s.chars().count()),
            _ => return None,
        },
        "tonumber" => number(as_f64(a0?)?),
        "tostring" => json!(text_of(a0?)?),
        "tobool" => match a0? {
            Json::Bool(b) => json!(b),
            Json::String(s) if s == "true" => json!(true),
            Json::String(s) if s == "false" => json!(false),
            _ => return None,
        },
        "tolist" | "toset" => match a0? {
            Json::Array(a) => Json::Array(a.clone()),
            _ => return None,
        },
        "tomap" => a0?.clone(),
        "upper" => json!(text_of(a0?)?.to_uppercase()),
        "lower" => json!(text_of(a0?)?.to_lowercase()),
        "trimspace" => json!(text_of(a0?)?.trim()),
        "abs" => number(as_f64(a0?)?.abs()),
        "floor" => number(as_f64(a0?)?.floor()),
        "ceil" => number(as_f64(a0?)?.ceil()),
        "min" | "max" => {
            let nums: Option<Vec<f64>> = args.iter().map(as_f64).collect();
            let nums = nums?;
            let first = *nums.first()?;
            let r = nums.iter().fold(first, |acc, &x| {
                if name == "min" {
                    acc.min(x)
                } else {
                    acc.max(x)
                }
            });
            number(r)
        }
        "element" => {
            let list = a0?.as_array()?;
            let i = as_f64(a1?)? as usize;
            if list.is_empty() {
                return None;
            }
            list.get(i % list.len())?.clone()
        }
        "index" => {
            let list = a0?.as_array()?;
            let needle = a1?;
            json!(list.iter().position(|x| x == needle)?)
        }
        "lookup" => {
            let m = a0?.as_object()?;
            match m.get(&text_of(a1?)?) {
                Some(v) => v.clone(),
                None => args.get(2)?.clone(),
            }
        }
        "concat" => {
            let mut out = Vec::new();
            for a in args {
                out.extend(a.as_array()?.iter().cloned());
            }
            Json::Array(out)
        }
        "merge" => {
            let mut out = Map::new();
            for a in args {
                match a {
                    Json::Object(m) => out.extend(m.clone()),
                    Json::Null => {}
                    _ => return None,
                }
            }
            Json::Object(out)
        }
        "keys" => Json::Array(a0?.as_object()?.keys().map(|k| json!(k)).collect()),
        "values" => Json::Array(a0?.as_object()?.values().cloned().collect()),
        "contains" => json!(a0?.as_array()?.contains(a1?)),
        "join" => {
            let sep = text_of(a0?)?;
            let parts: Option<Vec<String>> = args
                .get(1..)?
                .iter()
                .flat_map(|l| l.as_array().cloned().unwrap_or_default())
                .map(|x| text_of(&x))
                .collect();
            json!(parts?.join(&sep))
        }
        "split" => {
            let sep = text_of(a0?)?;
            json!(text_of(a1?)?.split(sep.as_str()).collect::<Vec<_>>())
        }
        "format" => {
            let fmt = text_of(a0?)?;
            let mut out = String::new();
            let mut rest = args.get(1..)?.iter();
            let mut chars = fmt.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '%' {
                    match chars.next()? {
                        '%' => out.push('%'),
                        's' | 'd' | 'v' => out.push_str(&text_of(rest.next()?)?),
                        _ => return None,
                    }
                } else {
                    out.push(c);
                }
            }
            json!(out)
        }
        "range" => {
            let (start, end) = match (a0.and_then(as_f64), a1.and_then(as_f64)) {
                (Some(s), Some(e)) => (s, e),
                (Some(e), None) => (0.0, e),
                _ => return None,
            };
            let n = (end - start).max(0.0) as usize;
            if n > MAX_INSTANCES {
                return None;
            }
            Json::Array((0..n).map(|i| number(start + i as f64)).collect())
        }
        "zipmap" => {
            let ks = a0?.as_array()?;
            let vs = a1?.as_array()?;
            let mut m = Map::new();
            for (k, v) in ks.iter().zip(vs) {
                m.insert(text_of(k)?, v.clone());
            }
            Json::Object(m)
        }
        _ => return None,
    };
    Some(Ev::known(v))
}

/// Variable values from a `.tfvars` file that are used as `--var-file` or auto-loaded.
pub(crate) fn is_tfvars(name: &str) -> bool {
    let name = name.strip_suffix(".json").unwrap_or(name);
    name == "terraform.tfvars" || name.ends_with(".auto.tfvars")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(files: &[(&str, &str)]) -> Unit {
        let parsed: Vec<ParsedFile> = files
            .iter()
            .map(|(name, text)| {
                let source = Arc::new(SourceFile::in_memory(name, text));
                parse_file(&source).expect("parses")
            })
            .collect();
        read_module("m".into(), &parsed, &[], None)
    }

    #[test]
    fn variables_locals_and_arithmetic_resolve_with_origin() {
        let u = module(&[(
            "main.tf",
            "variable \"base\" {\n  default = 40\n}\nlocals {\n  n = var.base * 1000\n}\nresource \"aws_ec2_traffic_mirror_session\" \"s\" {\n  session_number = local.n + 1\n  packet_length  = \"1024\"\n  network_interface_id = aws_network_interface.src.id\n}\n",
        )]);
        let s = u.sessions.first().expect("session");
        assert_eq!(
            s.session_number.first().map(|a| a.val.clone()),
            Some(Val::Known(json!(40001)))
        );
        assert_eq!(
            s.packet_length.first().map(|a| a.val.clone()),
            Some(Val::Known(json!(1024)))
        );
        assert!(
            matches!(&s.network_interface_id.first().map(|a| &a.val), Some(Val::Symbol { expr, .. }) if expr == "aws_network_interface.src.id")
        );
        // The reference to an undeclared resource is recorded.
        assert!(
            u.references
                .iter()
                .any(|r| r.name == "aws_network_interface.src" && !r.declared)
        );
    }

    #[test]
    fn count_expands_with_known_index() {
        let u = module(&[(
            "main.tf",
            "resource \"aws_ec2_traffic_mirror_session\" \"s\" {\n  count = 2\n  session_number = count.index + 1\n  network_interface_id = var.enis[count.index]\n}\n",
        )]);
        assert_eq!(u.sessions.len(), 2);
        let addrs: Vec<&str> = u.sessions.iter().map(|s| s.address.as_str()).collect();
        assert_eq!(
            addrs,
            [
                "aws_ec2_traffic_mirror_session.s[0]",
                "aws_ec2_traffic_mirror_session.s[1]"
            ]
        );
        let enis: Vec<Option<String>> = u
            .sessions
            .iter()
            .map(|s| {
                s.network_interface_id
                    .first()
                    .and_then(|a| crate::model::identity(&a.val))
            })
            .collect();
        assert_eq!(
            enis,
            [
                Some("ref:var.enis[0]".into()),
                Some("ref:var.enis[1]".into())
            ]
        );
    }

    #[test]
    fn unknown_conditional_gives_both_branches() {
        let u = module(&[(
            "main.tf",
            "resource \"aws_ec2_traffic_mirror_session\" \"s\" {\n  session_number = var.prod ? 40000 : 1\n}\n",
        )]);
        let s = u.sessions.first().expect("session");
        assert_eq!(s.session_number.len(), 2);
        assert_eq!(
            s.session_number.first().map(|a| a.when.clone()),
            Some(vec![Condition::is("var.prod", true)])
        );
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let src = Arc::new(SourceFile::in_memory(
            "bad.tf",
            "resource \"a\" \"b\" {\n  x = \n}\n",
        ));
        let err = parse_file(&src).expect_err("error");
        assert_eq!(err.line, 2);
    }
}
