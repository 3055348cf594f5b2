//! What a request may ask for, decided before routing: whether its path is canonical (no
//! dot segments, backslashes, encoded slashes or empty segments, however encoded), whether it
//! is one of the few public paths, and the role a page or route needs. Server functions and
//! REST handlers check their own callers (`app::auth`), so this is the outer line: it refuses
//! anonymous callers everywhere but the sign-in pages, and it decides the role of pages by the
//! same path the router matches (case and trailing slash do not matter to the router, so they
//! do not matter here).

use app::domain::account::Role;
use axum::http::Method;

/// Why a path was refused before routing (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// A `.` or `..` segment, raw or percent-encoded.
    DotSegment,
    /// A backslash, raw or encoded (`%5c`): some servers and browsers read it as `/`.
    Backslash,
    /// `%2f`: a slash the router would not see as one.
    EncodedSlash,
    /// `//`: an empty segment.
    EmptySegment,
    /// A control character (raw, or encoded like `%00` or `%0d`).
    ControlCharacter,
    /// A `%` not followed by two hex digits.
    BadEscape,
}

impl PathError {
    pub fn describe(self) -> &'static str {
        match self {
            PathError::DotSegment => "the path has a '.' or '..' segment",
            PathError::Backslash => "the path has a backslash",
            PathError::EncodedSlash => "the path has an encoded slash (%2F)",
            PathError::EmptySegment => "the path has an empty segment ('//')",
            PathError::ControlCharacter => "the path has a control character",
            PathError::BadEscape => "the path has a malformed percent escape",
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decoded bytes (they need not be UTF-8); `+` stays `+` (this is a path).
pub fn percent_decode(segment: &str) -> Result<Vec<u8>, PathError> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) else {
                return Err(PathError::BadEscape);
            };
            out.push(hi * 16 + lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// Ok if the raw request path (as sent, before any decoding) is canonical.
pub fn check_canonical(path: &str) -> Result<(), PathError> {
    let Some(rest) = path.strip_prefix('/') else {
        // Absolute-form and authority-form targets never reach a path like this; refuse.
        return Err(PathError::EmptySegment);
    };
    if rest.is_empty() {
        return Ok(());
    }
    // A trailing slash ("/settings/") is one empty segment at the end: allowed, the router
    // treats it as "/settings". Any other empty segment is "//".
    let trimmed = rest.strip_suffix('/').unwrap_or(rest);
    for segment in trimmed.split('/') {
        if segment.is_empty() {
            return Err(PathError::EmptySegment);
        }
        let decoded = percent_decode(segment)?;
        if decoded.iter().any(|&b| b < 0x20 || b == 0x7f) {
            return Err(PathError::ControlCharacter);
        }
        if decoded.contains(&b'\\') {
            return Err(PathError::Backslash);
        }
        if decoded.contains(&b'/') {
            return Err(PathError::EncodedSlash);
        }
        if decoded == b"." || decoded == b".." {
            return Err(PathError::DotSegment);
        }
        // Double encoding ("%252e%252e") decodes to "%2e%2e": refuse it too, should anything
        // behind us decode once more.
        if decoded.contains(&b'%')
            && check_canonical(&format!("/{}", String::from_utf8_lossy(&decoded))).is_err()
        {
            return Err(PathError::DotSegment);
        }
    }
    Ok(())
}

/// The path the way the router matches it: decoded, lowercased, without a trailing slash.
/// Role decisions use this, so `/Settings`, `/settings/` and `/settings` are one page.
pub fn route_path(path: &str) -> String {
    let decoded = percent_decode(path).unwrap_or_else(|_| path.as_bytes().to_vec());
    let mut route = String::from_utf8_lossy(&decoded).to_lowercase();
    while route.len() > 1 && route.ends_with('/') {
        route.pop();
    }
    route
}

/// Paths anyone may request without signing in: exact matches on the raw path, so nothing
/// that merely resembles one (`/login/../`, `/pkg/%2e%2e/`) slips through.
pub fn is_public(method: &Method, path: &str) -> bool {
    let page = matches!(*method, Method::GET | Method::HEAD);
    match path {
        "/healthz" | "/favicon.svg" | "/favicon.ico" | "/robots.txt" => page,
        "/login" | "/setup" => page,
        "/auth/login" | "/auth/setup" => *method == Method::POST,
        // The hydration bundle and stylesheet (the login page needs them): served by a file
        // service nested at /pkg that never falls through to the app.
        p if p.starts_with("/pkg/") => page,
        // A team's calendar feed is protected by the secret in its URL instead.
        p if p.starts_with("/calendar/") && p.ends_with(".ics") => page,
        _ => false,
    }
}

/// The role a signed-in request needs before it reaches the router. Server functions
/// (`/api/<name>`) and `/api/v1` handlers check their exact role themselves; pages and the
/// other routes are decided here. Default deny: a write nobody classified needs an editor,
/// and anything under /admin (and /settings) an admin.
pub fn required_role(method: &Method, path: &str) -> Role {
    let route = route_path(path);
    let read = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if route == "/admin" || route.starts_with("/admin/") || route == "/settings" {
        return Role::Admin;
    }
    if read {
        return Role::Viewer;
    }
    match route.as_str() {
        "/auth/logout" | "/auth/password" => Role::Viewer,
        // Pure computation, nothing stored.
        p if p.starts_with("/api/v1/stats/") => Role::Viewer,
        p if p.starts_with("/api/v1/") => Role::Editor,
        // Each server function's own gate decides (it runs before its arguments are read).
        p if p.starts_with("/api/") => Role::Viewer,
        _ => Role::Editor,
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
    }

    #[test]
    fn a_page_needs_the_same_role_however_its_path_is_spelled() {
        for spelling in [
            "/settings",
            "/settings/",
            "/Settings",
            "/SETTINGS//",
            "/settings%2F",
        ] {
            assert_eq!(
                required_role(&Method::GET, spelling),
                Role::Admin,
                "{spelling}"
            );
        }
        for spelling in ["/admin/users/", "/Admin/Users", "/admin"] {
            assert_eq!(
                required_role(&Method::GET, spelling),
                Role::Admin,
                "{spelling}"
            );
        }
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
        assert!(!is_public(&Method::GET, "/login/"));
        assert!(!is_public(&Method::POST, "/api/get_board"));
        assert!(!is_public(&Method::GET, "/api/v1/openapi.json"));
    }

    #[test]
    fn dot_segments_backslashes_encoded_slashes_and_empty_segments_are_refused() {
        use PathError::*;
        let cases = [
            ("/pkg/../", DotSegment),
            ("/pkg/..", DotSegment),
            ("/pkg/%2e%2e/settings", DotSegment),
            ("/pkg/%2E%2E/settings", DotSegment),
            ("/pkg/.%2e/x", DotSegment),
            ("/x/./settings", DotSegment),
            ("/pkg/%252e%252e/x", DotSegment),
            ("/pkg\\..\\settings", Backslash),
            ("/pkg/%5c..", Backslash),
            ("/pkg/..%2fsettings", EncodedSlash),
            ("/pkg/%2F", EncodedSlash),
            ("//evil", EmptySegment),
            ("/pkg//verdict.js", EmptySegment),
            ("/x%00", ControlCharacter),
            ("/x%0d%0aSet-Cookie:x", ControlCharacter),
            ("/x%zz", BadEscape),
        ];
        for (path, why) in cases {
            assert_eq!(check_canonical(path), Err(why), "{path}");
        }
        for ok in [
            "/",
            "/settings/",
            "/experiments/new_checkout",
            "/pkg/verdict.wasm",
            "/experiments/a%20b",
            "/calendar/abc.ics",
            "/x/...",
        ] {
            assert_eq!(check_canonical(ok), Ok(()), "{ok}");
        }
    }
}
