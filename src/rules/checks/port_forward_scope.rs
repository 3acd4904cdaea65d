//! `port-forward-scope`: Port forwarding reaches a port on the instance itself (`rules/port-forward-scope.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let port = c.options.port_or_default();
    if let Some(host) = &c.options.remote_host {
        return Ok(Outcome::fail(format!(
            "AWS-StartPortForwardingSession reaches only ports on the instance itself, not {host}"
        ))
        .remedy(format!(
            "Use remote-host port forwarding (document AWS-StartPortForwardingSessionToRemoteHost with host={host}), \
             or SSH over Session Manager with ssh -L:\n\
             ssm-check connect {} --mode remote-port --remote-host {host} --port {port}",
            c.facts.target.id
        )));
    }
    let mut out = Outcome::pass(format!(
        "forwards to port {port} on the instance itself (like `ssh -L {port}:localhost:{port}`): the service must listen there"
    ));
    if port == 3389
        && c.facts
            .instance
            .value()
            .is_some_and(|i| i.platform.as_deref() != Some("windows"))
    {
        out = Outcome::warn(
            "port 3389 is RDP, but the instance is not Windows: is anything listening on it?",
        );
    }
    Ok(out)
}
