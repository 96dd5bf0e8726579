//! Parsers: source text into the session model, one [`Unit`](crate::model::Unit) per
//! CloudFormation template or Terraform module.

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
