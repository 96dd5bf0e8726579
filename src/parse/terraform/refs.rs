//! References: variables (bound by a module call, a variables file or their default),
//! locals (memoised per module instance), `count.index`, `each`, and resources, data
//! sources and module outputs, which are symbolic.

use hcl_edit::expr::{Expression, TraversalOperator};
use serde_json::Value as Json;

use super::eval::{Each, Ev, Evaluator, as_marker, has_marker, marker};
use super::functions::{compact, empty_is_unknown};
use crate::model::{Origin, RefKind, Val};

impl Evaluator<'_, '_> {
    pub(crate) fn traversal(&mut self, t: &hcl_edit::expr::Traversal, expr: &Expression) -> Ev {
        let Expression::Variable(root) = &t.expr else {
            let base = self.eval(&t.expr);
            return self.apply_ops(base, &t.operators, expr);
        };
        let root = root.as_str();
        if let Some(value) = self.bound_value(root) {
            let base = Ev::known(value.clone());
            return self.apply_ops(base, &t.operators, expr);
        }
        let first_attr = match t.operators.first().map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(i)) => Some(i.as_str().to_owned()),
            _ => None,
        };
        let rest = t.operators.get(1..).unwrap_or(&[]);
        let prefix = self.scope.prefix.clone();
        match (root, first_attr) {
            ("var", Some(name)) => {
                if let Some(ev) = self.read_in_place(false, &name, rest) {
                    return ev;
                }
                let base = self.variable(&name, expr);
                self.apply_ops(base, rest, expr)
            }
            ("local", Some(name)) => {
                if let Some(ev) = self.read_in_place(true, &name, rest) {
                    return ev;
                }
                let base = self.local(&name, expr);
                self.apply_ops(base, rest, expr)
            }
            ("count", Some(attr)) if attr == "index" => match &self.count_index {
                Some(i) => {
                    let base = Ev::known(i.clone());
                    self.apply_ops(base, rest, expr)
                }
                None => Ev::symbol(
                    self.qualified("count.index"),
                    "count.index depends on a count that is not known",
                ),
            },
            ("each", Some(attr)) => {
                let base = match (&self.each, attr.as_str()) {
                    (Each::Item(k, _), "key") => Ev::known(k.clone()),
                    (Each::Item(_, v), "value") => Ev::known(v.clone()),
                    _ => Ev::symbol(
                        self.each_symbol(&format!("each.{attr}")),
                        "for_each is not known",
                    ),
                };
                self.apply_ops(base, rest, expr)
            }
            ("path" | "terraform" | "self", attr) => {
                match attr
                    .filter(|_| root == "path")
                    .and_then(|a| self.path_value(&a))
                {
                    Some(value) => self.apply_ops(Ev::known(value), rest, expr),
                    None => Ev::symbol(
                        self.canonical(expr),
                        format!("{root}.* is known only to Terraform"),
                    ),
                }
            }
            ("data", Some(ty)) => {
                let name = match rest.first().map(|o| o.value()) {
                    Some(TraversalOperator::GetAttr(i)) => i.as_str().to_owned(),
                    _ => String::new(),
                };
                let full = format!("data.{ty}.{name}");
                let declared = self.index().declared.contains(&full);
                self.reference(expr, RefKind::Resource, &full, declared);
                Ev::symbol(
                    self.canonical(expr),
                    format!("{prefix}{full} is read at plan time"),
                )
            }
            ("module", Some(name)) => {
                let full = format!("module.{name}");
                let declared = self.index().declared.contains(&full);
                self.reference(expr, RefKind::Resource, &full, declared);
                Ev::symbol(
                    self.canonical(expr),
                    format!("{prefix}{full} outputs are known only after apply"),
                )
            }
            (ty, Some(name)) if ty.contains('_') => {
                let full = format!("{ty}.{name}");
                let declared = self.index().declared.contains(&full);
                self.reference(expr, RefKind::Resource, &full, declared);
                if let Some(items) = self.splat_items(&full, rest) {
                    return Ev::known(Json::Array(items));
                }
                let canonical = self.canonical(expr);
                let identity = self.resource_identity(canonical);
                if declared {
                    self.created(&identity);
                }
                Ev::symbol(
                    identity,
                    format!("{prefix}{full} is known only after apply"),
                )
            }
            _ => Ev::symbol(self.canonical(expr), "not a value mirrorguard can evaluate"),
        }
    }

    /// A splat over a resource whose instances are known (`aws_instance.app[*].id` with
    /// `count = 2`): the list of each instance's attribute, as symbolic items.
    fn splat_items(
        &mut self,
        full: &str,
        rest: &[hcl_edit::Decorated<TraversalOperator>],
    ) -> Option<Vec<Json>> {
        let (splat, attrs) = rest.split_first()?;
        if !matches!(
            splat.value(),
            TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_)
        ) {
            return None;
        }
        let mut path = String::new();
        for op in attrs {
            match op.value() {
                TraversalOperator::GetAttr(a) => {
                    path.push('.');
                    path.push_str(a.as_str());
                }
                _ => return None,
            }
        }
        let keys = self.instance_keys(full)?;
        let prefix = self.scope.prefix.clone();
        Some(
            keys.into_iter()
                .map(|k| {
                    let identity = format!("{prefix}{full}[{k}]{path}");
                    self.created(&identity);
                    marker(
                        &identity,
                        &format!("{prefix}{full} is known only after apply"),
                    )
                })
                .collect(),
        )
    }

    /// The identity of a resource attribute, from its canonical text. An instance's
    /// primary interface is named as the interface when the instance declares it
    /// (`network_interface { device_index = 0 }`, `primary_network_interface { … }`), so both
    /// spellings name one interface.
    fn resource_identity(&mut self, canonical: String) -> String {
        let Some(base) = canonical.strip_suffix(".primary_network_interface_id") else {
            return canonical;
        };
        let unqualified = base
            .strip_prefix(&self.scope.prefix)
            .unwrap_or(base)
            .split('[')
            .next()
            .unwrap_or("")
            .to_owned();
        let Some(&(eni, file)) = self.index().primary_interfaces.get(&unqualified) else {
            return canonical;
        };
        match self.in_file(file, |ev| ev.eval(eni).settle()).val {
            Val::Symbol { expr, .. } => expr,
            _ => canonical,
        }
    }

    /// `var.name.a[k]` (or `local.…`) read in place from the value already resolved for
    /// this module instance, when every step is there: only the part read is copied
    /// (`var.list[count.index].eni` over a long list copied the whole list at each use).
    /// `None` leaves it to [`Self::apply_ops`].
    fn read_in_place(
        &mut self,
        local: bool,
        name: &str,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
    ) -> Option<Ev> {
        let cache = |ev: &Self| {
            if local {
                &ev.scope.locals
            } else {
                &ev.scope.variables
            }
        };
        if ops.is_empty() || !cache(self).borrow().contains_key(name) {
            return None;
        }
        let mut keys = Vec::with_capacity(ops.len());
        for op in ops {
            keys.push(match op.value() {
                TraversalOperator::GetAttr(i) => Json::String(i.as_str().to_owned()),
                TraversalOperator::Index(e) => match self.eval(e).val {
                    Val::Known(j @ (Json::String(_) | Json::Number(_))) => j,
                    _ => return None,
                },
                _ => return None,
            });
        }
        let resolved = cache(self).borrow();
        let base = resolved.get(name)?;
        let Val::Known(first) = &base.val else {
            return None;
        };
        let mut cur: &Json = first;
        if base.failed {
            return None;
        }
        for key in &keys {
            if as_marker(cur).is_some() {
                return None;
            }
            cur = match (key, cur) {
                (Json::String(s), Json::Object(m)) => m.get(s)?,
                (Json::Number(n), Json::Array(a)) => a.get(usize::try_from(n.as_u64()?).ok()?)?,
                (Json::String(s), Json::Array(a)) => a.get(s.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        let mut ev = Ev::new(Val::Known(cur.clone())).settle();
        ev.origin.clone_from(&base.origin);
        ev.at = base.at;
        Some(ev)
    }

    pub(crate) fn variable(&mut self, name: &str, expr: &Expression) -> Ev {
        if let Some(ev) = self.scope.variables.borrow().get(name) {
            return ev.clone();
        }
        let mut ev = self.variable_value(name, expr);
        // The value as its type constraint converts it (optional attributes filled in).
        if let Some(&(ty, file)) = self.index().variable_types.get(name)
            && let Val::Known(j) = &mut ev.val
        {
            let given = std::mem::take(j);
            let converted = self.in_file(file, |ev| ev.convert(ty, given.clone()));
            // The origin of the whole value no longer says where each part is written: an
            // attribute may come from an `optional()` default in the type.
            if converted != given
                && let Some(origin) = &ev.origin
            {
                ev.origin = Some(Origin::outside(format!(
                    "{}, as its type constraint converts it",
                    origin.how
                )));
            }
            *j = converted;
        }
        if self.index().sensitive.contains(name)
            && let Val::Known(j) = &ev.val
        {
            let text = match j {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            if !text.is_empty() {
                self.scope.secrets.borrow_mut().insert(text);
            }
        }
        // An undeclared variable is not kept: each use is a reference MG009 reports.
        if self.index().variables.contains_key(name) {
            self.scope
                .variables
                .borrow_mut()
                .insert(name.to_owned(), ev.clone());
        }
        ev
    }

    fn variable_value(&mut self, name: &str, expr: &Expression) -> Ev {
        let declared = self.index().variables.get(name).copied();
        // A folder that declares variables but not this one fails in Terraform; a folder
        // that declares none is a fragment (one file of a module): its inputs come from
        // files that are not here.
        if declared.is_none() && !self.index().variables.is_empty() {
            self.reference(expr, RefKind::Variable, name, false);
        }
        let display = format!("var.{name}");
        let scope = self.scope;
        if let Some(input) = scope.inputs.get(name) {
            let mut ev = input.ev.clone();
            if ev.at.is_none() && matches!(ev.val, Val::Known(_) | Val::Absent) {
                ev.at = Some(input.at);
            }
            return ev;
        }
        if let Some((v, loc)) = scope.tfvars.get(name) {
            let mut ev = Ev::new(empty_is_unknown(v.clone(), &display));
            ev.origin = Some(Origin::at(
                *loc,
                format!("value of {display} from a variables file"),
            ));
            return ev;
        }
        let identity = self.qualified(&display);
        let Some((default, file)) = declared else {
            return Ev::symbol(
                identity,
                format!("{display} is not declared in this module"),
            );
        };
        let Some(default) = default else {
            let why = if scope.is_root() {
                format!("{display} has no default and no value in a variables file")
            } else {
                format!(
                    "{display} has no default and the call of {} does not pass it",
                    scope.prefix.trim_end_matches('.')
                )
            };
            return Ev::symbol(identity, why);
        };
        let saved = self.file;
        self.file = file;
        let v = self.eval(default);
        let loc = self.loc(default);
        self.file = saved;
        match v.val {
            Val::Known(j) => {
                let mut ev = Ev::new(empty_is_unknown(j, &identity));
                ev.origin = Some(Origin::at(loc, format!("default of {display}")));
                ev
            }
            _ => Ev::symbol(identity, v.why()),
        }
    }

    pub(crate) fn local(&mut self, name: &str, expr: &Expression) -> Ev {
        if let Some(v) = self.scope.locals.borrow().get(name) {
            return v.clone();
        }
        let Some(&(value, file)) = self.index().locals.get(name) else {
            self.reference(expr, RefKind::Local, name, false);
            return Ev::symbol(
                self.qualified(&format!("local.{name}")),
                format!("local.{name} is not declared"),
            );
        };
        if self.evaluating.iter().any(|n| n == name) {
            return Ev::unknown(format!("local.{name} refers to itself"));
        }
        self.evaluating.push(name.to_owned());
        let saved = (
            self.file,
            self.count_index.take(),
            std::mem::take(&mut self.each),
        );
        self.file = file;
        let v = self.eval(value);
        let loc = self.loc(value);
        (self.file, self.count_index, self.each) = saved;
        self.evaluating.pop();
        let ev = match v.val {
            Val::Known(j) => {
                let mut ev = Ev::new(Val::Known(j));
                ev.at = v.at;
                ev.origin = v
                    .origin
                    .or_else(|| Some(Origin::at(loc, format!("value of local.{name}"))));
                ev
            }
            other => Ev::new(other),
        };
        self.scope
            .locals
            .borrow_mut()
            .insert(name.to_owned(), ev.clone());
        ev
    }

    pub(crate) fn apply_ops(
        &mut self,
        base: Ev,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        expr: &Expression,
    ) -> Ev {
        if ops.is_empty() || base.failed {
            return base;
        }
        let base = base.settle();
        let Val::Known(mut cur) = base.val else {
            return match base.val {
                // An attribute of something the module creates (an item of a splat that a
                // `for` expression binds) is itself a created thing, as when it is named.
                Val::Symbol { expr: of, why } if self.scope.created.borrow().contains(&of) => {
                    let canonical = self.canonical(expr);
                    let identity = self.resource_identity(canonical);
                    self.created(&identity);
                    Ev::symbol(identity, why)
                }
                Val::Symbol { why, .. } => Ev::symbol(self.canonical(expr), why),
                // An attribute or index of null is an error in Terraform.
                Val::Absent => Ev::failed(format!(
                    "{} reads an attribute or index of null",
                    compact(&expr.to_string())
                )),
                other => Ev::new(other),
            };
        };
        for op in ops {
            if let Some((_, why)) = as_marker(&cur) {
                let why = why.to_owned();
                return Ev::symbol(self.canonical(expr), why);
            }
            let next = match op.value() {
                TraversalOperator::GetAttr(i) => cur.get(i.as_str()).cloned(),
                TraversalOperator::Index(e) => {
                    let k = self.eval(e);
                    match (k.json(), &cur) {
                        (Some(j), _) if has_marker(j) => {
                            return Ev::symbol(self.canonical(expr), k.why());
                        }
                        (Some(Json::Number(n)), Json::Array(a)) => n
                            .as_u64()
                            .and_then(|i| usize::try_from(i).ok())
                            .and_then(|i| a.get(i))
                            .cloned(),
                        (Some(Json::String(s)), Json::Object(m)) => m.get(s).cloned(),
                        (Some(Json::String(s)), Json::Array(a)) => {
                            s.parse::<usize>().ok().and_then(|i| a.get(i)).cloned()
                        }
                        _ => return Ev::symbol(self.canonical(expr), k.why()),
                    }
                }
                TraversalOperator::LegacyIndex(i) => usize::try_from(*i.value())
                    .ok()
                    .and_then(|i| cur.get(i))
                    .cloned(),
                _ => return Ev::unknown("splat expressions are not evaluated"),
            };
            match next {
                Some(n) => cur = n,
                None => {
                    return Ev::failed(format!("{} does not exist", compact(&expr.to_string())));
                }
            }
        }
        let mut ev = Ev::new(Val::Known(cur)).settle();
        ev.origin = base.origin;
        ev.at = base.at;
        ev
    }
}
