//! The HTML shell and the route table: one line per page.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::api::accounts::whoami;
use crate::components::layout::{Layout, Nav};
use crate::pages::{
    board::BoardPage, experiment::ExperimentPage, new_experiment::NewExperimentPage,
    not_found::NotFound,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// A strict script policy for every server-rendered page: only our own files and the inline
/// scripts Leptos writes (hydration, resolved resources), which carry this response's nonce,
/// run; an injected `<script>` or `onerror=` does not. `wasm-unsafe-eval` lets the bundle
/// compile. Styles come only from our stylesheet.
fn content_security_policy() {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        let policy = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
        );
        if let Ok(value) = http::HeaderValue::from_str(&policy) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Who is signed in, for the navigation: loaded once by the shell, not by the layout.
    let me = Resource::new(|| (), |_| whoami());
    // Effects run only in the browser: this marks the page as hydrated, for people's scripts
    // and for the browser tests, which must not click before the wasm is listening.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/verdict.css" />
        <Title formatter=|t: String| if t.is_empty() { "Verdict".to_string() } else { format!("{t} · Verdict") } />
        <Router>
            <Layout nav=move || view! {
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        me.await.ok().flatten().map(|who| view! { <Nav who /> })
                    })}
                </Suspense>
            }>
                // Async: the page resolves before the first byte, so a missing experiment gets a
                // real 404 status and pages read completely before hydration.
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=BoardPage ssr=SsrMode::Async />
                    <Route path=path!("/experiments") view=crate::pages::experiment_list::ExperimentListPage ssr=SsrMode::Async />
                    <Route path=path!("/experiments/new") view=NewExperimentPage ssr=SsrMode::Async />
                    <Route path=path!("/experiments/:key") view=ExperimentPage ssr=SsrMode::Async />
                    <Route path=path!("/settings") view=crate::pages::settings::SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/program") view=crate::pages::program::ProgramPage ssr=SsrMode::Async />
                    <Route path=path!("/program/list") view=crate::pages::program_list::ProgramListPage ssr=SsrMode::Async />
                    <Route path=path!("/review") view=crate::pages::review::ReviewPage ssr=SsrMode::Async />
                    <Route path=path!("/learnings") view=crate::pages::learnings::LearningsPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=crate::pages::account::AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=crate::pages::login::LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/setup") view=crate::pages::login::SetupPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=crate::pages::admin_users::AdminUsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/tokens") view=crate::pages::admin_tokens::AdminTokensPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=crate::pages::admin_audit::AdminAuditPage ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
