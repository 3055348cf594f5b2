//! The domain core: lifecycle, briefs, statistics, the decision rule and attribution, in plain
//! Rust. Nothing in here knows about HTTP, Leptos or SQL, so it compiles into the wasm bundle (the
//! brief's live calculator) and is tested by unit tests beside the code.

pub mod analysis;
pub mod attribution;
pub mod board;
pub mod brief;
pub mod decision;
pub mod experiment;
pub mod import;
pub mod lifecycle;
pub mod metric;
pub mod plan;
pub mod results;
pub mod stats;
pub mod verdict;

#[cfg(test)]
pub(crate) mod fixtures;
