//! Sign-in, sign-out and first-run setup as plain form posts: they work before the wasm has
//! loaded (and without it), and on failure send the person back to the form with an error code
//! the page turns into a message (never free text from the URL, which a crafted link could
//! use to show a convincing fake message).

use std::net::SocketAddr;

use app::domain::account::NewAccount;
use app::error::AppError;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use tower_sessions::Session;

use super::{AuthState, SESSION_USER};

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only a path on this site: `next` comes from the URL and must not send people elsewhere.
pub fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn back_to_login(error: &str, email: &str, next: &str, extra: &str) -> Response {
    Redirect::to(&format!(
        "/login?error={error}&email={}&next={}{extra}",
        encode(email.trim()),
        encode(safe_next(next))
    ))
    .into_response()
}

pub async fn login(
    State(auth): State<AuthState>,
    session: Session,
    address: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<LoginForm>,
) -> Response {
    let address = address.map_or_else(|| "unknown".to_owned(), |a| a.0 .0.ip().to_string());
    if let Err(wait) = auth.limiter.check(&form.email, &address) {
        tracing::warn!(%address, "login rate limit reached");
        let secs = wait.as_secs().max(1);
        return back_to_login("limited", &form.email, &form.next, &format!("&wait={secs}"));
    }
    match app::db::accounts::verify_login(&auth.pool, &form.email, &form.password).await {
        Ok(Some(who)) => {
            // A fresh session id at sign-in, so a planted cookie cannot ride along (fixation).
            let signed_in = async {
                session.cycle_id().await?;
                session.insert(SESSION_USER, who.user_id).await
            }
            .await;
            match signed_in {
                Ok(()) => Redirect::to(safe_next(&form.next)).into_response(),
                Err(e) => {
                    super::refuse("/login", AppError::internal("cannot store the session", e))
                }
            }
        }
        Ok(None) => back_to_login("invalid", &form.email, &form.next, ""),
        Err(e) => super::refuse("/login", e),
    }
}

pub async fn logout(session: Session) -> Response {
    if let Err(e) = session.flush().await {
        return super::refuse("/login", AppError::internal("cannot end the session", e));
    }
    Redirect::to("/login?signed_out=1").into_response()
}

#[derive(Deserialize)]
pub struct SetupForm {
    email: String,
    name: String,
    password: String,
    confirm: String,
}

pub async fn setup(
    State(auth): State<AuthState>,
    session: Session,
    Form(form): Form<SetupForm>,
) -> Response {
    let back = |errors: &str| {
        Redirect::to(&format!(
            "/setup?error={errors}&email={}&name={}",
            encode(form.email.trim()),
            encode(form.name.trim())
        ))
        .into_response()
    };
    if form.password != form.confirm {
        return back("confirm");
    }
    let account = NewAccount {
        email: form.email.clone(),
        name: form.name.clone(),
        password: form.password.clone(),
    };
    match app::db::accounts::create_first_admin(&auth.pool, &account, chrono::Utc::now()).await {
        Ok(admin) => {
            let signed_in = async {
                session.cycle_id().await?;
                session.insert(SESSION_USER, admin.id).await
            }
            .await;
            match signed_in {
                Ok(()) => Redirect::to("/").into_response(),
                Err(e) => {
                    super::refuse("/setup", AppError::internal("cannot store the session", e))
                }
            }
        }
        Err(AppError::Invalid(errors)) => {
            let fields: Vec<String> = errors.into_iter().map(|e| e.field).collect();
            back(&fields.join(","))
        }
        Err(AppError::Conflict(_)) => Redirect::to("/login?error=set_up").into_response(),
        Err(e) => super::refuse("/setup", e),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(
            safe_next("/experiments/x?tab=results"),
            "/experiments/x?tab=results"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad}");
        }
    }
}
