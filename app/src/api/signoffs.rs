//! Server functions for sign-offs, brief amendments and the workspace's sign-off setting.
//!
//! Any signed-in editor may record a sign-off for any of the three roles: Verdict has no
//! per-person functional roles (who is "the designer" changes per team and per test), so the
//! record says who clicked, and the page shows it, rather than pretending to verify a title.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

use crate::api::codec::JsonOut;

use crate::domain::amendment::Amendment;
use crate::domain::brief::Brief;
// `SignOff` is spelled out: the `sign_off` server function below generates its own `SignOff`.
use crate::domain::signoff::{self, SignOffRole, WorkspaceSettings};
use crate::error::AppError;

/// What the experiment page shows about agreement and changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignOffsView {
    pub sign_offs: Vec<signoff::SignOff>,
    /// Oldest first.
    pub amendments: Vec<Amendment>,
    pub settings: WorkspaceSettings,
    /// The caller may sign off and amend (an editor). The page hides the buttons otherwise; the
    /// server checks again on every call.
    pub can_edit: bool,
}

#[server(output = JsonOut, input = Json, endpoint = "get_sign_offs")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn get_sign_offs(key: String) -> Result<SignOffsView, AppError> {
    crate::api::with_status(
        async move {
            use crate::db::{experiments, signoffs as db};
            use crate::domain::account::Role;
            let who = crate::auth::Viewer::check()?;
            let pool = crate::state::pool(&who)?;
            let exp = experiments::by_key(&pool, &key).await?;
            Ok(SignOffsView {
                sign_offs: db::list(&pool, exp.id).await?,
                amendments: db::amendments(&pool, exp.id).await?,
                settings: db::settings(&pool).await?,
                can_edit: who.identity().can(Role::Editor),
            })
        }
        .await,
    )
}

/// Records the caller's sign-off for `role` on the brief as of `version` (the version the signer
/// read: a brief that changed since is a conflict). Signing a role twice keeps the first record.
#[server(output = JsonOut, input = Json, endpoint = "sign_off")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn sign_off(
    key: String,
    version: i64,
    role: SignOffRole,
) -> Result<signoff::SignOff, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            crate::db::signoffs::sign_off(
                &pool,
                &key,
                version,
                role,
                who.identity(),
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "withdraw_sign_off")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn withdraw_sign_off(key: String, role: SignOffRole) -> Result<(), AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            crate::db::signoffs::withdraw(&pool, &key, role).await
        }
        .await,
    )
}

/// Amends a running experiment's brief, edited from `version`, with a written reason; returns
/// the new version. The changed fields are computed on the server from the stored brief.
#[server(output = JsonOut, input = Json, endpoint = "amend_brief")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn amend_brief(
    key: String,
    version: i64,
    brief: Brief,
    reason: String,
) -> Result<i64, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            ssr::amend(
                &pool,
                &key,
                version,
                &brief,
                &reason,
                who.identity(),
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "get_workspace_settings")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn get_workspace_settings() -> Result<WorkspaceSettings, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Viewer::check()?;
            crate::db::signoffs::settings(&crate::state::pool(&who)?).await
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "save_workspace_settings")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn save_workspace_settings(
    settings: WorkspaceSettings,
) -> Result<WorkspaceSettings, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            let pool = crate::state::pool(&who)?;
            crate::db::signoffs::save_settings(&pool, &settings, chrono::Utc::now()).await?;
            crate::db::signoffs::settings(&pool).await
        }
        .await,
    )
}

/// The server-side steps behind `amend_brief`, callable by other entry points (the REST API).
#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::{DateTime, Utc};
    use sqlx::SqlitePool;

    use crate::domain::account::Identity;
    use crate::domain::amendment::{plan_amendment, AmendmentError};
    use crate::domain::brief::Brief;
    use crate::domain::lifecycle::Status;
    use crate::error::AppError;

    pub async fn amend(
        pool: &SqlitePool,
        key: &str,
        version: i64,
        brief: &Brief,
        reason: &str,
        who: &Identity,
        now: DateTime<Utc>,
    ) -> Result<i64, AppError> {
        if brief.notes.len() > crate::api::experiments::ssr::MAX_NOTES_BYTES {
            return Err(AppError::invalid(
                "notes",
                "notes are limited to 20,000 characters",
            ));
        }
        let exp = crate::db::experiments::by_key(pool, key).await?;
        // The changed fields are diffed against the stored brief, so it must be the one the
        // editor started from.
        if exp.status == Status::Running && exp.version != version {
            return Err(AppError::Conflict(format!(
                "someone else changed this experiment since you opened it (you amended version {version}, \
                 it is now version {}). Your edits are still in the form: reload and apply them again.",
                exp.version
            )));
        }
        let plan = plan_amendment(&exp, brief, reason).map_err(refusal)?;
        crate::db::signoffs::amend(pool, &exp, brief, &plan, who, now).await
    }

    /// A refused amendment as the person should see it: a locked brief is a conflict with the
    /// experiment's state, everything else is about what they typed.
    pub fn refusal(e: AmendmentError) -> AppError {
        match e {
            AmendmentError::NotRunning(_) => AppError::Conflict(e.to_string()),
            AmendmentError::ReasonRequired | AmendmentError::ReasonTooLong => {
                AppError::invalid("reason", e.to_string())
            }
            AmendmentError::NothingChanged => AppError::invalid("brief", e.to_string()),
            AmendmentError::InvalidBrief(problems) => AppError::Invalid(problems),
        }
    }
}
