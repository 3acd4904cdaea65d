//! What several rules share: the context a rule sees (`Check`) and the questions asked of it in one place —
//! which role the agent uses, which services the session needs and how the instance reaches them, the
//! network ACLs on the way, the caller's permissions, the remote host of remote-host forwarding — and one
//! collector for what a rule finds.

pub mod acl;
pub mod agent_calls;
pub mod agent_role;
pub mod commands;
mod context;
pub mod deny_layers;
pub mod findings;
pub mod images;
pub mod jit;
pub mod kms;
pub mod minimums;
pub mod needs;
pub mod offline;
pub mod paths;
pub mod permissions;
pub mod remote_host;
pub mod role_policies;

pub use context::Check;
