//! Network evaluation from the facts, as AWS evaluates it: routes by longest prefix, security groups as
//! stateful allow-lists, network ACLs as stateless first-match lists. No packet is ever sent.

pub mod nacl;
pub mod path;
pub mod ports;
pub mod route;
pub mod sg;

/// The other end of a flow, as a rule entry would see it.
#[derive(Debug, Clone, Default)]
pub struct Peer<'a> {
    /// A concrete address; `None` with `internet` for "any public address".
    pub ip: Option<std::net::IpAddr>,
    /// Any address outside the VPC: only entries for every address (`0.0.0.0/0`, `::/0`) certainly match it.
    pub internet: bool,
    /// The peer's security groups (for SG references).
    pub groups: &'a [String],
    /// The peer is a service behind this prefix list (e.g. S3 through a gateway endpoint).
    pub prefix_list: Option<&'a str>,
}

impl Peer<'_> {
    pub fn describe(&self) -> String {
        match (self.ip, self.prefix_list) {
            (Some(ip), _) => ip.to_string(),
            (None, Some(pl)) => pl.to_string(),
            (None, None) => "the internet".to_string(),
        }
    }
}

/// Does a rule's CIDR cover the peer? Never across address families: "the internet" here is the services'
/// public IPv4 endpoints, which `::/0` does not cover.
pub(crate) fn cidr_covers(net: &ipnet::IpNet, peer: &Peer) -> bool {
    match peer.ip {
        Some(ip) => net.contains(&ip),
        None => peer.internet && net.prefix_len() == 0 && matches!(net, ipnet::IpNet::V4(_)),
    }
}

/// The subnet whose range holds `ip`.
pub fn subnet_of(
    subnets: &[crate::facts::Subnet],
    ip: std::net::IpAddr,
) -> Option<&crate::facts::Subnet> {
    subnets.iter().find(|s| {
        s.cidr_block.is_some_and(|c| c.contains(&ip))
            || s.ipv6_cidr_blocks.iter().any(|c| c.contains(&ip))
    })
}

/// `tcp` in its spellings; `-1`/`all` matches every protocol.
pub(crate) fn protocol_matches_tcp(protocol: &str) -> bool {
    matches!(
        protocol.to_ascii_lowercase().as_str(),
        "-1" | "all" | "tcp" | "6"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_never_cover_each_other() {
        let any4: ipnet::IpNet = "0.0.0.0/0".parse().unwrap();
        let any6: ipnet::IpNet = "::/0".parse().unwrap();
        let v4 = Peer {
            ip: "10.0.1.5".parse().ok(),
            ..Default::default()
        };
        let v6 = Peer {
            ip: "2001:db8::5".parse().ok(),
            ..Default::default()
        };
        let internet = Peer {
            internet: true,
            ..Default::default()
        };
        assert!(cidr_covers(&any4, &v4) && !cidr_covers(&any6, &v4));
        assert!(cidr_covers(&any6, &v6) && !cidr_covers(&any4, &v6));
        assert!(cidr_covers(&any4, &internet) && !cidr_covers(&any6, &internet));
        let narrow: ipnet::IpNet = "52.0.0.0/8".parse().unwrap();
        assert!(
            !cidr_covers(&narrow, &internet),
            "a partial range does not certainly cover the internet"
        );
    }
}
