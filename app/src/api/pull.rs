//! Server functions for Mixpanel pulls: start one, watch it, cancel it, and the workspace's
//! Mixpanel settings. The secret goes in and never comes back out.

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::codec::JsonOut;

use crate::error::AppError;
use crate::pull::settings::{SettingsForm, SettingsView};
use crate::pull::PullInfo;

// `crate::pull::PullStatus` is spelled out: `pull_status` below generates its own `PullStatus`.

/// Starts a pull of the experiment's run from Mixpanel; refused while one runs.
#[server(output = JsonOut, input = Json, endpoint = "start_pull")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn start_pull(key: String) -> Result<crate::pull::PullStatus, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            let pulls = crate::state::pulls(&who)?;
            let started =
                crate::pull::runner::start(&pool, &pulls, &key, crate::pull::Trigger::Manual)
                    .await?;
            Ok(started.status)
        }
        .await,
    )
}

/// The experiment's latest pull since the server started, and whether pulling is set up.
#[server(output = JsonOut, input = Json, endpoint = "pull_status")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn pull_status(key: String) -> Result<PullInfo, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Viewer::check()?;
            let pool = crate::state::pool(&who)?;
            let exp = crate::db::experiments::by_key(&pool, &key).await?;
            let configured = crate::db::mixpanel_source::load(&pool).await?.is_some()
                || crate::db::warehouse_source::load(&pool)
                    .await?
                    .is_some_and(|w| w.use_for_pulls);
            let status = crate::state::pulls(&who)?.status(exp.key.as_str());
            Ok(PullInfo { configured, status })
        }
        .await,
    )
}

/// Cancels the experiment's running pull: it stores nothing.
#[server(output = JsonOut, input = Json, endpoint = "cancel_pull")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn cancel_pull(key: String) -> Result<(), AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            let exp = crate::db::experiments::by_key(&pool, &key).await?;
            if crate::state::pulls(&who)?.cancel(exp.key.as_str()) {
                Ok(())
            } else {
                Err(AppError::Conflict(
                    "no pull of this experiment is running".into(),
                ))
            }
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "get_mixpanel_settings")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn get_mixpanel_settings() -> Result<SettingsView, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            let pool = crate::state::pool(&who)?;
            Ok(crate::db::mixpanel_source::load(&pool)
                .await?
                .map(|s| s.view())
                .unwrap_or_default())
        }
        .await,
    )
}

/// Saves the settings; an empty secret keeps the stored one.
#[server(output = JsonOut, input = Json, endpoint = "save_mixpanel_settings")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn save_mixpanel_settings(form: SettingsForm) -> Result<SettingsView, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            let pool = crate::state::pool(&who)?;
            let stored = crate::db::mixpanel_source::load(&pool).await?;
            let settings = form.parse(stored.as_ref()).map_err(AppError::Invalid)?;
            crate::db::mixpanel_source::save(&pool, &settings, chrono::Utc::now()).await?;
            tracing::info!(
                project_id = settings.project_id,
                residency = settings.residency.slug(),
                "Mixpanel settings saved"
            );
            Ok(settings.view())
        }
        .await,
    )
}
