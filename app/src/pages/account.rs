//! `/account`: the signed-in person's own account: who they are, their role, and changing
//! their password (a plain form post to `/auth/password`, so it works before the wasm). After
//! an admin's reset this is the only page open until a new password is chosen. Errors arrive as
//! codes in the URL and are turned into messages here; free text from a URL is never shown.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::whoami;
use crate::domain::account::MIN_PASSWORD_CHARS;

fn message(code: &str) -> Option<String> {
    Some(match code {
        "current" => "That is not your current password.".to_owned(),
        "confirm" => "The two new passwords differ.".to_owned(),
        "short" => format!("Use at least {MIN_PASSWORD_CHARS} characters."),
        "same" => "Choose a password different from the current one.".to_owned(),
        "weak" => "That password is too easy to guess (common words, names, keyboard patterns or your email). A few uncommon words, or a password manager, will do.".to_owned(),
        "busy" => "The server is busy checking other passwords. Try again in a few seconds.".to_owned(),
        _ => return None,
    })
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.with_untracked(|q| q.get(k).unwrap_or_default());
    let problem = message(&param("error"));
    let changed = !param("changed").is_empty();
    let must_change = !param("must_change").is_empty();
    let me = crate::pages::resource(|| (), |_| whoami());
    view! {
        <Title text="Your account" />
        <section class="auth-card">
            <h1>"Your account"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    me.await.ok().flatten().map(|who| view! {
                        <p>{who.name.clone()}" · "{who.email.clone()}" · "{who.role.as_str()}</p>
                    })
                })}
            </Suspense>
            {must_change.then(|| view! {
                <p class="notice" role="alert">"An admin reset your password. Choose your own to continue."</p>
            })}
            {changed.then(|| view! {
                <p class="notice" role="status">"Password changed. Your other sessions have been signed out."</p>
            })}
            {problem.map(|m| view! { <p class="problems" role="alert">{m}</p> })}
            <h2>"Change your password"</h2>
            <form method="post" action="/auth/password" class="stack">
                <label class="field"><span class="label">"Current password"</span>
                    <input type="password" name="current" autocomplete="current-password" required />
                </label>
                <label class="field"><span class="label">"New password"</span>
                    <input type="password" name="new" autocomplete="new-password" required minlength=MIN_PASSWORD_CHARS.to_string() aria-describedby="new-password-hint" />
                </label>
                // The hint sits outside the label so the field's name stays "New password".
                <small class="hint" id="new-password-hint">{format!("At least {MIN_PASSWORD_CHARS} characters, hard to guess. Changing it signs you out everywhere else.")}</small>
                <label class="field"><span class="label">"New password again"</span>
                    <input type="password" name="confirm" autocomplete="new-password" required />
                </label>
                <button type="submit" class="primary">"Change password"</button>
            </form>
        </section>
    }
}
