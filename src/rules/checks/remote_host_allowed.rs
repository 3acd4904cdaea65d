//! `remote-host-allowed`: The agent will forward to the remote host (`rules/remote-host-allowed.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::remote_host::{
    refused, remote_addresses, remote_host, CONFIGURABLE, REFUSES_LOOPBACK,
};
use crate::rules::shared::Check;
use std::net::IpAddr;

pub fn check(c: &Check) -> Verdict {
    let host = remote_host(c)?;
    let addresses = remote_addresses(c, &host)?;
    let mut refusals = Vec::new();
    let mut undecided = Vec::new();
    for ip in &addresses {
        match refused(c, *ip) {
            Ok(Some(why)) => refusals.push(why),
            Ok(None) => {}
            Err(why) => undecided.push(why),
        }
    }
    if !refusals.is_empty() {
        return Ok(Outcome::fail(format!("the agent will refuse it: {}", refusals.join("; ")))
            .note("The session then fails with `Forwarding to IP address … is forbidden`.")
            .note(CONFIGURABLE)
            .remedy(if addresses.iter().any(|ip| ip.is_loopback()) {
                "For a port on the instance itself use plain port forwarding (`--mode port`, AWS-StartPortForwardingSession)."
            } else {
                "Forward to the host's own address instead."
            }));
    }
    let listed = addresses
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let resolved = if listed == host {
        format!("{host} is on no deny list of the agent")
    } else {
        format!("{host} → {listed}, on no deny list of the agent")
    };
    if !undecided.is_empty() {
        return Ok(Outcome::unknown(format!(
            "cannot tell whether the agent forwards to {host}: {}",
            undecided.join("; ")
        ))
        .evidence(resolved)
        .needs("ec2:DescribeVpcs"));
    }
    let mut out = Outcome::pass(format!("the agent forwards to {host}"))
        .evidence(resolved)
        .note(CONFIGURABLE);
    if addresses.iter().any(IpAddr::is_loopback) {
        out = out.note(format!(
            "Agents from {REFUSES_LOOPBACK} refuse loopback: updating the agent will break this; use --mode port for the instance's own ports."
        ));
    }
    Ok(out)
}
