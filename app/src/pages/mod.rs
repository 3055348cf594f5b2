//! Routed pages: each loads its data through server functions and hands plain values to components.

pub mod board;
pub mod experiment;
pub mod new_experiment;
pub mod not_found;
pub mod settings;
