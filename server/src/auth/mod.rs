//! Authentication and access control for every request: resolve who is asking (session cookie
//! or `Authorization: Bearer`), refuse anonymous requests outside the public paths, refuse
//! cross-site writes from browser sessions (CSRF), check the role the path needs, and run the
//! request as that identity (for the audit log). Sessions are `tower-sessions` with its SQLite
//! store: a maintained crate that handles cookie attributes, expiry and id rotation.

pub mod handlers;
pub mod limiter;
pub mod policy;

use std::sync::Arc;

use app::domain::account::Credential;
use app::error::AppError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use sqlx::SqlitePool;
use tower_sessions::cookie::time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

/// The session key holding the signed-in user's id.
pub const SESSION_USER: &str = "user_id";

#[derive(Clone)]
pub struct AuthState {
    pub pool: SqlitePool,
    pub limiter: Arc<limiter::LoginLimiter>,
}

/// Session cookies: HttpOnly, SameSite=Lax, Secure when the app is served over https
/// (`VERDICT_PUBLIC_URL=https://...`), expiring after a week without use.
pub fn session_layer(pool: SqlitePool) -> SessionManagerLayer<SqliteStore> {
    let secure = std::env::var("VERDICT_PUBLIC_URL").is_ok_and(|u| u.starts_with("https://"));
    SessionManagerLayer::new(SqliteStore::new(pool))
        .with_name("verdict_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(Duration::days(7)))
}

/// The bearer secret, if the request carries an Authorization header of that scheme.
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let value = value.to_str().map_err(|_| ());
    Some(value.and_then(|v| {
        let (scheme, secret) = v.trim().split_once(' ').ok_or(())?;
        if scheme.eq_ignore_ascii_case("bearer") && !secret.trim().is_empty() {
            Ok(secret.trim())
        } else {
            Err(())
        }
    }))
}

/// Whether a state-changing browser request comes from our own pages. Browsers send
/// `Sec-Fetch-Site` on every request (and `Origin` on every POST); a request with neither is
/// not from a browser page we served, so it is refused rather than trusted.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin") | Ok("none"));
    }
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => match (origin.to_str(), host.to_str()) {
            (Ok(origin), Ok(host)) => origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
            _ => false,
        },
        _ => false,
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A refusal in the shape the caller reads: server functions decode an `AppError`, the REST API
/// and scripts read `{"error": ...}`, and people get a page.
pub fn refuse(path: &str, error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::FORBIDDEN);
    if path.starts_with("/api/") && !path.starts_with("/api/v1/") {
        return (status, Json(error)).into_response();
    }
    if path.starts_with("/api/") || path.ends_with(".csv") || path.ends_with(".md") {
        return (
            status,
            Json(serde_json::json!({ "error": error.to_string() })),
        )
            .into_response();
    }
    let message = html_escape(&error.to_string());
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Verdict: not allowed</title>\
         <link rel=\"stylesheet\" href=\"/pkg/verdict.css\"></head><body><main class=\"page\">\
         <h1>Not allowed</h1><p>{message}</p><p><a href=\"/\">Back to the board</a></p></main></body></html>"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Where an anonymous person asking for a page is sent: the first-run setup while there are no
/// accounts, else the login page, remembering where they were going.
async fn to_sign_in(pool: &SqlitePool, target: String) -> Response {
    if app::db::accounts::count_users(pool).await.unwrap_or(1) == 0 {
        return Redirect::to("/setup").into_response();
    }
    let next: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
    Redirect::to(&format!("/login?next={next}")).into_response()
}

fn wants_page(req: &Request) -> bool {
    req.method() == Method::GET
        && !req.uri().path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

/// The middleware. Runs for every request, inside the session layer.
pub async fn authenticate(
    State(auth): State<AuthState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let bearer = bearer(req.headers()).map(|b| b.map(str::to_owned));
    let identity = match bearer {
        Some(Err(())) => {
            return refuse(
                &path,
                AppError::Forbidden("the Authorization header must be 'Bearer <token>'".into()),
            )
        }
        Some(Ok(secret)) => {
            match app::db::accounts::identity_for_token(&auth.pool, &secret).await {
                Ok(Some(who)) => Some(who),
                // A wrong or revoked token is refused outright, even on public paths: a script
                // should learn at once that its token stopped working.
                Ok(None) => return refuse(&path, AppError::Unauthorized),
                Err(e) => return refuse(&path, e),
            }
        }
        None => match session.get::<i64>(SESSION_USER).await {
            Ok(Some(id)) => match app::db::accounts::identity_for_user(&auth.pool, id).await {
                Ok(who) => who,
                Err(e) => return refuse(&path, e),
            },
            _ => None,
        },
    };

    // CSRF: a browser (cookie) request that changes state, and the sign-in and setup forms,
    // must come from our own pages. Bearer tokens are exempt: a browser never attaches them on
    // its own.
    let cross_site = is_write(&method) && !same_origin(req.headers());
    let refused = || {
        refuse(
            &path,
            AppError::Forbidden(
                "cross-site request refused: submit the form from Verdict itself".into(),
            ),
        )
    };

    let Some(who) = identity else {
        if policy::is_public(&method, &path) {
            if cross_site {
                return refused();
            }
            return next.run(req).await;
        }
        if wants_page(&req) {
            let target = req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            return to_sign_in(&auth.pool, target).await;
        }
        return refuse(&path, AppError::Unauthorized);
    };

    if cross_site && who.credential == Credential::Session {
        return refused();
    }
    let needed = policy::required_role(&method, &path);
    if !who.can(needed) {
        return refuse(&path, app::auth::forbidden(who.role, needed));
    }
    req.extensions_mut().insert(who.clone());
    app::auth::acting_as(who, next.run(req)).await
}
