//! CloudTrail: whether any trail records the region's StartSession calls.

use super::errors::{classify, Failure};
use crate::facts::Trail;
use aws_sdk_cloudtrail::Client;

pub async fn trails(c: &Client) -> Result<Vec<Trail>, Failure> {
    let out = c
        .describe_trails()
        .send()
        .await
        .map_err(|e| classify(&e, "cloudtrail:DescribeTrails"))?;
    let statuses = futures_util::future::join_all(out.trail_list().iter().map(|t| async move {
        let name = t.trail_arn().or(t.name()).unwrap_or_default();
        let status = c.get_trail_status().name(name).send().await;
        Ok::<_, Failure>(Trail {
            name: t.name().unwrap_or_default().to_string(),
            home_region: t.home_region().unwrap_or_default().to_string(),
            is_multi_region: t.is_multi_region_trail().unwrap_or(false),
            is_logging: status
                .map_err(|e| classify(&e, "cloudtrail:GetTrailStatus"))?
                .is_logging()
                .unwrap_or(false),
        })
    }))
    .await;
    statuses.into_iter().collect()
}
