//! Server functions for accounts and API tokens (the admin pages) and for who is signed in.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

use crate::domain::account::{Identity, NewAccount, Role, TokenSummary, UserSummary};
use crate::error::AppError;

/// A token just created: its secret is in this response and nowhere else, ever.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: TokenSummary,
    pub secret: String,
}

/// Who is signed in (None before sign-in, e.g. on the login page).
#[server(input = Json, endpoint = "whoami")]
pub async fn whoami() -> Result<Option<Identity>, AppError> {
    Ok(crate::auth::current())
}

#[server(input = Json, endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    crate::api::with_status(
        async move {
            crate::auth::require(Role::Admin)?;
            crate::db::accounts::list_users(&crate::state::pool()?).await
        }
        .await,
    )
}

#[server(input = Json, endpoint = "add_user")]
pub async fn add_user(account: NewAccount, role: Role) -> Result<UserSummary, AppError> {
    crate::api::with_status(
        async move {
            crate::auth::require(Role::Admin)?;
            let pool = crate::state::pool()?;
            crate::db::accounts::create_user(&pool, &account, role, chrono::Utc::now()).await
        }
        .await,
    )
}

#[server(input = Json, endpoint = "update_user")]
pub async fn update_user(id: i64, role: Role, disabled: bool) -> Result<UserSummary, AppError> {
    crate::api::with_status(
        async move {
            crate::auth::require(Role::Admin)?;
            let pool = crate::state::pool()?;
            crate::db::accounts::update_user(&pool, id, role, disabled, chrono::Utc::now()).await
        }
        .await,
    )
}

#[server(input = Json, endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenSummary>, AppError> {
    crate::api::with_status(
        async move {
            crate::auth::require(Role::Admin)?;
            crate::db::accounts::list_tokens(&crate::state::pool()?).await
        }
        .await,
    )
}

#[server(input = Json, endpoint = "create_token")]
pub async fn create_token(name: String, role: Role) -> Result<CreatedToken, AppError> {
    crate::api::with_status(
        async move {
            let admin = crate::auth::require(Role::Admin)?;
            let pool = crate::state::pool()?;
            let (token, secret) = crate::db::accounts::create_token(
                &pool,
                &name,
                role,
                &admin.name,
                chrono::Utc::now(),
            )
            .await?;
            Ok(CreatedToken { token, secret })
        }
        .await,
    )
}

#[server(input = Json, endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<TokenSummary, AppError> {
    crate::api::with_status(
        async move {
            crate::auth::require(Role::Admin)?;
            let pool = crate::state::pool()?;
            crate::db::accounts::revoke_token(&pool, id, chrono::Utc::now()).await
        }
        .await,
    )
}
