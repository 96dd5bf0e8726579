//! Drift scopes: which declarations describe which account and regions.
//!
//! A scope pairs folders of declarations with one account and its regions
//! (`[[drift.scope]]` in `.mirrorguard.toml`, or `--account-id` with `--region` on the
//! command line). Only the live sessions inside a scope are compared with its declarations;
//! a session in a scoped account and region that nothing declares is unmanaged (MG102), and
//! sessions outside every scope are only counted.

use std::path::PathBuf;

use super::inventory::Coverage;
use super::live::LiveSession;

/// One scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// How findings name it (`111111111111/eu-west-1,us-east-1`, or the configured name);
    /// `None` for the one scope of the command line, whose findings keep their plain names.
    pub label: Option<String>,
    /// Declarations: files and folders.
    pub paths: Vec<PathBuf>,
    /// The account; `None`: whichever the live source audits.
    pub account: Option<String>,
    /// The regions; empty: every region the live source read.
    pub regions: Vec<String>,
}

impl Scope {
    /// A configured scope: findings are named after it, its account and its regions
    /// (`prod 111111111111/eu-west-1,us-east-1`, or the account and regions alone).
    pub fn configured(
        name: Option<&str>,
        paths: Vec<PathBuf>,
        account: &str,
        regions: Vec<String>,
    ) -> Self {
        let place = format!("{account}/{}", regions.join(","));
        Self {
            label: Some(match name {
                Some(name) => format!("{name} {place}"),
                None => place,
            }),
            paths,
            account: Some(account.to_owned()),
            regions,
        }
    }

    /// How errors about the scope name it: its label, else its account and regions.
    pub fn name(&self) -> String {
        match (&self.label, &self.account) {
            (Some(label), _) => label.clone(),
            (None, Some(account)) => format!("{account}/{}", self.regions.join(",")),
            (None, None) => "the audited account".into(),
        }
    }

    /// Whether a live session is inside the scope. A session whose region is unknown (a
    /// saved EC2 output without one) may be anywhere, so it is inside.
    pub fn contains(&self, s: &LiveSession) -> bool {
        self.account.as_ref().is_none_or(|a| *a == s.owner_id)
            && (self.regions.is_empty() || s.region.is_empty() || self.regions.contains(&s.region))
    }

    /// Why part of the scope is not covered by an inventory, one reason per account and
    /// region; empty when all of it is.
    pub fn uncovered(&self, coverage: &Coverage) -> Vec<String> {
        let Some(account) = &self.account else {
            return vec!["an inventory of many accounts needs the scope's account".into()];
        };
        if self.regions.is_empty() {
            return vec!["an inventory of many regions needs the scope's regions".into()];
        }
        self.regions
            .iter()
            .filter_map(|r| coverage.check(account, r).err())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::drift::inventory::Recording;

    fn live(account: &str, region: &str) -> LiveSession {
        LiveSession {
            owner_id: account.into(),
            region: region.into(),
            ..LiveSession::default()
        }
    }

    #[test]
    fn a_scope_holds_its_account_and_regions_only() {
        let scope = Scope {
            account: Some("111111111111".into()),
            regions: vec!["eu-west-1".into(), "us-east-1".into()],
            ..Scope::default()
        };
        assert!(scope.contains(&live("111111111111", "eu-west-1")));
        assert!(scope.contains(&live("111111111111", "")));
        assert!(!scope.contains(&live("111111111111", "eu-central-1")));
        assert!(!scope.contains(&live("222222222222", "eu-west-1")));
    }

    #[test]
    fn every_uncovered_region_is_named() {
        let mut coverage = Coverage::default();
        coverage.recorders.insert(
            ("111111111111".into(), "eu-west-1".into()),
            Recording::Sessions,
        );
        let scope = Scope {
            account: Some("111111111111".into()),
            regions: vec!["eu-west-1".into(), "us-east-1".into()],
            ..Scope::default()
        };
        let why = scope.uncovered(&coverage);
        assert_eq!(why.len(), 1);
        assert!(why[0].contains("us-east-1"), "{why:?}");
    }
}
