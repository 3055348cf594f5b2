//! Server functions for accounts and API tokens (the admin pages) and for who is signed in.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

use crate::api::codec::JsonOut;

use crate::domain::account::{Identity, NewAccount, Role, TokenSummary, UserSummary};
use crate::error::AppError;

/// A token just created: its secret is in this response and nowhere else, ever.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: TokenSummary,
    pub secret: String,
}

/// Who is signed in. Before sign-in (the login page renders the layout in-process, without an
/// identity) it is refused like every other function, and the layout shows no navigation.
#[server(output = JsonOut, input = Json, endpoint = "whoami")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn whoami() -> Result<Option<Identity>, AppError> {
    Ok(Some(crate::auth::Viewer::check()?.into_identity()))
}

#[server(output = JsonOut, input = Json, endpoint = "list_users")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            crate::db::accounts::list_users(&crate::state::pool(&who)?).await
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "add_user")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn add_user(account: NewAccount, role: Role) -> Result<UserSummary, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            let pool = crate::state::pool(&who)?;
            crate::db::accounts::create_user(&pool, &account, role, chrono::Utc::now()).await
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "update_user")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn update_user(id: i64, role: Role, disabled: bool) -> Result<UserSummary, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            let pool = crate::state::pool(&who)?;
            crate::db::accounts::update_user(&pool, id, role, disabled, chrono::Utc::now()).await
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "list_tokens")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn list_tokens() -> Result<Vec<TokenSummary>, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            crate::db::accounts::list_tokens(&crate::state::pool(&who)?).await
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "create_token")]
#[middleware(crate::auth::Gate::ADMINS)]
/// A token owned by the admin creating it: it never exceeds their role, and stops working if
/// they are disabled or demoted. `expires_days` None: never expires.
pub async fn create_token(
    name: String,
    role: Role,
    expires_days: Option<u32>,
) -> Result<CreatedToken, AppError> {
    crate::api::with_status(
        async move {
            let admin = crate::auth::Admin::check()?;
            let pool = crate::state::pool(&admin)?;
            let (token, secret) = crate::db::accounts::create_token(
                &pool,
                &name,
                role,
                crate::db::accounts::TokenOwner::Account(admin.identity()),
                expires_days,
                chrono::Utc::now(),
            )
            .await?;
            Ok(CreatedToken { token, secret })
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "revoke_token")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn revoke_token(id: i64) -> Result<TokenSummary, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            let pool = crate::state::pool(&who)?;
            crate::db::accounts::revoke_token(&pool, id, chrono::Utc::now()).await
        }
        .await,
    )
}

/// Resets someone's password: returns a generated one to show once; they must choose their
/// own at the next sign-in, and every session of theirs ends now.
#[server(output = JsonOut, input = Json, endpoint = "reset_password")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn reset_password(id: i64) -> Result<String, AppError> {
    crate::api::with_status(
        async move {
            let admin = crate::auth::Admin::check()?;
            let pool = crate::state::pool(&admin)?;
            crate::auth::acting_as(
                admin.into_identity(),
                crate::db::sessions::reset_password(&pool, id),
            )
            .await
        }
        .await,
    )
}
