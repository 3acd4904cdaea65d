//! What the session preferences' logging destinations are like, as the agent checks them before a shell when
//! encryption is enforced: the log group and its KMS key, the bucket and its default encryption.

use super::errors::{classify, Failure};
use super::pages::all_pages;
use crate::facts::{BucketEncryption, LogGroup};

/// `logs:DescribeLogGroups` with the group's name as prefix; the group is the one with exactly that name.
pub async fn log_group(
    c: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
) -> Result<LogGroup, Failure> {
    let pages = c
        .describe_log_groups()
        .log_group_name_prefix(name)
        .into_paginator();
    let groups = all_pages(pages.send(), "logs:DescribeLogGroups", |p| {
        p.log_groups()
            .iter()
            .filter(|g| g.log_group_name() == Some(name))
            .map(|g| g.kms_key_id().map(str::to_string))
            .collect::<Vec<_>>()
    })
    .await?;
    Ok(LogGroup {
        name: name.to_string(),
        exists: !groups.is_empty(),
        kms_key_id: groups.into_iter().flatten().next(),
    })
}

/// `s3:GetEncryptionConfiguration` (GetBucketEncryption): the first rule's algorithm, which is the one the agent reads.
pub async fn bucket_encryption(
    c: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<BucketEncryption, Failure> {
    let known = |exists, algorithm| BucketEncryption {
        bucket: bucket.to_string(),
        exists,
        algorithm,
    };
    match c.get_bucket_encryption().bucket(bucket).send().await {
        Ok(out) => Ok(known(
            true,
            out.server_side_encryption_configuration()
                .and_then(|conf| conf.rules().first())
                .and_then(|rule| rule.apply_server_side_encryption_by_default())
                .map(|d| d.sse_algorithm().as_str().to_string()),
        )),
        Err(e) => {
            use aws_smithy_types::error::metadata::ProvideErrorMetadata;
            match e.code() {
                // The bucket has no default encryption: a fact, not a failure to see one.
                Some("ServerSideEncryptionConfigurationNotFoundError") => Ok(known(true, None)),
                Some("NoSuchBucket") => Ok(known(false, None)),
                _ => Err(classify(&e, "s3:GetEncryptionConfiguration")),
            }
        }
    }
}
