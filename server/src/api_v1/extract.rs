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

#[cfg(test)]
mod tests {
    use app::domain::account::Credential;
    use axum::http::Request;

    use super::*;

    fn parts(role: Option<Role>) -> Parts {
        let mut request = Request::new(());
        if let Some(role) = role {
            request.extensions_mut().insert(Identity {
                user_id: Some(1),
                token_id: None,
                name: "Ana".into(),
                email: "ana@example.com".into(),
                role,
                credential: Credential::Token,
            });
        }
        request.into_parts().0
    }

    // The middleware refuses these first; the handlers must still, should a route ever be
    // mounted outside it.
    #[test]
    fn handlers_refuse_a_missing_identity_with_401_and_a_small_role_with_403() {
        let status = |role, needed| match require(&parts(role), needed) {
            Ok(_) => 200,
            Err(ApiError(e)) => e.status_code(),
        };
        assert_eq!(status(None, Role::Viewer), 401);
        assert_eq!(status(Some(Role::Viewer), Role::Editor), 403);
        assert_eq!(status(Some(Role::Viewer), Role::Viewer), 200);
        assert_eq!(status(Some(Role::Editor), Role::Editor), 200);
    }

    #[test]
    fn a_body_that_does_not_parse_names_the_json_path() {
        #[derive(Debug, serde::Deserialize)]
        struct Body {
            #[allow(dead_code)]
            arms: Vec<u64>,
        }
        let Err(ApiError(AppError::Invalid(fields))) = parse::<Body>(br#"{"arms": [1, "x"]}"#)
        else {
            panic!("expected a 400");
        };
        assert_eq!(fields[0].field, "arms[1]");
        assert!(
            fields[0].message.contains("column"),
            "{}",
            fields[0].message
        );
        assert!(parse::<Body>(br#"{"arms": []} trailing"#).is_err());
    }
}
