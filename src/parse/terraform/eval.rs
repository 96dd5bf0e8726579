//! The expression evaluator: literals, variables, locals, references, templates and
//! operators, each value with the place it came from.

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::Attribute;
use hcl_edit::template::{Element, Template};
use serde_json::{Map, Value as Json, json};

use super::MAX_EVAL_DEPTH;
use super::functions::{binary, collect_known, compact, empty_is_unknown, strip_parens};
use super::index::Index;
use super::span_of;
use crate::model::{Alt, Condition, FileId, Loc, Origin, RefKind, Reference, Val};

/// An evaluated expression: what is known, and where a literal came from when elsewhere.
#[derive(Debug, Clone)]
pub(crate) struct Ev {
    pub(crate) val: Val,
    pub(crate) origin: Option<Origin>,
}

impl Ev {
    pub(crate) fn known(v: Json) -> Self {
        Self {
            val: Val::Known(v),
            origin: None,
        }
    }
    pub(crate) fn unknown(why: impl Into<String>) -> Self {
        Self {
            val: Val::Unknown(why.into()),
            origin: None,
        }
    }
    pub(crate) fn symbol(expr: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            val: Val::Symbol {
                expr: expr.into(),
                why: why.into(),
            },
            origin: None,
        }
    }
    pub(crate) fn json(&self) -> Option<&Json> {
        match &self.val {
            Val::Known(j) => Some(j),
            _ => None,
        }
    }
    pub(crate) fn why(&self) -> String {
        match &self.val {
            Val::Symbol { why, .. } | Val::Unknown(why) => why.clone(),
            Val::Absent => "null".into(),
            Val::Known(_) => String::new(),
        }
    }
}

pub(crate) struct Evaluator<'i, 'a> {
    pub(crate) index: &'i Index<'a>,
    pub(crate) file: FileId,
    pub(crate) count_index: Option<Json>,
    pub(crate) each: Option<(Json, Json)>,
    pub(crate) depth: usize,
    pub(crate) refs: Vec<Reference>,
    /// Local values being evaluated (cycle guard).
    pub(crate) evaluating: Vec<String>,
}

impl<'i, 'a> Evaluator<'i, 'a> {
    pub(crate) fn new(index: &'i Index<'a>, file: FileId) -> Self {
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

    pub(crate) fn loc(&self, x: &impl hcl_edit::Span) -> Loc {
        self.index.locate(self.file, span_of(x))
    }

    /// The alternatives of an attribute's value: one per branch of a top-level conditional
    /// whose condition is unknown, otherwise one.
    pub(crate) fn alternatives(&mut self, attr: &Attribute) -> Vec<Alt> {
        let mut out = Vec::new();
        self.branches(&attr.value, Vec::new(), &mut out, 0);
        out
    }

    pub(crate) fn branches(
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

    pub(crate) fn eval(&mut self, expr: &Expression) -> Ev {
        if self.depth >= MAX_EVAL_DEPTH {
            return Ev::unknown("expression nested too deeply to evaluate");
        }
        self.depth += 1;
        let r = self.eval_inner(expr);
        self.depth -= 1;
        r
    }

    pub(crate) fn eval_inner(&mut self, expr: &Expression) -> Ev {
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

    pub(crate) fn template(&mut self, t: &Template, expr: &Expression) -> Ev {
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
    pub(crate) fn canonical(&mut self, expr: &Expression) -> String {
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

    pub(crate) fn reference(
        &mut self,
        expr: &Expression,
        kind: RefKind,
        name: &str,
        declared: bool,
    ) {
        self.refs.push(Reference {
            loc: self.loc(expr),
            kind,
            name: name.to_owned(),
            declared,
            session: None,
        });
    }

    pub(crate) fn traversal(&mut self, t: &hcl_edit::expr::Traversal, expr: &Expression) -> Ev {
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

    pub(crate) fn variable(&mut self, name: &str, expr: &Expression) -> Ev {
        let declared = self.index.variables.get(name).copied();
        if declared.is_none() && self.index.has_variables {
            self.reference(expr, RefKind::Variable, name, false);
        }
        let display = format!("var.{name}");
        if let Some((v, loc)) = self.index.tfvars.get(name) {
            return Ev {
                val: empty_is_unknown(v.clone(), &display),
                origin: Some(Origin::at(
                    *loc,
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
                origin: Some(Origin::at(loc, format!("default of {display}"))),
            },
            _ => Ev::symbol(display, v.why()),
        }
    }

    pub(crate) fn local(&mut self, name: &str, expr: &Expression) -> Ev {
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
                origin: Some(Origin::at(loc, format!("value of local.{name}"))),
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

    pub(crate) fn apply_ops(
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
}
