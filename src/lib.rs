//! ssm-check: why can't I open a Systems Manager session to this instance, and what do I change?
//!
//! Three layers: [`facts`] (one serialisable document of everything gathered), [`rules`] (pure functions of the
//! facts) and [`render`] (table, JSON).

pub mod cli;
pub mod facts;
pub mod network;
pub mod policy;
pub mod render;
pub mod report;
pub mod rules;
pub mod version;
