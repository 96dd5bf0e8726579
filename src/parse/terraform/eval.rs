//! The expression evaluator: literals, variables, locals, references, templates and
//! operators, each value with the place it came from.
//!
//! A reference whose value is not known (a resource attribute, a variable without a value)
//! is *symbolic*: its identity is a canonical text, qualified by the module instance it is
//! declared in, so `aws_network_interface.src.id` names the same interface wherever it is
//! written, and two instances of one module never share what each declares. A list or map
//! may hold symbolic items (`[aws_instance.a.primary_network_interface_id]`): they are kept
//! as marker objects, so that `length()` and indexing still work.

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::Attribute;
use hcl_edit::template::{Element, Template};
use serde_json::{Map, Value as Json, json};

use super::MAX_EVAL_DEPTH;
use super::functions::{binary, compact, strip_parens};
use super::index::Index;
use super::scope::Scope;
use super::span_of;
use crate::model::{Alt, Condition, FileId, Loc, Origin, RefKind, Reference, Val};

/// The key of a symbolic item inside a known list or map.
const MARKER: &str = "$mirrorguard:symbol";

/// A symbolic value as an item of a known list or map.
pub(crate) fn marker(expr: &str, why: &str) -> Json {
    json!({ MARKER: expr, "why": why })
}

/// The symbol a marker item stands for.
pub(crate) fn as_marker(j: &Json) -> Option<(&str, &str)> {
    let m = j.as_object()?;
    let expr = m.get(MARKER)?.as_str()?;
    Some((expr, m.get("why").and_then(Json::as_str).unwrap_or("")))
}

/// Whether a value holds a symbolic item anywhere.
pub(crate) fn has_marker(j: &Json) -> bool {
    match j {
        Json::Object(m) => m.contains_key(MARKER) || m.values().any(has_marker),
        Json::Array(a) => a.iter().any(has_marker),
        _ => false,
    }
}

/// Whether a canonical text reads `each` (`each.value`, `"${each.key}"`), not a name that
/// only ends in it (`var.each`, `reach.x`).
pub(super) fn reads_each(text: &str) -> bool {
    text.match_indices("each.").any(|(i, _)| {
        !text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
    })
}

/// What `each` is in the block being read.
#[derive(Debug, Clone, Default)]
pub(crate) enum Each {
    /// The block has no `for_each`.
    #[default]
    None,
    /// One instance: its key and value.
    Item(Json, Json),
    /// The one symbolic instance of a `for_each` whose items are not known (its text):
    /// `each` is an item of that collection, never of another.
    Of(String),
}

/// An evaluated expression: what is known, and where a literal came from when elsewhere.
#[derive(Debug, Clone)]
pub(crate) struct Ev {
    pub(crate) val: Val,
    pub(crate) origin: Option<Origin>,
    /// Where the value is written when that is a call argument of a module instance: the
    /// finding points there, and at the use inside the module as a related place.
    pub(crate) at: Option<Loc>,
    /// Whether evaluating the expression is an error in Terraform (an attribute or index
    /// that a known value does not have): `try()` moves on to its next argument only then.
    /// An unknown value is not an error: `try(module.m.id, "")` is the module's output.
    pub(crate) failed: bool,
}

impl Ev {
    pub(crate) fn new(val: Val) -> Self {
        Self {
            val,
            origin: None,
            at: None,
            failed: false,
        }
    }
    /// An expression that is an error in Terraform, which mirrorguard knows to be one.
    pub(crate) fn failed(why: impl Into<String>) -> Self {
        Self {
            failed: true,
            ..Self::unknown(why)
        }
    }
    pub(crate) fn known(v: Json) -> Self {
        Self::new(Val::Known(v))
    }
    pub(crate) fn unknown(why: impl Into<String>) -> Self {
        Self::new(Val::Unknown(why.into()))
    }
    pub(crate) fn symbol(expr: impl Into<String>, why: impl Into<String>) -> Self {
        Self::new(Val::Symbol {
            expr: expr.into(),
            why: why.into(),
        })
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
            Val::Known(j) => as_marker(j).map_or_else(String::new, |(_, w)| w.to_owned()),
        }
    }
    /// The value as an item of a list or map: symbols become markers; `None` when unknown.
    pub(crate) fn as_item(&self) -> Option<Json> {
        match &self.val {
            Val::Known(j) => Some(j.clone()),
            Val::Absent => Some(Json::Null),
            Val::Symbol { expr, why } => Some(marker(expr, why)),
            Val::Unknown(_) => None,
        }
    }
    /// A marker item turned back into a symbol; null into absent.
    pub(crate) fn settle(mut self) -> Self {
        if let Val::Known(j) = &self.val {
            if let Some((expr, why)) = as_marker(j) {
                self.val = Val::Symbol {
                    expr: expr.to_owned(),
                    why: why.to_owned(),
                };
            } else if j.is_null() {
                self.val = Val::Absent;
            }
        }
        self
    }
}

pub(crate) struct Evaluator<'i, 'a> {
    pub(crate) scope: &'i Scope<'i, 'a>,
    pub(crate) file: FileId,
    pub(crate) count_index: Option<Json>,
    pub(crate) each: Each,
    pub(crate) depth: usize,
    pub(crate) refs: Vec<Reference>,
    /// Local values being evaluated (cycle guard).
    pub(crate) evaluating: Vec<String>,
    /// The variables of the enclosing `for` expressions and their values, innermost last.
    pub(crate) bound: Vec<(String, Json)>,
}

impl<'i, 'a> Evaluator<'i, 'a> {
    pub(crate) fn new(scope: &'i Scope<'i, 'a>, file: FileId) -> Self {
        Self {
            scope,
            file,
            count_index: None,
            each: Each::None,
            depth: 0,
            refs: Vec::new(),
            evaluating: Vec::new(),
            bound: Vec::new(),
        }
    }

    pub(crate) fn index(&self) -> &'i Index<'a> {
        self.scope.index
    }

    pub(crate) fn loc(&self, x: &impl hcl_edit::Span) -> Loc {
        self.index().locate(self.file, span_of(x))
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
            // A decided condition: the value is written in the branch it picks.
            if let Val::Known(Json::Bool(b)) = cond.val {
                let chosen = if b { &c.true_expr } else { &c.false_expr };
                return self.branches(chosen, when, out, depth);
            }
            if depth < 4 {
                let name = self.qualified(&compact(&c.cond_expr.to_string()));
                for (branch, value) in [(&c.true_expr, true), (&c.false_expr, false)] {
                    let mut w = when.clone();
                    w.push(Condition::is(name.clone(), value));
                    self.branches(branch, w, out, depth + 1);
                }
                return;
            }
        }
        let ev = self.eval(expr).settle();
        let here = self.loc(expr);
        out.push(match ev.at {
            // Written at a module call argument: point there, and at the use here.
            Some(at) => Alt {
                loc: at,
                when,
                val: ev.val,
                origin: Some(Origin::used(here, "used here, inside the module")),
            },
            None => Alt {
                loc: here,
                when,
                val: ev.val,
                origin: ev.origin,
            },
        });
    }

    /// The value a `for` expression (or a `dynamic` block) binds to `name`, innermost first.
    pub(crate) fn bound_value(&self, name: &str) -> Option<&Json> {
        self.bound
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The identity of a bound variable's value: its symbol, or the value as written.
    fn bound_identity(&self, name: &str) -> Option<String> {
        let v = self.bound_value(name)?;
        Some(match as_marker(v) {
            Some((expr, _)) => expr.to_owned(),
            None => v.to_string(),
        })
    }

    /// Evaluates in another file of the module (a value an override file writes).
    pub(crate) fn in_file<T>(&mut self, file: FileId, f: impl FnOnce(&mut Self) -> T) -> T {
        let saved = std::mem::replace(&mut self.file, file);
        let out = f(self);
        self.file = saved;
        out
    }

    /// A name qualified by the module instance (`module.ids[0].var.enabled`), for conditions.
    pub(crate) fn qualified(&self, text: &str) -> String {
        format!("{}{text}", self.scope.prefix)
    }

    pub(crate) fn eval(&mut self, expr: &Expression) -> Ev {
        if self.depth >= MAX_EVAL_DEPTH {
            self.scope.budget.too_deep();
            return Ev::unknown("expression nested too deeply to evaluate");
        }
        if !self.scope.budget.step() {
            return Ev::unknown("evaluation budget spent");
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
                let mut items = Vec::new();
                for e in a.iter() {
                    let v = self.eval(e);
                    match v.as_item() {
                        Some(j) => items.push(j),
                        None if v.failed => return v,
                        None => return Ev::unknown(v.why()),
                    }
                }
                Ev::known(Json::Array(items))
            }
            Expression::Object(o) => {
                let mut map = Map::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => Some(i.as_str().to_owned()),
                        ObjectKey::Expression(e) => match self.eval(e).val {
                            Val::Known(Json::String(s)) => Some(s),
                            Val::Known(j) if !has_marker(&j) => Some(j.to_string()),
                            _ => None,
                        },
                    };
                    let value = self.eval(v.expr());
                    if value.failed {
                        return value;
                    }
                    match (key, value.as_item()) {
                        (Some(k), Some(j)) => {
                            map.insert(k, j);
                        }
                        (None, _) => return Ev::unknown("object key is not known"),
                        (_, None) => return Ev::unknown(value.why()),
                    }
                }
                Ev::known(Json::Object(map))
            }
            Expression::StringTemplate(t) => self.template(t, expr),
            Expression::HeredocTemplate(h) => self.template(&h.template, expr),
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Variable(v) => match self.bound_value(v.as_str()) {
                Some(value) => Ev::known(value.clone()).settle(),
                None => {
                    let name = v.as_str();
                    Ev::symbol(
                        self.qualified(name),
                        format!("{name} is not a value mirrorguard can evaluate"),
                    )
                }
            },
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr);
                if cond.failed {
                    return cond;
                }
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
                if v.failed {
                    return v;
                }
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
            Expression::ForExpr(f) => self.for_expr(f),
        }
    }

    fn template(&mut self, t: &Template, expr: &Expression) -> Ev {
        // A template that is one interpolation is that value (`"${x}"` is `x`, as in
        // Terraform 0.11 style configurations).
        let elements: Vec<&Element> = t.iter().collect();
        if let [Element::Interpolation(i)] = elements.as_slice() {
            return self.eval(&i.expr);
        }
        let mut out = String::new();
        let mut why = None;
        for el in elements {
            match el {
                Element::Literal(l) => out.push_str(l.value()),
                Element::Interpolation(_) if out.len() > crate::parse::MAX_VALUE_BYTES => {}
                Element::Interpolation(i) => {
                    let v = self.eval(&i.expr);
                    if v.failed {
                        return v;
                    }
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
            None if out.len() > crate::parse::MAX_VALUE_BYTES => {
                self.scope.budget.oversize();
                Ev::unknown(format!(
                    "template expands to more than {} bytes",
                    crate::parse::MAX_VALUE_BYTES
                ))
            }
            None => Ev::known(json!(out)),
            Some(why) => Ev::symbol(self.canonical(expr), why),
        }
    }

    /// A canonical text for an expression: references qualified by the module instance
    /// that declares them, bound variables replaced by the identity of their value, known
    /// indexes evaluated. A text that reads `each` of an unknown `for_each` names that
    /// `for_each`: `each.value` of two blocks over different collections is not one value.
    pub(crate) fn canonical(&mut self, expr: &Expression) -> String {
        let text = self.canonical_of(expr);
        match &self.each {
            Each::Of(of) if reads_each(&text) => format!("{text} (for_each = {of})"),
            _ => text,
        }
    }

    /// The symbol of `each.key` or `each.value` (`what`) when the items are not known.
    pub(crate) fn each_symbol(&self, what: &str) -> String {
        let text = self.qualified(what);
        match &self.each {
            Each::Of(of) => format!("{text} (for_each = {of})"),
            _ => text,
        }
    }

    fn canonical_of(&mut self, expr: &Expression) -> String {
        match strip_parens(expr) {
            Expression::Traversal(t) => {
                let mut s = match &t.expr {
                    Expression::Variable(root) => self.canonical_root(root.as_str(), t),
                    other => self.canonical_of(other),
                };
                let skip = usize::from(matches!(
                    &t.expr,
                    Expression::Variable(r) if matches!(r.as_str(), "var" | "local")
                ));
                for op in t.operators.iter().skip(skip) {
                    match op.value() {
                        TraversalOperator::GetAttr(i) => {
                            s.push('.');
                            s.push_str(i.as_str());
                        }
                        TraversalOperator::Index(e) => {
                            let v = self.eval(e);
                            match v.json() {
                                Some(j) if !has_marker(j) => s.push_str(&format!("[{j}]")),
                                _ => s.push_str(&format!("[{}]", self.canonical_of(e))),
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
            Expression::Variable(v) => self
                .bound_identity(v.as_str())
                .unwrap_or_else(|| self.qualified(v.as_str())),
            Expression::FuncCall(f) => {
                let args: Vec<String> = f.args.iter().map(|a| self.canonical_of(a)).collect();
                format!("{}({})", f.name.name.as_str(), args.join(", "))
            }
            Expression::StringTemplate(_) | Expression::HeredocTemplate(_) => {
                self.qualified(&compact(&expr.to_string()))
            }
            other => self.qualified(&compact(&other.to_string())),
        }
    }

    /// The canonical base of a traversal rooted at a variable name.
    fn canonical_root(&mut self, root: &str, t: &hcl_edit::expr::Traversal) -> String {
        if let Some(identity) = self.bound_identity(root) {
            return identity;
        }
        let first = match t.operators.first().map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(i)) => i.as_str().to_owned(),
            _ => return self.qualified(root),
        };
        let bound = match root {
            "var" => self.scope.inputs.get(&first).map(|i| i.ev.clone()),
            "local" => self.scope.locals.borrow().get(&first).cloned(),
            _ => None,
        };
        match bound.map(Ev::settle).map(|e| e.val) {
            Some(Val::Symbol { expr, .. }) => expr,
            _ if matches!(root, "var" | "local") => self.qualified(&format!("{root}.{first}")),
            _ => self.qualified(root),
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
            resource: None,
        });
    }

    /// Records an identity of something the configuration creates: it differs from every
    /// literal and from every other thing created.
    pub(crate) fn created(&self, identity: &str) {
        self.scope.created.borrow_mut().insert(identity.to_owned());
    }
}
