//! Server functions for the warehouse source (admins only): read and save its settings, and
//! test a connection as typed before saving it. The URL goes in and never comes back out.

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::codec::JsonOut;

use crate::error::AppError;
use crate::warehouse::settings::{ProbeView, WarehouseForm, WarehouseView};

#[server(output = JsonOut, input = Json, endpoint = "get_warehouse_settings")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn get_warehouse_settings() -> Result<WarehouseView, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            let pool = crate::state::pool(&who)?;
            Ok(crate::db::warehouse_source::load(&pool)
                .await?
                .map(|s| s.view())
                .unwrap_or_default())
        }
        .await,
    )
}

/// Saves the settings; an empty URL keeps the stored one.
#[server(output = JsonOut, input = Json, endpoint = "save_warehouse_settings")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn save_warehouse_settings(form: WarehouseForm) -> Result<WarehouseView, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            let pool = crate::state::pool(&who)?;
            let stored = crate::db::warehouse_source::load(&pool).await?;
            let settings = ssr::parse(&form, stored.as_ref())?;
            crate::db::warehouse_source::save(&pool, &settings, chrono::Utc::now()).await?;
            tracing::info!(table = %settings.layout.table, "warehouse settings saved");
            Ok(settings.view())
        }
        .await,
    )
}

/// Connects with the form as typed (the stored URL when the field is empty), checks the table
/// and its columns, and counts the last day's events. Saves nothing.
#[server(output = JsonOut, input = Json, endpoint = "test_warehouse")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn test_warehouse(form: WarehouseForm) -> Result<ProbeView, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            let pool = crate::state::pool(&who)?;
            let stored = crate::db::warehouse_source::load(&pool).await?;
            let settings = ssr::parse(&form, stored.as_ref())?;
            ssr::probe(&settings).await
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::time::Duration;

    use crate::db::warehouse::{check_url, probe as run_probe, Target};
    use crate::error::AppError;
    use crate::warehouse::layout::TimeKind;
    use crate::warehouse::settings::{ProbeView, WarehouseForm, WarehouseSettings};

    pub fn parse(
        form: &WarehouseForm,
        stored: Option<&WarehouseSettings>,
    ) -> Result<WarehouseSettings, AppError> {
        let settings = form.parse(stored).map_err(AppError::Invalid)?;
        check_url(settings.url.expose()).map_err(|e| AppError::invalid("url", e.to_string()))?;
        Ok(settings)
    }

    pub async fn probe(settings: &WarehouseSettings) -> Result<ProbeView, AppError> {
        let target = Target {
            url: settings.url.expose(),
            layout: &settings.layout,
            // A test is a count over one day: a minute is plenty.
            timeout: Duration::from_secs(60),
        };
        let now = chrono::Utc::now().timestamp();
        let found = run_probe(&target, now)
            .await
            .map_err(|e| AppError::invalid("connection", e.to_string()))?;
        Ok(ProbeView {
            table: settings.layout.table.to_string(),
            time_kind: match found.time_kind {
                TimeKind::Seconds => "unix seconds".into(),
                TimeKind::Timestamp => "timestamp with time zone".into(),
                TimeKind::LocalTimestamp => "timestamp read as UTC".into(),
            },
            events_last_day: found.events_last_day,
            latest: found
                .latest
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
        })
    }
}
