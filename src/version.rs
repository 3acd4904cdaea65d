//! Versions as AWS prints them. Agent and plugin versions have four numbers (`3.2.582.0`) and all four count,
//! which `semver` cannot hold; AWS CLI versions have three and are read with `semver`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A dotted version of up to four numbers; missing parts are zero (`2.3.68` = `2.3.68.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version4([u64; 4]);

impl Version4 {
    pub const fn new(a: u64, b: u64, c: u64, d: u64) -> Self {
        Version4([a, b, c, d])
    }
}

impl FromStr for Version4 {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let mut parts = [0u64; 4];
        let mut count = 0;
        for piece in s.split('.') {
            if count == 4 {
                return Err(format!("`{s}` has more than four parts"));
            }
            parts[count] = piece
                .parse()
                .map_err(|_| format!("`{s}` is not a dotted version"))?;
            count += 1;
        }
        if count < 2 {
            return Err(format!("`{s}` is not a dotted version"));
        }
        Ok(Version4(parts))
    }
}

impl Ord for Version4 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for Version4 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

/// Reads the version out of `aws --version` (`aws-cli/2.15.30 Python/3.11.8 …`).
pub fn parse_aws_cli(output: &str) -> Option<semver::Version> {
    let token = output
        .split_whitespace()
        .find_map(|t| t.strip_prefix("aws-cli/"))?;
    semver::Version::parse(token).ok()
}

/// Reads `session-manager-plugin --version`, which prints the bare version.
pub fn parse_plugin(output: &str) -> Option<Version4> {
    output.split_whitespace().find_map(|t| t.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_all_four_parts() {
        let a: Version4 = "3.2.582.0".parse().unwrap();
        let b: Version4 = "3.2.582.1".parse().unwrap();
        assert!(a < b);
        assert!("2.3.722.0".parse::<Version4>().unwrap() > "2.3.701.0".parse().unwrap());
        assert!("2.3.634.0".parse::<Version4>().unwrap() < "2.3.672.0".parse().unwrap());
        assert_eq!(
            "2.3.68".parse::<Version4>().unwrap(),
            Version4::new(2, 3, 68, 0)
        );
    }

    #[test]
    fn rejects_what_is_not_a_version() {
        assert!("latest".parse::<Version4>().is_err());
        assert!("3".parse::<Version4>().is_err());
        assert!("1.2.3.4.5".parse::<Version4>().is_err());
        assert!("1.x.3".parse::<Version4>().is_err());
    }

    #[test]
    fn reads_cli_and_plugin_output() {
        let v2 = parse_aws_cli("aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64").unwrap();
        assert_eq!(v2, semver::Version::new(2, 15, 30));
        let v1 = parse_aws_cli("aws-cli/1.46.3 Python/3.11.7 Linux/6.1 botocore/1.44.5").unwrap();
        assert_eq!(v1, semver::Version::new(1, 46, 3));
        assert_eq!(parse_aws_cli("command not found"), None);
        assert_eq!(
            parse_plugin("1.2.764.0\n"),
            Some(Version4::new(1, 2, 764, 0))
        );
    }
}
