//! Live sessions from AWS Config (cargo feature `aws`): one advanced query
//! ([`QUERY`](crate::checks::drift::inventory::QUERY)) through `SelectAggregateResourceConfig`
//! (every account and region of an aggregator) or `SelectResourceConfig` (the caller's
//! account), every page.
//!
//! The rows are read exactly as a saved `aws configservice select-*-resource-config` output
//! is ([`crate::checks::drift::inventory`]), so the API and `--live-file` cannot disagree.
//! Throttling is retried with backoff (the SDK's standard mode); access denied, an
//! aggregator that does not exist or a dead endpoint is an error (exit 2), never an empty
//! inventory.

use std::sync::Arc;

use aws_smithy_types::error::display::DisplayErrorContext;

use super::{AwsOptions, block_on, sdk_config};
use crate::checks::drift::inventory::QUERY;
use crate::checks::drift::live::{LiveFileError, parse_live_output};
use crate::error::{RunError, Subject};
use crate::pipeline::drift::{LiveRead, LiveSource};
use crate::source::SourceFile;

/// Rows per page (the service's maximum).
const PAGE: i32 = 100;

/// The AWS Config inventory: an aggregator's, or the caller's account's.
#[derive(Debug, Clone, Default)]
pub struct ConfigInventory {
    /// How to reach AWS.
    pub aws: AwsOptions,
    /// The region of the Config endpoint (the aggregator's); the environment's when `None`.
    pub region: Option<String>,
    /// The aggregator; `None`: the caller's account (`SelectResourceConfig`).
    pub aggregator: Option<String>,
}

impl LiveSource for ConfigInventory {
    fn read(&self) -> LiveRead {
        let run = async {
            let config = sdk_config(&self.aws, self.region.as_deref()).await;
            read_inventory(
                &aws_sdk_config::Client::new(&config),
                self.aggregator.as_deref(),
            )
            .await
        };
        block_on(run).unwrap_or_else(|e| LiveRead {
            errors: vec![RunError::new(Subject::Live, "AWS Config", e).into()],
            ..LiveRead::default()
        })
    }
}

/// Every row of the query, following `NextToken` to the last page.
pub async fn select_rows(
    client: &aws_sdk_config::Client,
    aggregator: Option<&str>,
) -> Result<Vec<String>, String> {
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let (page, next) = match aggregator {
            Some(name) => {
                let out = client
                    .select_aggregate_resource_config()
                    .expression(QUERY)
                    .configuration_aggregator_name(name)
                    .limit(PAGE)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        let hint = if e
                            .as_service_error()
                            .is_some_and(|s| s.is_no_such_configuration_aggregator_exception())
                        {
                            format!(
                                " (no aggregator named {name} in this account and region: run from the aggregator's account and pass its region with --region)"
                            )
                        } else {
                            String::new()
                        };
                        format!(
                            "SelectAggregateResourceConfig on {name} failed: {}{hint}",
                            DisplayErrorContext(&e)
                        )
                    })?;
                (out.results().to_vec(), out.next_token().map(str::to_owned))
            }
            None => {
                let out = client
                    .select_resource_config()
                    .expression(QUERY)
                    .limit(PAGE)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        format!("SelectResourceConfig failed: {}", DisplayErrorContext(&e))
                    })?;
                (out.results().to_vec(), out.next_token().map(str::to_owned))
            }
        };
        rows.extend(page);
        match next {
            Some(t) if !t.is_empty() && token.as_deref() != Some(t.as_str()) => token = Some(t),
            _ => break,
        }
    }
    Ok(rows)
}

/// The inventory as a live read: rows read like a saved output, findings about them pointing
/// at the configuration (the rows are not a file of the repository).
pub async fn read_inventory(client: &aws_sdk_config::Client, aggregator: Option<&str>) -> LiveRead {
    let name = aggregator.map_or_else(
        || "AWS Config".to_owned(),
        |a| format!("AWS Config aggregator {a}"),
    );
    let rows = match select_rows(client, aggregator).await {
        Ok(rows) => rows,
        Err(e) => {
            return LiveRead {
                errors: vec![RunError::new(Subject::Live, name, e).into()],
                ..LiveRead::default()
            };
        }
    };
    let text =
        serde_json::to_string_pretty(&serde_json::json!({ "Results": rows })).unwrap_or_default();
    let source = Arc::new(SourceFile::new(
        "<aws>/config/select-resource-config.json".into(),
        name.clone(),
        Arc::from(text.as_str()),
    ));
    match parse_live_output(&source, "") {
        Ok(doc) => {
            let mut sessions = doc.sessions;
            for s in &mut sessions {
                s.origin = None;
            }
            sessions.sort_by(|a, b| {
                (&a.owner_id, &a.region, &a.id).cmp(&(&b.owner_id, &b.region, &b.id))
            });
            LiveRead {
                sessions,
                coverage: Some(doc.coverage.unwrap_or_default()),
                ..LiveRead::default()
            }
        }
        Err(LiveFileError::Json(e)) => LiveRead {
            errors: vec![e.into()],
            ..LiveRead::default()
        },
        Err(LiveFileError::Shape(e)) => LiveRead {
            errors: vec![RunError::new(Subject::Live, name, e).into()],
            ..LiveRead::default()
        },
    }
}
