//! What the instance type behind an interface allows: whether it can be a traffic mirror
//! source (MG014) and how many sources an interface target on it accepts (MG022).
//!
//! The facts are data, `rules/data/instance-types.json`, with their sources and the date
//! they were verified. A type whose family is in none of its lists is unknown: the checks
//! that need it are skipped and the report says so; nothing is guessed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

/// The table, as shipped.
pub(crate) const TABLE_JSON: &str = include_str!("../../rules/data/instance-types.json");

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Table {
    pub(crate) verified_on: String,
    pub(crate) sources: Vec<String>,
    source_support: SourceSupport,
    sources_per_target: SourcesPerTarget,
}

#[derive(Debug, Default, Deserialize)]
struct SourceSupport {
    non_nitro_supported: BTreeSet<String>,
    non_nitro_unsupported: BTreeSet<String>,
    nitro_unsupported: BTreeSet<String>,
    nitro_supported: BTreeSet<String>,
}

#[derive(Debug, Default, Deserialize)]
struct SourcesPerTarget {
    hundred: BTreeSet<String>,
    ten_sizes: BTreeSet<String>,
    families_topping_out_at_a_ten_size: BTreeMap<String, String>,
}

/// Whether a type can be a traffic mirror source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Eligibility {
    Supported,
    /// It cannot; the reason names the list it is on.
    Unsupported(String),
    /// The table does not know the type.
    Unknown(String),
}

/// The parsed table (an unreadable table knows no type: every check is skipped).
pub(crate) fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| serde_json::from_str(TABLE_JSON).unwrap_or_default())
}

/// `m5.24xlarge` → (`m5`, `24xlarge`), lower-cased.
fn split(ty: &str) -> Option<(String, String)> {
    let ty = ty.trim().to_ascii_lowercase();
    let (family, size) = ty.split_once('.')?;
    (!family.is_empty() && !size.is_empty() && !size.contains('.'))
        .then(|| (family.to_owned(), size.to_owned()))
}

impl Table {
    fn known_family(&self, family: &str) -> bool {
        let s = &self.source_support;
        [
            &s.non_nitro_supported,
            &s.non_nitro_unsupported,
            &s.nitro_unsupported,
            &s.nitro_supported,
        ]
        .iter()
        .any(|l| l.contains(family))
    }

    /// Whether `ty` can be a traffic mirror source.
    pub(crate) fn source_support(&self, ty: &str) -> Eligibility {
        let Some((family, size)) = split(ty) else {
            return Eligibility::Unknown(format!("{ty} is not an EC2 instance type name"));
        };
        let s = &self.source_support;
        if size == "metal" || size.starts_with("metal-") {
            return Eligibility::Unsupported(format!(
                "{ty} is a bare-metal instance type, and bare-metal instances cannot be traffic mirror sources"
            ));
        }
        if s.non_nitro_unsupported.contains(&family) {
            return Eligibility::Unsupported(format!(
                "{ty} is not built on the Nitro System, and of the non-Nitro types only C4, D2, G3, G3s, H1, I3, M4, P2, P3, R4, X1 and X1e can be traffic mirror sources"
            ));
        }
        if s.nitro_unsupported.contains(&family) {
            return Eligibility::Unsupported(format!(
                "{family} is one of the Nitro families AWS lists as not supported as traffic mirror sources"
            ));
        }
        if s.non_nitro_supported.contains(&family) || s.nitro_supported.contains(&family) {
            return Eligibility::Supported;
        }
        Eligibility::Unknown(self.not_in_table(ty))
    }

    /// How many sources an interface target on `ty` accepts, or why that is not known.
    pub(crate) fn sources_per_target(&self, ty: &str) -> Result<u32, String> {
        let lower = ty.trim().to_ascii_lowercase();
        if self.sources_per_target.hundred.contains(&lower) {
            return Ok(100);
        }
        let Some((family, size)) = split(ty) else {
            return Err(format!("{ty} is not an EC2 instance type name"));
        };
        let p = &self.sources_per_target;
        let tops_out_here = p
            .families_topping_out_at_a_ten_size
            .get(&family)
            .is_some_and(|top| *top == size);
        if self.known_family(&family) && p.ten_sizes.contains(&size) && !tops_out_here {
            return Ok(10);
        }
        Err(self.not_in_table(ty))
    }

    fn not_in_table(&self, ty: &str) -> String {
        format!(
            "instance type {ty} is not in mirrorguard's instance type table (rules/data/instance-types.json, verified on {})",
            self.verified_on
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses_and_is_dated() {
        let t: Table = serde_json::from_str(TABLE_JSON).unwrap();
        assert!(t.verified_on.len() == 10 && !t.sources.is_empty());
        assert!(t.source_support.nitro_unsupported.contains("m6i"));
    }

    #[test]
    fn classifies_sources() {
        let t = table();
        assert_eq!(t.source_support("m5.large"), Eligibility::Supported);
        assert_eq!(t.source_support("C4.XLarge"), Eligibility::Supported);
        assert!(
            matches!(t.source_support("m5.metal"), Eligibility::Unsupported(r) if r.contains("bare-metal"))
        );
        assert!(
            matches!(t.source_support("t2.micro"), Eligibility::Unsupported(r) if r.contains("Nitro"))
        );
        assert!(matches!(
            t.source_support("m6i.large"),
            Eligibility::Unsupported(_)
        ));
        assert!(matches!(
            t.source_support("m7i-flex.large"),
            Eligibility::Unsupported(_)
        ));
        assert!(matches!(
            t.source_support("zz9.large"),
            Eligibility::Unknown(_)
        ));
        assert!(matches!(t.source_support("large"), Eligibility::Unknown(_)));
    }

    #[test]
    fn sources_per_target_is_ten_hundred_or_unknown() {
        let t = table();
        assert_eq!(t.sources_per_target("m5.24xlarge"), Ok(100));
        assert_eq!(t.sources_per_target("m5.large"), Ok(10));
        assert_eq!(t.sources_per_target("t3.medium"), Ok(10));
        // The largest size of a family may be on the 100 list: not guessed.
        assert!(t.sources_per_target("t3.2xlarge").is_err());
        assert!(t.sources_per_target("m5.16xlarge").is_err());
        assert!(t.sources_per_target("zz9.large").is_err());
    }
}
