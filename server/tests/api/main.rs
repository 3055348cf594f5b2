//! HTTP tests: the real router around a fresh SQLite file per test, driven with `oneshot`.

mod audit;
mod auth;
mod bundle;
mod helpers;
mod import;
mod mixpanel;
mod openapi;
mod page_cache;
mod page_forms;
mod pages;
mod program;
mod rest_v1;
mod security;
mod server_fns;
mod signoffs;
mod stats_api;
mod warehouse;
