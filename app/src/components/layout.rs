use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::accounts::whoami;
use crate::domain::account::{Identity, Role};

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // Who is signed in decides the navigation (an admin sees the admin pages); the server
    // decides what each role may do, this only spares people links that would be refused.
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">"Verdict"</A>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some(who)) => view! { <Nav who /> }.into_any(),
                        _ => ().into_any(),
                    }
                })}
            </Suspense>
        </header>
        <main class="page">{children()}</main>
    }
}

#[component]
fn Nav(who: Identity) -> impl IntoView {
    let admin = who.can(Role::Admin);
    let editor = who.can(Role::Editor);
    view! {
        <nav>
            <A href="/">"Board"</A>
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
