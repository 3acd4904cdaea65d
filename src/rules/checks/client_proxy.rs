//! `client-proxy`: No HTTP proxy stands in the way (`rules/client-proxy.toml`).

use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let client = c.facts.client.need("this machine's tools")?;
    if client.proxy_variables.is_empty() {
        return Ok(Outcome::pass("no HTTP proxy is set"));
    }
    Ok(Outcome::warn(format!(
        "{} set: start-session can hang when the proxy does not pass the WebSocket stream to wss://ssmmessages.{}.amazonaws.com",
        client.proxy_variables.join(", "),
        c.facts.target.region
    ))
    .remedy(format!(
        "Let the proxy pass ssm.{0}.amazonaws.com and ssmmessages.{0}.amazonaws.com, or exempt them with NO_PROXY.",
        c.facts.target.region
    )))
}
