//! A local IAM policy evaluator for identity, boundary and trust policies.
//!
//! It follows AWS's documented evaluation logic for one account: an explicit deny wins, then an allow is
//! needed in the identity policies, and — when a permissions boundary is set — in the boundary as well.
//! What it cannot decide (an unknown condition operator, a context key it was not given) makes the
//! answer `Unknown`, never `Allow`.

mod condition;
mod context;
mod document;
mod evaluate;
mod key_policy;
mod pattern;

pub use context::Context;
pub use document::{Policy, PolicyError, Principal, Statement};
pub use evaluate::{evaluate_identity, evaluate_trust, Evaluation, Request, Source};
pub use key_policy::{evaluate_key_policy, Grant};
pub use pattern::wildcard_match;
