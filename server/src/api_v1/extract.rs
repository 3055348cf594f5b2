//! Extractors every handler starts with: the caller's identity at the role the route needs (put
//! first, so a viewer hears 403 before anything about its body), and a JSON body whose parse
//! errors name the field and the position.

use app::domain::account::{Identity, Role};
use app::error::AppError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::ApiError;

/// The identity the auth middleware put in the request, if its role allows `needed`. The
/// middleware already refuses anonymous requests; this is the second line, and the one that
/// names the role.
fn require(parts: &Parts, needed: Role) -> Result<Identity, ApiError> {
    let who = parts
        .extensions
        .get::<Identity>()
        .cloned()
        .ok_or(AppError::Unauthorized)?;
    if who.can(needed) {
        Ok(who)
    } else {
        Err(app::auth::forbidden(who.role, needed).into())
    }
}

/// A caller allowed to read (viewer or above).
pub struct Viewer;

/// A caller allowed to write (editor or above); writes run `acting_as` it for the audit log.
pub struct Editor(pub Identity);

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        require(parts, Role::Viewer).map(|_| Viewer)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Editor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        require(parts, Role::Editor).map(Editor)
    }
}

/// A JSON request body. Malformed JSON, a missing field or a wrong type is a 400 whose field is
/// the JSON path (`brief.arms[0].weight`) and whose message has serde's line and column.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::invalid("body", format!("could not read the body: {e}")))?;
        parse(&bytes).map(JsonBody)
    }
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::invalid(&field, format!("invalid request body: {}", e.inner()))
    })?;
    de.end()
        .map_err(|e| ApiError::invalid("body", format!("invalid request body: {e}")))?;
    Ok(value)
}
