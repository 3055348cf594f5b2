use leptos::prelude::*;
use leptos_router::components::A;

use crate::domain::account::{Identity, Role};

/// The top bar and the page. `nav` is the navigation the shell loaded for whoever is signed in
/// (`Nav`), rendered beside the brand.
#[component]
pub fn Layout(#[prop(into)] nav: ViewFn, children: Children) -> impl IntoView {
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">"Verdict"</A>
            {nav.run()}
        </header>
        <main class="page">{children()}</main>
    }
}

/// The links a signed-in person may follow: who they are decides it (an admin sees the admin
/// pages); the server decides what each role may do, this only spares people refused links.
#[component]
pub fn Nav(who: Identity) -> impl IntoView {
    let admin = who.can(Role::Admin);
    let editor = who.can(Role::Editor);
    view! {
        <nav>
            <A href="/">"Board"</A>
            <A href="/experiments">"List"</A>
            <A href="/program">"Program"</A>
            <A href="/review">"Review"</A>
            <A href="/learnings">"Learnings"</A>
            {editor.then(|| view! { <A href="/experiments/new">"Propose an experiment"</A> })}
            {admin.then(|| view! {
                <A href="/settings">"Settings"</A>
                <A href="/admin/users">"Users"</A>
                <A href="/admin/tokens">"Tokens"</A>
                <A href="/admin/audit">"Audit log"</A>
            })}
        </nav>
        <form method="post" action="/auth/logout" class="whoami">
            <A href="/account" attr:title=who.email.clone()>{who.name.clone()}" · "{who.role.as_str()}</A>
            <button type="submit" class="link">"Sign out"</button>
        </form>
    }
}
