//! The caller's side: who the caller is as IAM sees it, and — when IAM's simulator may not be used — what the
//! caller's own policy documents allow, evaluated locally.

mod local;
mod principal;

pub use local::{document_arn, evaluate_locally, LOCAL_LIMITATIONS};
pub use principal::{Principal, PrincipalKind};
