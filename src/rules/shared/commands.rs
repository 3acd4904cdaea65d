//! The commands a remedy gives are pasted into a shell as they are: each aws CLI command names the target's
//! region and the profile the facts were gathered with, so it acts on the same account and region.

use crate::facts::Facts;

/// `remedy` with every line that is an aws CLI command completed with `--region` and `--profile` (where they are
/// missing); other lines unchanged.
pub fn complete(remedy: &str, facts: &Facts) -> String {
    let profile = profile(facts);
    remedy
        .lines()
        .map(|line| complete_line(line, &facts.target.region, profile))
        .collect::<Vec<_>>()
        .join("\n")
}

fn complete_line(line: &str, region: &str, profile: Option<&str>) -> String {
    if !line.starts_with("aws ") {
        return line.to_string();
    }
    let has = |flag: &str| line.split_whitespace().any(|w| w == flag);
    let mut out = line.trim_end().to_string();
    if !has("--region") && !region.is_empty() {
        out.push_str(&format!(" --region {region}"));
    }
    if let Some(p) = profile.filter(|_| !has("--profile")) {
        out.push_str(&format!(" --profile {p}"));
    }
    out
}

/// ` --profile P` for a command written inside another (a pipeline), where `complete` cannot see it.
pub fn profile_flag(facts: &Facts) -> String {
    profile(facts)
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default()
}

/// The profile the facts were gathered with; `default` goes without saying.
fn profile(facts: &Facts) -> Option<&str> {
    facts
        .credentials
        .value()
        .and_then(|c| c.profile.as_deref())
        .filter(|p| *p != "default")
}

#[cfg(test)]
mod tests {
    use super::complete_line;

    #[test]
    fn aws_commands_get_the_region_and_the_profile_once() {
        assert_eq!(
            complete_line(
                "aws ec2 start-instances --instance-ids i-1",
                "eu-west-1",
                Some("dev")
            ),
            "aws ec2 start-instances --instance-ids i-1 --region eu-west-1 --profile dev"
        );
        assert_eq!(
            complete_line("aws ec2 x --region us-east-1", "eu-west-1", None),
            "aws ec2 x --region us-east-1"
        );
        assert_eq!(
            complete_line("Start it:", "eu-west-1", Some("dev")),
            "Start it:"
        );
    }
}
