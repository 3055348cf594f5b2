//! Markdown for free-text fields: pulldown-cmark renders (CommonMark, well kept, no unsafe HTML
//! passthrough surprises), ammonia sanitises (an allow-list cleaner maintained for exactly this),
//! so a `<script>` typed into a brief is shown as text, never run.

pub fn render(markdown: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(
        markdown,
        pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH,
    );
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&html)
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn markdown_renders_and_scripts_are_removed() {
        let html = super::render("**bold** <script>alert(1)</script> <img src=x onerror=alert(1)>");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("onerror"));
    }
}
