//! The SSM Agent: registered, online, and new enough for the mode.

use super::minimums::{judge, Minimum};
use super::{Check, Outcome, Verdict};
use crate::options::Mode;
use crate::version::Version4;

pub fn online(c: &Check) -> Verdict {
    let reg = c.facts.registration.need("the agent's registration")?;
    let id = &c.facts.target.id;
    let stopped = c
        .facts
        .instance
        .value()
        .is_some_and(|i| i.state != "running");
    if !reg.registered {
        let out = Outcome::fail(format!(
            "Systems Manager does not list {id} as a managed node"
        ))
        .evidence(format!(
            "ssm:DescribeInstanceInformation returned nothing for {id}"
        ));
        return Ok(if stopped {
            out.note("Stopped instances are not listed; start it first (see instance-running).")
        } else {
            out.remedy(
                "The agent has never registered, or not since it was stopped. With the role, network and agent checks \
                 above passing, look at the host: is the amazon-ssm-agent service running, is there a proxy or OS \
                 firewall in the way, a full disk? Right after creating resources, give it a few minutes or reboot the instance.",
            )
        });
    }
    let status = reg.ping_status.as_deref().unwrap_or("unknown");
    let last = reg
        .last_ping
        .as_deref()
        .map(|t| format!(", last ping {t}"))
        .unwrap_or_default();
    let evidence = format!("PingStatus {status}{last}");
    Ok(match status {
        "Online" => Outcome::pass(format!("the agent on {id} is online")).evidence(evidence),
        "ConnectionLost" => Outcome::fail(format!("the agent on {id} has lost its connection to Systems Manager"))
            .evidence(evidence)
            .remedy(
                "With role and network correct, the cause is on the host: the agent stopped, an OS firewall or proxy, \
                 a full disk, or starved CPU/memory. Restart the agent (`sudo systemctl restart amazon-ssm-agent`, \
                 `Restart-Service AmazonSSMAgent`) from the console or EC2 Serial Console, or reboot the instance.",
            ),
        other => Outcome::fail(format!("the agent on {id} is not online ({other})"))
            .evidence(evidence)
            .remedy("Start the instance and the agent; an Inactive node has not pinged for a long time."),
    })
}

pub fn version(c: &Check) -> Verdict {
    let reg = c.facts.registration.need("the agent's registration")?;
    let Some(text) = reg.agent_version.as_deref() else {
        return Ok(Outcome::unknown(
            "Systems Manager reports no agent version (the node is not registered)",
        ));
    };
    let Some(have) = c.agent_version() else {
        return Ok(Outcome::unknown(format!(
            "the agent version `{text}` is not a dotted version"
        )));
    };
    let mut mins = vec![Minimum {
        version: Version4::new(2, 3, 68, 0),
        topic: "Session Manager",
        source: "AWS prerequisites page",
    }];
    match c.options.mode {
        Mode::Shell => {}
        // AWS's pages disagree: the start-session and SSH pages ask 2.3.672.0, the prerequisites page 3.0.222.0.
        Mode::Ssh => {
            mins.push(Minimum {
                version: Version4::new(2, 3, 672, 0),
                topic: "SSH",
                source: "AWS start-session and SSH pages",
            });
            mins.push(Minimum {
                version: Version4::new(3, 0, 222, 0),
                topic: "SSH",
                source: "AWS prerequisites page",
            });
        }
        Mode::Port => {
            mins.push(Minimum {
                version: Version4::new(2, 3, 672, 0),
                topic: "port forwarding",
                source: "article port-forwarding-howto; AWS start-session page",
            });
            if c.options.port == Some(3389) {
                mins.push(Minimum {
                    version: Version4::new(2, 3, 701, 0),
                    topic: "port forwarding",
                    source: "article rdp-requirements, for RDP",
                });
            }
            mins.push(Minimum {
                version: Version4::new(3, 0, 222, 0),
                topic: "port forwarding",
                source: "AWS prerequisites page",
            });
        }
        Mode::RemotePort => mins.push(Minimum {
            version: Version4::new(3, 1, 1374, 0),
            topic: "remote-host port forwarding",
            source: "AWS start-session page",
        }),
    }
    // KMS encryption, shell profiles and CloudWatch streaming serve shell sessions only.
    if let Some(prefs) = c
        .facts
        .session_preferences
        .value()
        .filter(|_| c.options.mode.is_shell())
    {
        if prefs.kms_key_id.is_some() {
            mins.push(Minimum {
                version: Version4::new(2, 3, 539, 0),
                topic: "KMS encryption",
                source: "AWS prerequisites page",
            });
        }
        if prefs.shell_profile_enabled {
            mins.push(Minimum {
                version: Version4::new(3, 0, 161, 0),
                topic: "shell profiles",
                source: "AWS prerequisites page",
            });
        }
        if prefs.cloudwatch_streaming_enabled {
            mins.push(Minimum {
                version: Version4::new(3, 0, 284, 0),
                topic: "CloudWatch streaming",
                source: "AWS prerequisites page",
            });
        }
    }
    let remedy = format!(
        "Update the agent with Run Command: `aws ssm send-command --document-name AWS-UpdateSSMAgent --targets Key=InstanceIds,Values={} --region {}`",
        c.facts.target.id, c.facts.target.region
    );
    Ok(judge("SSM Agent", have, &mins, &remedy))
}
