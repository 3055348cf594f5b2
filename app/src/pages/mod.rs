//! Routed pages: each loads its data through server functions and hands plain values to components.

pub mod account;
pub mod admin_audit;
pub mod admin_tokens;
pub mod admin_users;
pub mod board;
pub mod calendar_feed;
pub mod experiment;
pub mod experiment_list;
pub mod learnings;
pub mod login;
pub mod new_experiment;
pub mod not_found;
pub mod program;
pub mod program_list;
pub mod review;
pub mod settings;
pub mod warehouse_settings;

use std::future::Future;

use leptos::prelude::Resource;
use serde::{de::DeserializeOwned, Serialize};

use crate::api::codec::ValueJson;

/// A page's data: `Resource::new`, read back in the browser through `api::codec::from_text` like
/// every server function's response, so each type needs no JSON parser of its own in the bundle.
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, ValueJson>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}
