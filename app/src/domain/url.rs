//! The one URL encoder: query values percent-encoded (RFC 3986 unreserved characters pass
//! through, everything else, spaces and non-ASCII included, becomes `%XX`), and query strings
//! that keep only the filters someone set. Links, redirects and the REST API all use these.

/// Percent-encodes one query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `a=1&b=x%20y` from `(name, value)` pairs: values trimmed, empty ones left out.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_percent_encoded_and_empty_filters_dropped() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(encode("safe-_.~09"), "safe-_.~09");
        assert_eq!(
            query_string([("team", " Growth "), ("tag", ""), ("q", "50% off")]),
            "team=Growth&q=50%25%20off"
        );
    }
}
