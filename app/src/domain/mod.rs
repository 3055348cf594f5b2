//! The domain core: lifecycle, briefs, statistics, the decision rule and attribution, in plain
//! Rust. Nothing in here knows about HTTP, Leptos or SQL, so it compiles into the wasm bundle (the
//! brief's live calculator) and is tested by unit tests beside the code. Features that span
//! several files are folders: `program/` (the dashboard's numbers), `review/` (the weekly
//! review), `stats/` (the statistics engine) and `attribution/` (counting exposures).

pub mod account;
pub mod amendment;
pub mod analysis;
pub mod attribution;
pub mod audit;
pub mod board;
pub mod brief;
pub mod decision;
pub mod experiment;
pub mod import;
pub mod learning;
pub mod lifecycle;
pub mod metric;
pub mod period;
pub mod plan;
pub mod program;
pub mod results;
pub mod review;
pub mod signoff;
pub mod stats;
pub mod url;
pub mod verdict;

#[cfg(test)]
pub(crate) mod fixtures;
