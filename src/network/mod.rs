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

/// Does a rule's CIDR cover the peer? `Some(false)` also when the families differ.
pub(crate) fn cidr_covers(net: &ipnet::IpNet, peer: &Peer) -> bool {
    match peer.ip {
        Some(ip) => net.contains(&ip),
        None => peer.internet && net.prefix_len() == 0,
    }
}

/// `tcp` in its spellings; `-1`/`all` matches every protocol.
pub(crate) fn protocol_matches_tcp(protocol: &str) -> bool {
    matches!(
        protocol.to_ascii_lowercase().as_str(),
        "-1" | "all" | "tcp" | "6"
    )
}
