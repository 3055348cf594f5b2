//! Which role each request needs, decided before any handler or server function runs. Default
//! deny: a write nobody classified needs an editor, and anything under /admin an admin. Server
//! functions are classified by name in `app::api::required_role`, next to their definitions.

use app::domain::account::Role;
use axum::http::Method;

/// Paths anyone may request without signing in.
pub fn is_public(method: &Method, path: &str) -> bool {
    let page = matches!(*method, Method::GET | Method::HEAD);
    match path {
        "/healthz" | "/favicon.svg" | "/favicon.ico" | "/robots.txt" => true,
        "/login" | "/setup" => page,
        "/auth/login" | "/auth/setup" => *method == Method::POST,
        // The hydration bundle and stylesheet: the login page needs them too.
        p if p.starts_with("/pkg/") => page,
        // A team's calendar feed is protected by the secret in its URL instead.
        p if p.starts_with("/calendar/") && p.ends_with(".ics") => page,
        _ => false,
    }
}

/// The role a signed-in request needs.
pub fn required_role(method: &Method, path: &str) -> Role {
    let read = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if path.starts_with("/admin") || path == "/settings" {
        return Role::Admin;
    }
    if read {
        return Role::Viewer;
    }
    match path {
        "/auth/logout" => Role::Viewer,
        // Pure computation, nothing stored.
        p if p.starts_with("/api/v1/stats/") => Role::Viewer,
        p if p.starts_with("/api/v1/") => Role::Editor,
        p => match p.strip_prefix("/api/") {
            Some(endpoint) => app::api::required_role(endpoint),
            None => Role::Editor,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_need_a_viewer_writes_an_editor_and_admin_pages_an_admin() {
        assert_eq!(required_role(&Method::GET, "/"), Role::Viewer);
        assert_eq!(required_role(&Method::GET, "/experiments/x"), Role::Viewer);
        assert_eq!(required_role(&Method::GET, "/admin/users"), Role::Admin);
        assert_eq!(required_role(&Method::GET, "/settings"), Role::Admin);
        assert_eq!(
            required_role(&Method::POST, "/experiments/x/import"),
            Role::Editor
        );
        assert_eq!(
            required_role(&Method::POST, "/api/v1/stats/analyze"),
            Role::Viewer
        );
        assert_eq!(
            required_role(&Method::PATCH, "/api/v1/experiments/x"),
            Role::Editor
        );
        assert_eq!(required_role(&Method::POST, "/api/get_board"), Role::Viewer);
        assert_eq!(
            required_role(&Method::POST, "/api/save_brief"),
            Role::Editor
        );
        assert_eq!(
            required_role(&Method::POST, "/api/something_new"),
            Role::Editor
        );
        assert_eq!(
            required_role(&Method::POST, "/api/create_token"),
            Role::Admin
        );
    }

    #[test]
    fn only_sign_in_assets_health_and_feeds_are_public() {
        assert!(is_public(&Method::GET, "/login"));
        assert!(is_public(&Method::POST, "/auth/login"));
        assert!(is_public(&Method::GET, "/pkg/verdict.wasm"));
        assert!(is_public(&Method::GET, "/calendar/abc.ics"));
        assert!(!is_public(&Method::GET, "/calendar.ics"));
        assert!(!is_public(&Method::POST, "/login"));
        assert!(!is_public(&Method::GET, "/"));
        assert!(!is_public(&Method::POST, "/api/get_board"));
        assert!(!is_public(&Method::GET, "/api/v1/openapi.json"));
    }
}
