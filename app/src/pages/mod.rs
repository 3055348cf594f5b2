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
