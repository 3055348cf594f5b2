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
/// is too small. Server functions do not call this directly: they obtain a witness
/// (`Viewer::check()`, `Editor::check()`, `Admin::check()`), which is the only way to reach the
/// database pool (`state::pool`).
fn require(needed: Role) -> Result<Identity, AppError> {
    check(current().as_ref(), needed)
}

/// The role check itself, on an identity found anywhere (request context, axum extensions).
pub fn check(who: Option<&Identity>, needed: Role) -> Result<Identity, AppError> {
    let who = who.ok_or(AppError::Unauthorized)?;
    if who.can(needed) {
        Ok(who.clone())
    } else {
        Err(forbidden(who.role, needed))
    }
}

/// Proof that the caller may do what a role allows. Only the `check` constructors below make
/// one (the field is private), and `state::pool` asks for one: a server function that forgets
/// to check its caller has no database to read from, so it does not compile.
pub trait Access: sealed::Sealed {
    /// The caller the check admitted.
    fn identity(&self) -> &Identity;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! witness {
    ($name:ident, $role:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone)]
        pub struct $name(Identity);

        impl $name {
            /// The caller of the request being served, if its role is high enough: 401 when
            /// nobody is signed in, 403 (naming both roles) when the role is too small.
            pub fn check() -> Result<Self, AppError> {
                require($role).map($name)
            }

            /// The same check on an identity the caller found itself (the REST handlers read
            /// it from the request's extensions).
            pub fn of(who: Option<&Identity>) -> Result<Self, AppError> {
                check(who, $role).map($name)
            }

            pub fn identity(&self) -> &Identity {
                &self.0
            }

            pub fn into_identity(self) -> Identity {
                self.0
            }
        }

        impl sealed::Sealed for $name {}

        impl Access for $name {
            fn identity(&self) -> &Identity {
                &self.0
            }
        }
    };
}

witness!(
    Viewer,
    Role::Viewer,
    "A caller who may read the program (any signed-in role)."
);
witness!(
    Editor,
    Role::Editor,
    "A caller who may change the program (editor or admin)."
);
witness!(
    Admin,
    Role::Admin,
    "A caller who may manage accounts, tokens, settings and data sources."
);

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

/// The same role check, run by the server-function machinery before the function's arguments
/// are read (`#[middleware(Gate::EDITORS)]` under each `#[server]`), so a refused caller learns
/// nothing from argument validation. The function body checks again with its witness, which is
/// what covers in-process calls while a page renders.
#[derive(Debug, Clone, Copy)]
pub struct Gate(Role);

impl Gate {
    pub const VIEWERS: Gate = Gate(Role::Viewer);
    pub const EDITORS: Gate = Gate(Role::Editor);
    pub const ADMINS: Gate = Gate(Role::Admin);

    /// The role this gate admits.
    pub fn role(self) -> Role {
        self.0
    }
}

mod gate {
    use std::future::Future;
    use std::pin::Pin;

    use axum::body::Body;
    use axum::response::IntoResponse;
    use http::{Request, Response};
    use server_fn::error::ServerFnErrorErr;
    use server_fn::middleware::{BoxedService, Layer, Service};

    use super::{check, Gate};
    use crate::domain::account::Identity;

    type Boxed = BoxedService<Request<Body>, Response<Body>>;

    impl Layer<Request<Body>, Response<Body>> for Gate {
        fn layer(&self, inner: Boxed) -> Boxed {
            let ser = inner.ser;
            BoxedService::new(ser, Gated { gate: *self, inner })
        }
    }

    struct Gated {
        gate: Gate,
        inner: Boxed,
    }

    impl Service<Request<Body>, Response<Body>> for Gated {
        fn run(
            &mut self,
            req: Request<Body>,
            _ser: fn(ServerFnErrorErr) -> axum::body::Bytes,
        ) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
            match check(req.extensions().get::<Identity>(), self.gate.role()) {
                Ok(_) => self.inner.run(req),
                Err(error) => {
                    // The body is the error the client decodes (server functions use JSON).
                    let response = (error.http_status(), axum::Json(error)).into_response();
                    Box::pin(async move { response })
                }
            }
        }
    }
}
