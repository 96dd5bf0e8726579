//! A module instance: the declarations of its folder ([`Index`]) and what this instance
//! gives them: call arguments binding its variables, variable files (root only), the
//! address prefix of everything it declares (`module.ids[0].`), the conditions it exists
//! under (a module's `count` that is not known), and its provider mapping.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use serde_json::Value as Json;

use super::eval::Ev;
use super::index::Index;
use crate::model::{Condition, Loc, ModuleCall};
use crate::parse::Budget;

/// A call argument: its value, evaluated where the call is, and where it is written.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    pub(crate) ev: Ev,
    pub(crate) at: Loc,
}

/// One module instance.
pub(crate) struct Scope<'s, 'a> {
    pub(crate) index: &'s Index<'a>,
    /// The calling module instance (`None` for a root module).
    pub(crate) parent: Option<&'s Scope<'s, 'a>>,
    /// Prefix of addresses and identities declared here: `""` or `module.ids[0].`.
    pub(crate) prefix: String,
    /// Call arguments by variable name.
    pub(crate) inputs: HashMap<String, Input>,
    /// Variable values from variable files (root modules only), later files winning.
    pub(crate) tfvars: HashMap<String, (Json, Loc)>,
    /// Conditions every resource of this instance exists under.
    pub(crate) conditions: Vec<Condition>,
    /// `providers = { alicloud = alicloud.hz }`: provider key here → key in the parent.
    pub(crate) providers: HashMap<String, String>,
    /// The module calls that led here, outermost first.
    pub(crate) calls: Vec<ModuleCall>,
    /// Region of provider configurations that set none (`--region`).
    pub(crate) default_region: Option<String>,
    /// Local values already evaluated (locals cannot depend on `count.index` or `each`).
    pub(crate) locals: RefCell<HashMap<String, Ev>>,
    /// Declared variables' values already resolved and converted by their type (a value is
    /// the same for every use in a module instance; resolving it again at each use made
    /// `var.list[count.index]` over a long list quadratic).
    pub(crate) variables: RefCell<HashMap<String, Ev>>,
    /// Identities of what the configuration creates (declared resources' attributes).
    pub(crate) created: RefCell<BTreeSet<String>>,
    /// Evaluation steps and instances left to the whole unit (shared by every instance).
    pub(crate) budget: Rc<Budget>,
    /// Values of sensitive variables seen (shared by every instance).
    pub(crate) secrets: Rc<RefCell<BTreeSet<String>>>,
}

impl<'s, 'a> Scope<'s, 'a> {
    /// A root module: no caller, its own variable files.
    pub(crate) fn root(
        index: &'s Index<'a>,
        tfvars: HashMap<String, (Json, Loc)>,
        default_region: Option<&str>,
    ) -> Self {
        Self {
            index,
            parent: None,
            prefix: String::new(),
            inputs: HashMap::new(),
            tfvars,
            conditions: Vec::new(),
            providers: HashMap::new(),
            calls: Vec::new(),
            default_region: default_region.map(str::to_owned),
            locals: RefCell::new(HashMap::new()),
            variables: RefCell::new(HashMap::new()),
            created: RefCell::new(BTreeSet::new()),
            budget: Rc::new(Budget::default()),
            secrets: Rc::default(),
        }
    }

    /// Whether this is a root module.
    pub(crate) fn is_root(&self) -> bool {
        self.parent.is_none()
    }
}
