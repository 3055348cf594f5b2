use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">"Verdict"</A>
            <nav>
                <A href="/">"Board"</A>
                <A href="/program">"Program"</A>
                <A href="/review">"Review"</A>
                <A href="/learnings">"Learnings"</A>
                <A href="/experiments/new">"Propose an experiment"</A>
                <A href="/settings">"Settings"</A>
            </nav>
        </header>
        <main class="page">{children()}</main>
    }
}
