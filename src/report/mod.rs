//! The report's public formats, apart from the engine: each version is a frozen contract with types of its own,
//! converted from `crate::rules::Report`, so renaming an internal type cannot change a published format.

pub mod fleet;
pub mod v1;
