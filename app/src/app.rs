//! The HTML shell and the route table: one line per page.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, LazyRoute, SsrMode};

use crate::api::accounts::whoami;
use crate::components::layout::{Layout, Nav};
use crate::pages::experiment;
use crate::pages::not_found::NotFound;

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
    #[cfg(feature = "ssr")]
    {
        provide_context(crate::preload::Preloaded::default());
        // Leptos' own preload hints for lazily loaded pieces stay off: a `#[lazy]` function
        // called on the server records itself in the nearest `PrefetchLazyFn`, and this one,
        // nearer than the integration's, is never read. Those hints name each piece's own file,
        // so beside ours (`preload.rs`, which names the pack a first visit really takes) they
        // doubled the download. They appeared or not from render to render: the integration
        // reads the manifest with `use_context` after the render, outside the page's owner.
        provide_context(leptos::PrefetchLazyFn::default());
    }
    // Who is signed in, for the navigation: loaded once by the shell, not by the layout.
    let me = crate::pages::resource(|| (), |_| whoami());
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
                    <Route path=path!("/") view={Lazy::<Board>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/experiments") view={Lazy::<ExperimentList>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/experiments/new") view={Lazy::<NewExperiment>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/experiments/:key") view={Lazy::<Experiment>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/settings") view={Lazy::<Settings>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/program") view={Lazy::<Program>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/program/list") view={Lazy::<ProgramList>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/review") view={Lazy::<Review>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/learnings") view={Lazy::<Learnings>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account") view={Lazy::<Account>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/login") view=crate::pages::login::LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/setup") view=crate::pages::login::SetupPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view={Lazy::<AdminUsers>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/tokens") view={Lazy::<AdminTokens>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view={Lazy::<AdminAudit>::new()} ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}

/// The pages come in four lazily loaded pieces of the bundle (`cargo leptos build --split`), by
/// what people open together: browsing the program (with the proposal form, reached from the
/// board), one experiment, the lead's pages (the dashboard and the weekly review, which the
/// review meeting opens side by side), and administration; the brief form is a fifth piece,
/// loaded after the experiment page's (`pages/experiment/brief.rs`). A visit downloads the
/// shell and one piece with the chunks it shares with others; `verdict pack-bundle`
/// (`server/src/pack.rs`) packs those into one file per piece for a first visit
/// (`scripts/bench_pages.sh` with `BUNDLE=1` measures both). Few pieces rather than one per
/// page: the splitter puts the code each set of pieces shares into a chunk of its own, and each
/// extra piece doubles the chunks a page may need. Measured (brotli, first visit, file by
/// file): five pieces, with the dashboard and the review apart, gave the experiment page 460 KB
/// in 17 files; four gave it 453 KB in 9. Fifteen pieces made over two hundred small files for
/// the experiment page. The brief form apart: reading an experiment 445 -> 414 KB, a draft 478
/// (376 and 434 packed). Sign-in stays in the shell (it is small and is the first page of a new
/// session).
#[derive(Clone, Copy)]
#[repr(u8)]
enum Browse {
    Board,
    NewExperiment,
    ExperimentList,
    ProgramList,
    Learnings,
}

#[derive(Clone, Copy)]
#[repr(u8)]
enum Admin {
    Settings,
    Users,
    Tokens,
    Audit,
    Account,
}

#[lazy]
fn browse_page(page: Browse) -> AnyView {
    use crate::pages::*;
    match page {
        Browse::Board => board::BoardPage().into_any(),
        Browse::NewExperiment => new_experiment::NewExperimentPage().into_any(),
        Browse::ExperimentList => experiment_list::ExperimentListPage().into_any(),
        Browse::ProgramList => program_list::ProgramListPage().into_any(),
        Browse::Learnings => learnings::LearningsPage().into_any(),
    }
}

#[lazy]
fn experiment_page() -> AnyView {
    experiment::ExperimentPage().into_any()
}

/// One experiment. A draft's page, for an editor, opens with the brief form, whose code is a
/// piece of its own (`pages/experiment/brief.rs`). When the server drew that form, the router
/// fetches the form's piece with the page's before it hydrates (`preload`, which it awaits
/// first), so the form is in hand when its part of the page hydrates; a wait inside the page's
/// view instead made the page hydrate as if still loading, and fail. Reading, most visits,
/// leaves the form out. (Choosing from the page's data, loaded by the route, put that data's
/// decoding in the shell every page downloads: 175 -> 214 KB, measured.)
struct Experiment;

impl LazyRoute for Experiment {
    fn data() -> Self {
        Self
    }

    async fn view(_this: Self) -> AnyView {
        // The page's head preloads its piece once the page knows what it draws with it
        // (`pages/experiment/mod.rs`).
        experiment_page().await
    }

    async fn preload() {
        #[cfg(feature = "hydrate")]
        {
            // The page's piece first: the form's pack holds only what the page's lacks.
            __preload_experiment_page().await;
            if experiment::drawn_by_server(experiment::brief::DRAWN) {
                experiment::brief::preload().await;
            }
            if experiment::drawn_by_server(experiment::results_part::DRAWN) {
                experiment::results_part::preload().await;
            }
        }
    }
}

#[derive(Clone, Copy)]
#[repr(u8)]
enum Lead {
    Program,
    Review,
}

#[lazy]
fn lead_page(page: Lead) -> AnyView {
    match page {
        Lead::Program => crate::pages::program::ProgramPage().into_any(),
        Lead::Review => crate::pages::review::ReviewPage().into_any(),
    }
}

#[lazy]
fn admin_page(page: Admin) -> AnyView {
    use crate::pages::*;
    match page {
        Admin::Settings => settings::SettingsPage().into_any(),
        Admin::Users => admin_users::AdminUsersPage().into_any(),
        Admin::Tokens => admin_tokens::AdminTokensPage().into_any(),
        Admin::Audit => admin_audit::AdminAuditPage().into_any(),
        Admin::Account => account::AccountPage().into_any(),
    }
}

/// A route whose page is in one of the pieces: `view` loads the piece (once) and draws the page,
/// and on the server asks the page's head to preload the piece's file. `preload` lets the
/// router fetch the piece before a link is followed.
macro_rules! lazy_pages {
    ($($route:ident => $piece:ident($($page:expr)?), $preload:ident;)*) => {$(
        struct $route;

        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn view(_this: Self) -> AnyView {
                #[cfg(feature = "ssr")]
                crate::preload::piece(stringify!($piece));
                $piece($($page)?).await
            }

            async fn preload() {
                #[cfg(feature = "hydrate")]
                $preload().await;
            }
        }
    )*};
}

lazy_pages! {
    Board => browse_page(Browse::Board), __preload_browse_page;
    ExperimentList => browse_page(Browse::ExperimentList), __preload_browse_page;
    ProgramList => browse_page(Browse::ProgramList), __preload_browse_page;
    Learnings => browse_page(Browse::Learnings), __preload_browse_page;
    NewExperiment => browse_page(Browse::NewExperiment), __preload_browse_page;
    Program => lead_page(Lead::Program), __preload_lead_page;
    Review => lead_page(Lead::Review), __preload_lead_page;
    Settings => admin_page(Admin::Settings), __preload_admin_page;
    AdminUsers => admin_page(Admin::Users), __preload_admin_page;
    AdminTokens => admin_page(Admin::Tokens), __preload_admin_page;
    AdminAudit => admin_page(Admin::Audit), __preload_admin_page;
    Account => admin_page(Admin::Account), __preload_admin_page;
}
