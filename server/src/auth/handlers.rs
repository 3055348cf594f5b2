//! Sign-in, sign-out and first-run setup as plain form posts: they work before the wasm has
//! loaded (and without it), and on failure send the person back to the form with an error code
//! the page turns into a message (never free text from the URL, which a crafted link could
//! use to show a convincing fake message).

use std::net::SocketAddr;

use app::domain::account::NewAccount;
use app::error::AppError;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use tower_sessions::Session;

use app::db::sessions::SecurityEvent;
use app::domain::account::Credential;

use super::AuthState;

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only a path on this site: `next` comes from the URL and must not send people elsewhere.
/// It is resolved against our own origin: anything that could name another host or scheme
/// (`//host`, `/\host`, `https://`, a tab or newline that browsers strip, or the same
/// characters percent-encoded) sends people to `/`.
pub fn safe_next(next: &str) -> &str {
    let unsafe_byte = |c: &u8| *c < 0x20 || *c == 0x7f || *c == b'\\';
    let Ok(decoded) = super::policy::percent_decode(next) else {
        return "/";
    };
    let one_leading_slash = |b: &[u8]| b.first() == Some(&b'/') && b.get(1) != Some(&b'/');
    if next.len() > 2_000
        || !one_leading_slash(next.as_bytes())
        || !one_leading_slash(&decoded)
        || next.as_bytes().iter().any(unsafe_byte)
        || decoded.iter().any(unsafe_byte)
    {
        return "/";
    }
    next
}

/// At most this many bytes of an email are looked at: RFC 5321's limit. Longer ones are
/// refused before the rate limiter and the database, so they cost nothing to send.
pub const MAX_EMAIL_BYTES: usize = 254;

use app::domain::url::encode;

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
    // Oversized input is refused before it touches the limiter's maps, the database or argon2,
    // and is not echoed back into the redirect.
    if form.email.len() > MAX_EMAIL_BYTES
        || form.password.chars().count() > app::domain::account::MAX_PASSWORD_CHARS
    {
        return back_to_login("invalid", "", &form.next, "");
    }
    if let Err(limited) = auth.limiter.check(&form.email, &address) {
        tracing::warn!(%address, "login rate limit reached");
        let secs = match limited {
            super::limiter::Limited::Wait(wait) => wait.as_secs().max(1),
            super::limiter::Limited::Full => 10,
        };
        return back_to_login("limited", &form.email, &form.next, &format!("&wait={secs}"));
    }
    let now = chrono::Utc::now();
    match app::db::accounts::verify_login(&auth.pool, &form.email, &form.password).await {
        Ok(Some(who)) => {
            auth.limiter.signed_in(&form.email, &address);
            let Some(user_id) = who.user_id else {
                return super::refuse("/login", AppError::internal("a user without an id", ""));
            };
            if let Err(e) = super::begin_session(&auth.pool, &session, user_id).await {
                return super::refuse("/login", e);
            }
            record(
                &auth,
                SecurityEvent::SignedIn,
                Some(&who),
                &who.email,
                &address,
                now,
            )
            .await;
            Redirect::to(safe_next(&form.next)).into_response()
        }
        Ok(None) => {
            record(
                &auth,
                SecurityEvent::SignInFailed,
                None,
                form.email.trim(),
                &address,
                now,
            )
            .await;
            back_to_login("invalid", &form.email, &form.next, "")
        }
        Err(AppError::Busy(_)) => {
            tracing::warn!(%address, "sign-in refused: every password-hashing slot is busy");
            back_to_login("busy", &form.email, &form.next, "")
        }
        Err(e) => super::refuse("/login", e),
    }
}

/// Security events are evidence, but failing to write one must not block a sign-in.
async fn record(
    auth: &AuthState,
    event: SecurityEvent,
    who: Option<&app::domain::account::Identity>,
    subject: &str,
    detail: &str,
    now: chrono::DateTime<chrono::Utc>,
) {
    if let Err(e) = app::db::sessions::record(&auth.pool, event, who, subject, detail, now).await {
        tracing::warn!(error = %e, "could not write a security event to the audit log");
    }
}

pub async fn logout(
    State(auth): State<AuthState>,
    session: Session,
    who: Option<Extension<app::domain::account::Identity>>,
) -> Response {
    if let Some(Extension(who)) = &who {
        record(
            &auth,
            SecurityEvent::SignedOut,
            Some(who),
            &who.email,
            "",
            chrono::Utc::now(),
        )
        .await;
    }
    if let Err(e) = session.flush().await {
        return super::refuse("/login", AppError::internal("cannot end the session", e));
    }
    Redirect::to("/login?signed_out=1").into_response()
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

/// Changes the signed-in person's own password (a plain form post from /account). Every other
/// session of theirs ends; this one moves to the new epoch and stays signed in.
pub async fn change_password(
    State(auth): State<AuthState>,
    session: Session,
    who: Option<Extension<app::domain::account::Identity>>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let back = |error: &str| Redirect::to(&format!("/account?error={error}")).into_response();
    let Some(Extension(who)) = who else {
        return super::refuse("/auth/password", AppError::Unauthorized);
    };
    let Some(user_id) = who
        .user_id
        .filter(|_| who.credential == Credential::Session)
    else {
        return super::refuse(
            "/auth/password",
            AppError::Forbidden("sign in with your password to change it (not a token)".into()),
        );
    };
    if form.new != form.confirm {
        return back("confirm");
    }
    match app::auth::acting_as(
        who.clone(),
        app::db::sessions::change_password(&auth.pool, user_id, &form.current, &form.new),
    )
    .await
    {
        Ok(_) => match super::begin_session(&auth.pool, &session, user_id).await {
            Ok(()) => Redirect::to("/account?changed=1").into_response(),
            Err(e) => super::refuse("/auth/password", e),
        },
        // Codes, never free text, in the URL (see the module comment).
        Err(AppError::Invalid(errors)) => back(match errors.first() {
            Some(e) if e.field == "current" => "current",
            Some(e) if e.message.contains("at least") => "short",
            Some(e) if e.message.contains("different") => "same",
            _ => "weak",
        }),
        Err(AppError::Busy(_)) => back("busy"),
        Err(e) => super::refuse("/auth/password", e),
    }
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
    // Once anyone has an account this route does not exist: answered before any hashing, so
    // it cannot be used to make the server hash passwords.
    match app::db::accounts::count_users(&auth.pool).await {
        Ok(0) => {}
        Ok(_) => return (StatusCode::NOT_FOUND, "Verdict is already set up").into_response(),
        Err(e) => return super::refuse("/setup", e),
    }
    if form.password != form.confirm {
        return back("confirm");
    }
    let account = NewAccount {
        email: form.email.clone(),
        name: form.name.clone(),
        password: form.password.clone(),
    };
    match app::db::accounts::create_first_admin(&auth.pool, &account, chrono::Utc::now()).await {
        Ok(admin) => match super::begin_session(&auth.pool, &session, admin.id).await {
            Ok(()) => Redirect::to("/").into_response(),
            Err(e) => super::refuse("/setup", e),
        },
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
        assert_eq!(
            safe_next("/program?team=Growth%20Team"),
            "/program?team=Growth%20Team"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/\\evil",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%0d%0aSet-Cookie:x",
            "/\r\nSet-Cookie:x",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "",
            "javascript:alert(1)",
            "evil.example",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
