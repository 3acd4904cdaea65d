//! `agent-version`: The agent is new enough for the mode (`rules/agent-version.toml`).

use crate::options::Mode;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::minimums::{judge, Minimum};
use crate::rules::shared::Check;
use crate::version::Version4;

pub fn check(c: &Check) -> Verdict {
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
    let mut mins = mode_minimums(c);
    mins.extend(preference_minimums(c));
    let remedy = format!(
        "Update the agent with Run Command:\naws ssm send-command --document-name AWS-UpdateSSMAgent --targets Key=InstanceIds,Values={} --region {}",
        c.facts.target.id, c.facts.target.region
    );
    Ok(judge("SSM Agent", have, &mins, &remedy))
}

/// What Session Manager and the chosen mode need.
fn mode_minimums(c: &Check) -> Vec<Minimum<Version4>> {
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
                source: "“Port forwarding with Session Manager”, an article in docs/sources.md; AWS start-session page",
            });
            if c.options.port == Some(3389) {
                mins.push(Minimum {
                    version: Version4::new(2, 3, 701, 0),
                    topic: "port forwarding",
                    source: "“RDP over port forwarding”, an article in docs/sources.md, for RDP",
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
    mins
}

/// What the session preferences turn on. KMS encryption, shell profiles and CloudWatch streaming serve shell
/// sessions only.
fn preference_minimums(c: &Check) -> Vec<Minimum<Version4>> {
    let mut mins = Vec::new();
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
    mins
}
