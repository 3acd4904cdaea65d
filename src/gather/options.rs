//! What the caller of `gather` chooses: the session's profile, regions and timeouts, and the run's remote host
//! and concurrency.

use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct GatherOptions {
    pub profile: Option<String>,
    /// The regions to look in; none: the profile's (or `AWS_REGION`'s).
    pub regions: Vec<String>,
    /// The host of remote-host port forwarding, to look up its addresses and security groups.
    pub remote_host: Option<String>,
    /// Per-call timeout (each attempt); the whole run is bounded by the caller.
    pub call_timeout: Option<Duration>,
    /// Lookups of one kind in flight at once (VPCs, profiles); 0 means 8.
    pub concurrency: usize,
}
