//! Server function for the audit log page (admins only).

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::codec::JsonOut;

use crate::domain::audit::{AuditFilterForm, AuditPage};
use crate::error::AppError;

/// Entries per page of the admin page.
pub const PAGE_SIZE: i64 = 50;

/// One page of the log, newest first, filtered as the form says.
#[server(output = JsonOut, input = Json, endpoint = "list_audit")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn list_audit(filter: AuditFilterForm) -> Result<AuditPage, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            let query = filter.parse().map_err(AppError::Invalid)?;
            let pool = crate::state::pool(&who)?;
            // One more than a page tells whether an older page exists.
            let mut entries = crate::db::audit::list(&pool, &query, PAGE_SIZE + 1).await?;
            let older = if entries.len() as i64 > PAGE_SIZE {
                entries.truncate(PAGE_SIZE as usize);
                entries.last().map(|e| e.id)
            } else {
                None
            };
            let (actors, actions) = crate::db::audit::facets(&pool).await?;
            Ok(AuditPage {
                entries,
                older,
                actors,
                actions,
            })
        }
        .await,
    )
}
