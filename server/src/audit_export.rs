//! The audit log as CSV (`GET /admin/audit.csv`, the admin page's filters), one row per changed
//! field, so a spreadsheet can filter by field as well as by who and when. Admins only: the auth
//! middleware already refuses others under /admin, and this handler checks again, since the log
//! shows every change anyone made.

use app::domain::account::{Identity, Role};
use app::domain::audit::AuditFilterForm;
use app::error::AppError;
use app::state::AppState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;

/// More than a spreadsheet wants; a bigger export is a sign to narrow the filters.
const MAX_ENTRIES: i64 = 100_000;

const HEADER: [&str; 11] = [
    "id",
    "at",
    "actor",
    "actor_user_id",
    "actor_token_id",
    "action",
    "entity_type",
    "entity_key",
    "field",
    "before",
    "after",
];

pub async fn audit_csv(
    State(state): State<AppState>,
    who: Option<Extension<Identity>>,
    Query(filter): Query<AuditFilterForm>,
) -> Response {
    let Some(Extension(who)) = who else {
        return AppError::Unauthorized.into_response();
    };
    if !who.can(Role::Admin) {
        return app::auth::forbidden(who.role, Role::Admin).into_response();
    }
    let query = match filter.parse() {
        Ok(q) => q,
        Err(errors) => return AppError::Invalid(errors).into_response(),
    };
    let entries = match app::db::audit::list(&state.pool, &query, MAX_ENTRIES).await {
        Ok(entries) => entries,
        Err(e) => return e.into_response(),
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut write = || -> Result<(), csv::Error> {
        out.write_record(HEADER)?;
        for e in &entries {
            let id = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            let head = [
                e.id.to_string(),
                e.at.to_rfc3339(),
                e.actor.clone(),
                id(e.actor_user_id),
                id(e.actor_token_id),
                e.action.clone(),
                e.entity_type.clone(),
                e.entity_key.clone(),
            ];
            for change in &e.changes {
                let value = |v: &Option<String>| v.clone().unwrap_or_default();
                crate::csv_cell::write_record(
                    &mut out,
                    head.iter().cloned().chain([
                        change.field.clone(),
                        value(&change.before),
                        value(&change.after),
                    ]),
                )?;
            }
        }
        Ok(())
    };
    if let Err(e) = write() {
        return AppError::internal("audit csv", e).into_response();
    }
    let body = match out.into_inner() {
        Ok(body) => body,
        Err(e) => return AppError::internal("audit csv", e).into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"verdict-audit.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}
