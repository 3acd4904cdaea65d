//! Which targets a run checks: ids, EC2 filters, or everything in the regions. A leaf, like `options`: the
//! command line builds it, gathering reads it.

/// The targets of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Instance (`i-…`) and managed-node (`mi-…`) ids, in the order given.
    Ids(Vec<String>),
    /// `DescribeInstances` filters, all of which must match; instances that are terminated or shutting down are
    /// left out unless a filter names `instance-state-name`.
    Filters(Vec<Ec2Filter>),
    /// Every instance that is not terminated, and every managed node `DescribeInstanceInformation` lists.
    All,
}

/// One `DescribeInstances` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ec2Filter {
    pub name: String,
    pub values: Vec<String>,
}

impl std::str::FromStr for Ec2Filter {
    type Err = String;

    /// The aws CLI's shorthand: `Name=tag:Env,Values=prod,staging` (either order).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = || {
            format!(
                "`{s}` is not a filter: write Name=NAME,Values=V1,V2 (as the aws CLI's --filters)"
            )
        };
        let (name, values) = if let Some(rest) = s.strip_prefix("Name=") {
            rest.split_once(",Values=").ok_or_else(usage)?
        } else if let Some(rest) = s.strip_prefix("Values=") {
            let (values, name) = rest.split_once(",Name=").ok_or_else(usage)?;
            (name, values)
        } else {
            return Err(usage());
        };
        let values: Vec<String> = values
            .split(',')
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect();
        if name.is_empty() || name.contains(',') || values.is_empty() {
            return Err(usage());
        }
        Ok(Ec2Filter {
            name: name.to_string(),
            values,
        })
    }
}

/// `i-` with 8 or 17 hex digits, or `mi-` with 17.
pub fn valid_target(id: &str) -> bool {
    let hex = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    };
    match (id.strip_prefix("i-"), id.strip_prefix("mi-")) {
        (Some(rest), _) => (rest.len() == 8 || rest.len() == 17) && hex(rest),
        (_, Some(rest)) => rest.len() == 17 && hex(rest),
        _ => false,
    }
}

/// [`valid_target`] as an error saying what an id looks like: every entry point refuses a bad id with it before
/// anything else runs.
pub fn validate_target(id: &str) -> Result<(), String> {
    if valid_target(id) {
        Ok(())
    } else {
        Err(format!(
            "`{id}` is not an instance id (i-0123456789abcdef0) or a hybrid node id (mi-0123456789abcdef0)"
        ))
    }
}

/// Whether the id names a hybrid (on-premises or other cloud) managed node rather than an EC2 instance.
pub fn is_hybrid(id: &str) -> bool {
    id.starts_with("mi-")
}

/// How people name an instance when they do not have its id: the filter that finds it with one
/// `DescribeInstances` call — a private IPv4 address (`private-ip-address`, or `ip-address` for a public one), a DNS
/// name (`private-dns-name`, `dns-name`), else a `Name` tag value (`tag:Name`, with `*` wildcards as EC2 takes them).
/// Something that looks like an id but is not one is refused, never looked up as a name.
pub fn name_filter(target: &str) -> Result<Ec2Filter, String> {
    // A target that starts like an id is a broken id, never a name to look for.
    if target.starts_with("i-") || target.starts_with("mi-") {
        return validate_target(target).map(|_| unreachable_id(target));
    }
    // The characters AWS documents for tag values (letters, digits, spaces, `_ . : / = + - @`), and `*` for
    // EC2's wildcards: nothing a shell or a terminal would read otherwise.
    let allowed = |c: char| c.is_alphanumeric() || " _.:/=+-@*".contains(c);
    if target.is_empty() || target.len() > 255 || !target.chars().all(allowed) {
        return Err(format!(
            "`{}` is not an instance id, an address, a DNS name or a Name tag",
            target.escape_debug()
        ));
    }
    let filter = |name: &str| Ec2Filter {
        name: name.to_string(),
        values: vec![target.to_string()],
    };
    Ok(match target.parse::<std::net::Ipv4Addr>() {
        Ok(ip) if ip.is_private() || is_shared_space(ip) => filter("private-ip-address"),
        Ok(_) => filter("ip-address"),
        Err(_) if target.ends_with(".internal") => filter("private-dns-name"),
        Err(_) if target.ends_with(".amazonaws.com") => filter("dns-name"),
        Err(_) => filter("tag:Name"),
    })
}

/// Only reached for a valid id, which callers look up by id instead.
fn unreachable_id(id: &str) -> Ec2Filter {
    Ec2Filter {
        name: "instance-id".into(),
        values: vec![id.to_string()],
    }
}

/// 100.64.0.0/10, which VPCs may use privately (carrier-grade NAT space).
fn is_shared_space(ip: std::net::Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    a == 100 && (64..128).contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_the_filter_that_finds_them() {
        let of = |t: &str| name_filter(t).map(|f| f.name);
        assert_eq!(of("web-1").unwrap(), "tag:Name");
        assert_eq!(of("web-*").unwrap(), "tag:Name");
        assert_eq!(of("10.0.1.15").unwrap(), "private-ip-address");
        assert_eq!(of("100.64.3.4").unwrap(), "private-ip-address");
        assert_eq!(of("54.1.2.3").unwrap(), "ip-address");
        assert_eq!(of("ip-10-0-1-15.ec2.internal").unwrap(), "private-dns-name");
        assert_eq!(
            of("ec2-54-1-2-3.compute-1.amazonaws.com").unwrap(),
            "dns-name"
        );
        // A broken id is an error, not a Name to look for.
        assert!(of("i-0123").unwrap_err().contains("is not an instance id"));
        assert!(of("bad\x1bname").is_err());
        assert!(of("i-0123;touch x")
            .unwrap_err()
            .contains("is not an instance id"));
        assert!(of("web;touch x").is_err());
        assert_eq!(of("i-0123456789abcdef0").unwrap(), "instance-id");
    }

    #[test]
    fn instance_ids() {
        assert!(valid_target("i-0123456789abcdef0"));
        assert!(valid_target("i-1234abcd"));
        assert!(valid_target("mi-0123456789abcdef0"));
        assert!(!valid_target("i-0123456789ABCDEF0"));
        assert!(!valid_target("i-0123"));
        assert!(!valid_target("mi-1234abcd"));
        assert!(!valid_target("0123456789abcdef0"));
        assert!(!valid_target("i-0123456789abcdefg"));
        assert!(validate_target("mi-0123456789abcdef0").is_ok());
        assert!(validate_target("web-1")
            .unwrap_err()
            .starts_with("`web-1` is not an instance id"));
    }

    #[test]
    fn filters_in_the_aws_cli_shorthand() {
        let f: Ec2Filter = "Name=tag:Env,Values=prod,staging".parse().unwrap();
        assert_eq!(f.name, "tag:Env");
        assert_eq!(f.values, ["prod", "staging"]);
        let g: Ec2Filter = "Values=running,Name=instance-state-name".parse().unwrap();
        assert_eq!(g.name, "instance-state-name");
        assert_eq!(g.values, ["running"]);
        for bad in [
            "tag:Env=prod",
            "Name=tag:Env",
            "Name=,Values=x",
            "Name=a,Values=",
        ] {
            assert!(bad.parse::<Ec2Filter>().is_err(), "{bad}");
        }
    }
}
