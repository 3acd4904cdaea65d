//! `client-aws-cli`: The AWS CLI is installed and new enough (`rules/client-aws-cli.toml`).

use crate::options::Mode;
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::minimums::{judge, Minimum};
use crate::rules::shared::Check;
use crate::version::{parse_aws_cli, Version4};

pub fn check(c: &Check) -> Verdict {
    let client = c.facts.client.need("this machine's tools")?;
    let Some(cli) = &client.aws_cli else {
        return Ok(Outcome::fail("the AWS CLI is not installed (no `aws` on PATH)")
            .remedy("Install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"));
    };
    let Some(have) = parse_aws_cli(&cli.version_output) else {
        return Ok(Outcome::unknown(format!(
            "cannot read the version from `{}`",
            cli.version_output.trim()
        )));
    };
    let mut mins = vec![Minimum {
        version: semver::Version::new(1, 16, 12),
        topic: "Session Manager plugin support",
        source: "“Using Session Manager's SSH tunnelling through AssumeRole”, an article in docs/sources.md; AWS plugin page",
    }];
    if matches!(c.options.mode, Mode::Port | Mode::RemotePort) {
        mins.push(Minimum {
            version: semver::Version::new(1, 16, 234),
            topic: "port forwarding",
            source: "“RDP over port forwarding”, an article in docs/sources.md",
        });
    }
    let out = judge_semver("AWS CLI", &have, &mins);
    Ok(out.evidence(format!("{}: {}", cli.path, cli.version_output.trim())))
}

/// semver versions are not Copy; judge on their numeric triple.
fn judge_semver(
    subject: &str,
    have: &semver::Version,
    mins: &[Minimum<semver::Version>],
) -> Outcome {
    let as4 = |v: &semver::Version| Version4::new(v.major, v.minor, v.patch, 0);
    let mins4: Vec<Minimum<Version4>> = mins
        .iter()
        .map(|m| Minimum {
            version: as4(&m.version),
            topic: m.topic,
            source: m.source,
        })
        .collect();
    let mut out = judge(
        subject,
        as4(have),
        &mins4,
        "Update it: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
    );
    // Show the CLI's own three-part form.
    out.message = out
        .message
        .replace(&as4(have).to_string(), &have.to_string());
    out
}
