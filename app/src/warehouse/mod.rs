//! Results computed inside the team's warehouse: the attribution rules of
//! `domain::attribution` generated as one SQL query (`query/`), run where the events already
//! are (`crate::db::warehouse`, with the other queries), with only per-arm aggregates coming
//! back (`read.rs`) as the same
//! [`Report`](crate::domain::attribution::Report) a file or an API pull makes.
//!
//! The table and column names are checked plain names (`layout.rs`), every value is bound, and
//! what differs between warehouses sits behind [`dialect::Dialect`]. The settings types cross
//! the wire to the settings page, so they compile for both builds; the rest is server-only.

pub mod layout;
pub mod settings;

#[cfg(feature = "ssr")]
pub mod dialect;
#[cfg(feature = "ssr")]
pub mod query;
#[cfg(feature = "ssr")]
pub mod read;

#[cfg(all(test, feature = "ssr"))]
pub(crate) mod test_cluster;
