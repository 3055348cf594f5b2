//! The identity a server function runs as. The server's auth middleware (server/src/auth)
//! resolves it from the session cookie or the bearer token and puts it in the request's
//! extensions before any route or server function runs; these helpers read it back.

use leptos::prelude::use_context;

use crate::domain::account::{Identity, Role};
use crate::error::AppError;

/// The identity of the request being served, if it is signed in.
pub fn current() -> Option<Identity> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Identity>().cloned())
}

/// The identity, if its role allows `needed`: 401 when nobody is signed in, 403 when the role
/// is too small. Server functions call this first; the middleware has already refused
/// anonymous requests, so this is the second line, and the one that names the role.
pub fn require(needed: Role) -> Result<Identity, AppError> {
    let who = current().ok_or(AppError::Unauthorized)?;
    if who.can(needed) {
        Ok(who)
    } else {
        Err(forbidden(who.role, needed))
    }
}

pub fn forbidden(have: Role, needed: Role) -> AppError {
    AppError::Forbidden(format!(
        "your role is {have}; this needs {needed} ({})",
        needed.describe()
    ))
}

tokio::task_local! {
    /// Who the current request (or background job) acts as, for the audit log: the database
    /// layer stamps every write transaction with it (`db::audit`), so no write function needs
    /// an extra parameter and none can forget it.
    static ACTING: Identity;
}

/// Runs `f` as `who`: the auth middleware wraps every signed-in request in this, and background
/// jobs (scheduled pulls, the demo loader, the CLI) wrap their work in it with
/// `Identity::system(..)`.
pub async fn acting_as<F: std::future::Future>(who: Identity, f: F) -> F::Output {
    ACTING.scope(who, f).await
}

/// The identity the current task acts as (see `acting_as`), if any.
pub fn acting() -> Option<Identity> {
    ACTING.try_with(Clone::clone).ok()
}
