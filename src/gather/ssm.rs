//! Systems Manager facts: the agent's registration, the DHMC setting and the Session Manager preferences.

use super::errors::{classify, Failure};
use super::pages::all_pages;
use crate::facts::{DhmcSetting, Registration, SessionPreferences, Unavailable};
use aws_sdk_ssm::types::InstanceInformationStringFilter;
use aws_sdk_ssm::Client;

pub const DHMC_SETTING: &str = "/ssm/managed-instance/default-ec2-instance-management-role";
pub const ACTIVATION_TIER: &str = "/ssm/managed-instance/activation-tier";
pub const PREFERENCES: &str = "SSM-SessionManagerRunShell";
/// DescribeInstanceInformation's largest page.
pub const PAGE: i32 = 50;

/// Which managed nodes to list.
pub enum Nodes<'a> {
    /// These ids (a page holds 50: larger lists take pages one after another).
    Ids(&'a [String]),
    /// Every hybrid (`mi-`) node of the region.
    Hybrid,
}

/// The agents' registrations, by node id.
pub async fn registrations(
    c: &Client,
    nodes: Nodes<'_>,
) -> Result<Vec<(String, Registration)>, Failure> {
    let (key, values) = match nodes {
        Nodes::Ids(ids) => ("InstanceIds", ids.to_vec()),
        Nodes::Hybrid => ("ResourceType", vec!["ManagedInstance".to_string()]),
    };
    let filter = InstanceInformationStringFilter::builder()
        .key(key)
        .set_values(Some(values))
        .build()
        .map_err(|e| {
            Failure::Fact(Unavailable::Error {
                message: e.to_string(),
            })
        })?;
    let request = c
        .describe_instance_information()
        .filters(filter)
        .max_results(PAGE);
    all_pages(
        request.into_paginator().send(),
        "ssm:DescribeInstanceInformation",
        |p| {
            p.instance_information_list()
                .iter()
                .filter_map(|info| Some((info.instance_id()?.to_string(), registration(info))))
                .collect::<Vec<_>>()
        },
    )
    .await
}

/// The registration of a node Systems Manager does not list.
pub fn unregistered() -> Registration {
    Registration {
        registered: false,
        ping_status: None,
        agent_version: None,
        is_latest_version: None,
        last_ping: None,
        platform_type: None,
        platform_name: None,
        computer_name: None,
        activation_id: None,
    }
}

fn registration(info: &aws_sdk_ssm::types::InstanceInformation) -> Registration {
    Registration {
        registered: true,
        ping_status: info.ping_status().map(|p| p.as_str().to_string()),
        agent_version: info.agent_version().map(str::to_string),
        is_latest_version: info.is_latest_version(),
        last_ping: info
            .last_ping_date_time()
            .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
        platform_type: info.platform_type().map(|p| p.as_str().to_string()),
        platform_name: info.platform_name().map(str::to_string),
        computer_name: info.computer_name().map(str::to_string),
        activation_id: info.activation_id().map(str::to_string),
    }
}

async fn service_setting(c: &Client, id: &str) -> Result<String, Failure> {
    let out = c
        .get_service_setting()
        .setting_id(id)
        .send()
        .await
        .map_err(|e| classify(&e, "ssm:GetServiceSetting"))?;
    Ok(out
        .service_setting()
        .and_then(|s| s.setting_value())
        .unwrap_or("")
        .to_string())
}

/// The account's hybrid-node tier: `standard` or `advanced`.
pub async fn activation_tier(c: &Client) -> Result<String, Failure> {
    service_setting(c, ACTIVATION_TIER).await
}

pub async fn dhmc(c: &Client) -> Result<DhmcSetting, Failure> {
    let value = service_setting(c, DHMC_SETTING).await?;
    let value = value.as_str();
    // An unset setting reads `$None`.
    let role_name = (!value.is_empty() && value != "$None")
        .then(|| value.rsplit('/').next().unwrap_or(value).to_string());
    Ok(DhmcSetting { role_name })
}

pub async fn preferences(c: &Client) -> Result<SessionPreferences, Failure> {
    let out = match c.get_document().name(PREFERENCES).send().await {
        Ok(out) => out,
        Err(e) => {
            return match classify(&e, "ssm:GetDocument") {
                // Nobody saved preferences in this region: the defaults are a known fact.
                Failure::Fact(Unavailable::NotFound { .. }) => Ok(SessionPreferences::default()),
                other => Err(other),
            };
        }
    };
    // An unreadable document is not "no preferences": logging or KMS may be on, so the fact is an error.
    let doc: serde_json::Value = out
        .content()
        .and_then(|c| serde_json::from_str(c).ok())
        .ok_or_else(|| {
            Failure::Fact(Unavailable::Error {
                message: format!("{PREFERENCES} is not a JSON document"),
            })
        })?;
    let mut prefs = parse_preferences(&doc);
    prefs.document_type = out.document_type().map(|t| t.as_str().to_string());
    Ok(prefs)
}

/// Reads the `inputs` of a preferences document; absent or empty settings are off.
pub fn parse_preferences(doc: &serde_json::Value) -> SessionPreferences {
    let inputs = &doc["inputs"];
    let text = |k: &str| {
        inputs[k]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let flag = |k: &str| match &inputs[k] {
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let profile = &inputs["shellProfile"];
    SessionPreferences {
        document_exists: true,
        s3_bucket: text("s3BucketName"),
        s3_key_prefix: text("s3KeyPrefix"),
        s3_encryption_enabled: flag("s3EncryptionEnabled"),
        cloudwatch_log_group: text("cloudWatchLogGroupName"),
        cloudwatch_encryption_enabled: flag("cloudWatchEncryptionEnabled"),
        cloudwatch_streaming_enabled: flag("cloudWatchStreamingEnabled"),
        kms_key_id: text("kmsKeyId"),
        run_as_enabled: flag("runAsEnabled"),
        shell_profile_enabled: ["linux", "windows"]
            .iter()
            .any(|os| profile[os].as_str().is_some_and(|s| !s.trim().is_empty())),
        run_as_default_user: text("runAsDefaultUser"),
        document_type: None,
        session_type: doc["sessionType"].as_str().map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_preferences_document() {
        let p = parse_preferences(
            &json!({"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {
            "s3BucketName": "logs", "s3EncryptionEnabled": true, "cloudWatchLogGroupName": "",
            "cloudWatchStreamingEnabled": "true", "kmsKeyId": "alias/ssm", "shellProfile": {"linux": "exec bash", "windows": ""}}}),
        );
        assert!(p.document_exists);
        assert_eq!(p.s3_bucket.as_deref(), Some("logs"));
        assert_eq!(p.cloudwatch_log_group, None);
        assert!(
            p.cloudwatch_streaming_enabled && p.s3_encryption_enabled && p.shell_profile_enabled
        );
        assert_eq!(p.kms_key_id.as_deref(), Some("alias/ssm"));
        assert!(!p.run_as_enabled);
        assert_eq!(p.run_as_default_user, None);
        assert_eq!(p.session_type.as_deref(), Some("Standard_Stream"));
    }

    #[test]
    fn reads_run_as() {
        let p = parse_preferences(
            &json!({"inputs": {"runAsEnabled": true, "runAsDefaultUser": "ec2-user"}}),
        );
        assert!(p.run_as_enabled);
        assert_eq!(p.run_as_default_user.as_deref(), Some("ec2-user"));
        assert_eq!(p.session_type, None);
    }
}
