//! Server function for the learnings library.

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::codec::JsonOut;

use crate::domain::learning::{LearningQuery, Learnings};
use crate::error::AppError;

/// How many hits the page shows at most (the database's cap, known to both builds).
pub const LIMIT_SHOWN: i64 = 200;

#[server(output = JsonOut, input = Json, endpoint = "search_learnings")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn search_learnings(query: LearningQuery) -> Result<Learnings, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Viewer::check()?;
            let pool = crate::state::pool(&who)?;
            if query.q.chars().count() > 500 {
                return Err(AppError::invalid(
                    "q",
                    "a search is limited to 500 characters",
                ));
            }
            let hits = crate::db::learnings::search(&pool, &query).await?;
            let (facets, total) = crate::db::learnings::facets(&pool).await?;
            Ok(Learnings {
                hits,
                facets,
                total,
            })
        }
        .await,
    )
}

/// Finished experiments similar to a proposal being typed (same surface, or a shared word in
/// the title), shown beside the form so nobody re-runs last quarter's test unknowingly.
#[server(output = JsonOut, input = Json, endpoint = "similar_experiments")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn similar_experiments(
    title: String,
    surface: String,
) -> Result<Vec<crate::domain::learning::Learning>, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Viewer::check()?;
            let pool = crate::state::pool(&who)?;
            crate::db::learnings::similar(&pool, &title, &surface, 5).await
        }
        .await,
    )
}
