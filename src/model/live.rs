//! What is known of the account a unit deploys into (preflight): which ids exist, how
//! completely each kind was listed, and how VPCs are joined. The live sessions, targets,
//! filters, interfaces and instances themselves are parts of the unit, marked `live`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};

/// The ids of one kind the account has, and what the listing covered.
#[derive(Debug, Clone, Default)]
pub(crate) struct Listing {
    /// Ids seen.
    pub(crate) ids: BTreeSet<String>,
    /// `None`: every object of the kind was listed (all pages, no filter); `Some(ids)`:
    /// only these ids were asked for, so only their absence is known.
    pub(crate) covers: Option<BTreeSet<String>>,
}

impl Listing {
    /// Whether the listing says `id` does not exist.
    pub(crate) fn lacks(&self, id: &str) -> bool {
        !self.ids.contains(id) && self.covers.as_ref().is_none_or(|c| c.contains(id))
    }
}

/// The live facts of a unit beyond its live parts.
#[derive(Debug, Clone, Default)]
pub(crate) struct LiveContext {
    /// Complete (or id-complete) listings by kind: `filter`, `target`, `interface`.
    pub(crate) listings: BTreeMap<String, Listing>,
    /// The VPC of each interface read.
    pub(crate) interface_vpcs: BTreeMap<String, String>,
    /// Active VPC peering connections (pairs of VPCs); `None` when they were not read.
    pub(crate) peerings: Option<Vec<(String, String)>>,
    /// Available transit gateway VPC attachments (transit gateway, VPC); `None` when not read.
    pub(crate) tgw_attachments: Option<Vec<(String, String)>>,
    /// Where the facts came from, for messages (`--live-file live.json`, `the EC2 API`).
    pub(crate) source: String,
}

/// A set of ids as an object keyed by id (`{"eni-1": true}`): a rule looks an id up
/// (`ids[id]`) where it would scan a list for every reference it checks.
fn keyed(ids: &BTreeSet<String>) -> Json {
    Json::Object(
        ids.iter()
            .map(|id| (id.clone(), Json::Bool(true)))
            .collect(),
    )
}

impl LiveContext {
    /// The facts as the rule input's `live` object: each listing's `ids` (what exists) and
    /// `covered` (what a filtered listing asked for) keyed by id, and `all` when the
    /// listing was complete.
    pub(crate) fn to_json(&self) -> Json {
        let listings: serde_json::Map<String, Json> = self
            .listings
            .iter()
            .map(|(k, l)| {
                (
                    k.clone(),
                    json!({
                        "ids": keyed(&l.ids),
                        "all": l.covers.is_none(),
                        "covered": keyed(l.covers.as_ref().unwrap_or(&BTreeSet::new())),
                    }),
                )
            })
            .collect();
        let tgw = self.tgw_attachments.as_ref().map(|a| {
            let mut by_vpc: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for (tgw, vpc) in a {
                by_vpc.entry(vpc).or_default().push(tgw);
            }
            by_vpc
        });
        json!({
            "source": self.source,
            "listings": listings,
            "interface_vpcs": self.interface_vpcs,
            "peerings": self.peerings,
            "transit_gateways": tgw,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_knows_absence_only_where_it_looked() {
        let all = Listing {
            ids: BTreeSet::from(["tmf-1".to_owned()]),
            covers: None,
        };
        assert!(!all.lacks("tmf-1"));
        assert!(all.lacks("tmf-2"));
        let some = Listing {
            ids: BTreeSet::new(),
            covers: Some(BTreeSet::from(["eni-1".to_owned()])),
        };
        assert!(some.lacks("eni-1"));
        assert!(!some.lacks("eni-2"));
    }

    #[test]
    fn listings_reach_the_rules_keyed_by_id_and_a_complete_one_covers_nothing_by_name() {
        let live = LiveContext {
            listings: BTreeMap::from([
                (
                    "filter".to_owned(),
                    Listing {
                        ids: BTreeSet::from(["tmf-1".to_owned()]),
                        covers: None,
                    },
                ),
                (
                    "interface".to_owned(),
                    Listing {
                        ids: BTreeSet::new(),
                        covers: Some(BTreeSet::from(["eni-1".to_owned()])),
                    },
                ),
            ]),
            ..LiveContext::default()
        };
        let json = live.to_json();
        assert_eq!(
            json["listings"]["filter"],
            json!({"ids": {"tmf-1": true}, "all": true, "covered": {}})
        );
        assert_eq!(
            json["listings"]["interface"],
            json!({"ids": {}, "all": false, "covered": {"eni-1": true}})
        );
    }
}
