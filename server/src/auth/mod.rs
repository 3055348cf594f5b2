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
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use sqlx::SqlitePool;
use tower_sessions::cookie::time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

/// The session keys: the signed-in user's id, the user's session epoch when it began (a
/// password change, reset, role change or disable moves the epoch on and so ends it), and
/// when it began (unix seconds), for the absolute lifetime.
pub const SESSION_USER: &str = "user_id";
pub const SESSION_EPOCH: &str = "epoch";
pub const SESSION_STARTED: &str = "started";

/// A session ends this long after sign-in however active it is (the idle limit is a week).
pub const SESSION_LIFETIME_DAYS: i64 = 30;

/// Starts a signed-in session for `user_id` (a fresh id, so a planted cookie cannot ride
/// along: session fixation).
pub async fn begin_session(
    pool: &SqlitePool,
    session: &Session,
    user_id: i64,
) -> Result<(), AppError> {
    let epoch = app::db::sessions::epoch(pool, user_id).await?;
    let stored = async {
        session.cycle_id().await?;
        session.insert(SESSION_USER, user_id).await?;
        session.insert(SESSION_EPOCH, epoch).await?;
        session
            .insert(SESSION_STARTED, chrono::Utc::now().timestamp())
            .await
    }
    .await;
    stored.map_err(|e| AppError::internal("cannot store the session", e))
}

/// The session's user, if it is signed in, within its lifetime and at its user's epoch. A
/// session that fails any of these is flushed, so its cookie stops working for good.
async fn session_user(
    pool: &SqlitePool,
    session: &Session,
) -> Result<Option<app::db::sessions::SessionUser>, AppError> {
    let Ok(Some(id)) = session.get::<i64>(SESSION_USER).await else {
        return Ok(None);
    };
    let epoch = session.get::<i64>(SESSION_EPOCH).await.ok().flatten();
    let started = session.get::<i64>(SESSION_STARTED).await.ok().flatten();
    let age = started.map(|s| chrono::Utc::now().timestamp() - s);
    let fresh = age.is_some_and(|a| a < SESSION_LIFETIME_DAYS * 86_400);
    let user = match (epoch, fresh) {
        (Some(epoch), true) => app::db::sessions::session_user(pool, id, epoch).await?,
        _ => None,
    };
    if user.is_none() {
        let _ = session.flush().await;
    }
    Ok(user)
}

/// 401 for a token that may not act, with the reason in `WWW-Authenticate` (RFC 6750), and
/// an entry in the audit log naming the token by its first characters only.
async fn refuse_token(
    pool: &SqlitePool,
    path: &str,
    secret: &str,
    refusal: app::db::accounts::TokenRefusal,
) -> Response {
    let shown: String = secret.chars().take(12).collect();
    let _ = app::db::sessions::record(
        pool,
        app::db::sessions::SecurityEvent::TokenRefused,
        None,
        &format!("{shown}…"),
        &format!("{} ({path})", refusal.describe()),
        chrono::Utc::now(),
    )
    .await;
    let mut response = refuse(path, AppError::Unauthorized);
    let challenge = format!(
        "Bearer error=\"invalid_token\", error_description=\"{}\"",
        refusal.describe()
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

#[derive(Clone)]
pub struct AuthState {
    pub pool: SqlitePool,
    pub limiter: Arc<limiter::LoginLimiter>,
    /// When each token's last use was written, so it is written at most once a minute.
    pub token_uses: Arc<std::sync::Mutex<std::collections::HashMap<i64, std::time::Instant>>>,
}

impl AuthState {
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            limiter: Default::default(),
            token_uses: Default::default(),
        }
    }

    /// Records a token's use for the tokens page, at most once a minute per token.
    async fn note_token_use(&self, who: &app::domain::account::Identity) {
        let Some(id) = who.token_id else { return };
        let due = {
            let Ok(mut uses) = self.token_uses.lock() else {
                return;
            };
            let now = std::time::Instant::now();
            let due = uses
                .get(&id)
                .is_none_or(|at| now.duration_since(*at) >= std::time::Duration::from_secs(60));
            if due {
                if uses.len() > 10_000 {
                    uses.clear();
                }
                uses.insert(id, now);
            }
            due
        };
        if due {
            if let Err(e) = app::db::accounts::touch_token(&self.pool, id, chrono::Utc::now()).await
            {
                tracing::warn!(error = %e, "could not note a token's use");
            }
        }
    }
}

/// Session cookies: HttpOnly, SameSite=Lax, Secure when the app is served over https
/// (`VERDICT_PUBLIC_URL=https://...`), expiring after a week without use.
pub fn session_layer(pool: SqlitePool, secure: bool) -> SessionManagerLayer<SqliteStore> {
    SessionManagerLayer::new(SqliteStore::new(pool))
        .with_name("verdict_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(Duration::days(7)))
}

/// Deletes expired sessions from the store every hour for as long as the server runs.
pub fn spawn_session_purge(pool: SqlitePool) {
    use tower_sessions::ExpiredDeletion;
    let store = SqliteStore::new(pool);
    tokio::spawn(async move {
        if let Err(e) = store
            .continuously_delete_expired(tokio::time::Duration::from_secs(3600))
            .await
        {
            tracing::warn!(error = %e, "the expired-session purge stopped");
        }
    });
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
    let status = error.http_status();
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
    let heading = match error {
        AppError::TooLarge(_) => "Too large",
        AppError::Busy(_) => "Busy",
        _ => "Not allowed",
    };
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Verdict: {heading}</title>\
         <link rel=\"stylesheet\" href=\"/pkg/verdict.css\"></head><body><main class=\"page\">\
         <h1>{heading}</h1><p>{message}</p><p><a href=\"/\">Back to the board</a></p></main></body></html>"
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
    let next = app::domain::url::encode(&target);
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
    let mut must_change_password = false;
    let identity = match bearer {
        Some(Err(())) => {
            return refuse(
                &path,
                AppError::Forbidden("the Authorization header must be 'Bearer <token>'".into()),
            )
        }
        Some(Ok(secret)) => {
            match app::db::accounts::identity_for_token(&auth.pool, &secret).await {
                Ok(Ok(who)) => {
                    auth.note_token_use(&who).await;
                    Some(who)
                }
                // A wrong, revoked or expired token is refused outright, even on public paths:
                // a script should learn at once that its token stopped working, and why.
                Ok(Err(refusal)) => return refuse_token(&auth.pool, &path, &secret, refusal).await,
                Err(e) => return refuse(&path, e),
            }
        }
        None => match session_user(&auth.pool, &session).await {
            Ok(Some(user)) => {
                must_change_password = user.must_change_password;
                Some(user.identity)
            }
            Ok(None) => None,
            Err(e) => return refuse(&path, e),
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
    // After an admin's reset, only the account page (to choose a new password), its form,
    // sign-out and the bundle are open.
    if must_change_password
        && !matches!(
            policy::route_path(&path).as_str(),
            "/account" | "/auth/password" | "/auth/logout" | "/api/whoami"
        )
        && !path.starts_with("/pkg/")
    {
        if wants_page(&req) {
            return Redirect::to("/account?must_change=1").into_response();
        }
        return refuse(
            &path,
            AppError::Forbidden("choose a new password at /account first".into()),
        );
    }
    let needed = policy::required_role(&method, &path);
    if !who.can(needed) {
        return refuse(&path, app::auth::forbidden(who.role, needed));
    }
    req.extensions_mut().insert(who.clone());
    app::auth::acting_as(who, next.run(req)).await
}
