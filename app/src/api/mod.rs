//! Server functions: public HTTP endpoints. Each one parses its input into domain types, calls
//! the domain and `db`, and maps errors to `AppError`; no rules live here.

pub mod experiments;
pub mod results;
#[cfg(feature = "ssr")]
pub mod markdown;
