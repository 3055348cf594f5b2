//! `/admin/tokens`: API tokens for scripts and monitoring. A new token's secret is shown once,
//! right after it is created; only its hash is stored. Revoking takes effect on the next request.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::accounts::{create_token, list_tokens, revoke_token};
use crate::components::error_view::{reasons, ErrorView, Problems};
use crate::components::format::date;
use crate::domain::account::{Role, TokenSummary};

#[component]
pub fn AdminTokensPage() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let tokens = crate::pages::resource(move || changed.get(), |_| list_tokens());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Viewer);
    let expires = RwSignal::new(String::from("90"));
    let create = Action::new(move |(n, r, d): &(String, Role, Option<u32>)| {
        let (n, r, d) = (n.clone(), *r, *d);
        async move { create_token(n, r, d).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            changed.update(|n| *n += 1);
        }
    });
    let created = move || {
        match create.value().get() {
        Some(Ok(t)) => view! {
            <div class="notice" role="status">
                <p>{format!("Token '{}' ({}) created. Copy it now: it is not shown again.", t.token.name, t.token.role)}</p>
                <code class="secret" data-testid="new-token">{t.secret}</code>
                <p class="muted">"Use it as: Authorization: Bearer <token>"</p>
            </div>
        }.into_any(),
        Some(Err(e)) => view! { <Problems items=reasons(&e) /> }.into_any(),
        None => ().into_any(),
    }
    };
    view! {
        <Title text="API tokens" />
        <h1>"API tokens"</h1>
        <section class="settings" aria-label="Create a token">
            <form class="stack" on:submit=move |ev| { ev.prevent_default(); create.dispatch((name.get_untracked(), role.get_untracked(), expires_days(&expires.get_untracked()))); }>
                <label class="field"><span class="label">"Name"</span>
                    <input type="text" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    <small class="hint">"What uses it, e.g. 'nightly export' or 'monitoring'."</small>
                </label>
                <label class="field"><span class="label">"Role"</span>
                    <select on:change=move |ev| { if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) } }>
                        {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == Role::Viewer>{r.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field"><span class="label">"Expires after (days)"</span>
                    <input type="number" min="0" max="3650" name="expires_days" prop:value=move || expires.get() on:input=move |ev| expires.set(event_target_value(&ev)) aria-describedby="expires-hint" />
                </label>
                // Outside the label: its words are not part of the field's accessible name.
                <small class="hint" id="expires-hint">"90 by default; 0 for never (for monitoring that nobody rotates). The token also stops when your account is disabled or loses this role."</small>
                <button type="submit" class="primary">"Create token"</button>
            </form>
            {created}
        </section>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(list) => view! { <TokenTable list changed /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The expiry typed: a number of days, 0 (or empty) for never; anything else is sent as an
/// out-of-range value so the server's message explains the limit.
fn expires_days(typed: &str) -> Option<u32> {
    match typed.trim() {
        "" | "0" => None,
        t => Some(t.parse().unwrap_or(u32::MAX)),
    }
}

#[component]
fn TokenTable(list: Vec<TokenSummary>, changed: RwSignal<u32>) -> impl IntoView {
    let revoke = Action::new(move |id: &i64| {
        let id = *id;
        async move { revoke_token(id).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = revoke.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let problems = move || match revoke.value().get() {
        Some(Err(e)) => reasons(&e),
        _ => vec![],
    };
    if list.is_empty() {
        return view! { <p class="muted">"No tokens yet. The CLI makes them too: verdict token create --name NAME --role ROLE"</p> }.into_any();
    }
    view! {
        {move || view! { <Problems items=problems() /> }}
        <table class="data tokens">
            <thead><tr><th>"Name"</th><th>"Role"</th><th>"Created"</th><th>"By"</th><th>"Expires"</th><th>"Last used"</th><th>"Status"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|t| {
                    let id = t.id;
                    view! {
                        <tr class:disabled=t.revoked_at.is_some()>
                            <td>{t.name.clone()}</td>
                            <td>{t.role.as_str()}</td>
                            <td>{date(t.created_at.date_naive())}</td>
                            <td>{t.created_by.clone()}</td>
                            <td>{t.expires_at.map_or_else(|| "never".to_string(), |at| date(at.date_naive()))}</td>
                            <td>{t.last_used_at.map_or_else(|| "never".to_string(), |at| date(at.date_naive()))}</td>
                            <td>{match t.revoked_at {
                                Some(at) => format!("revoked {}", date(at.date_naive())).into_any(),
                                None => view! {
                                    "active "
                                    <button type="button" class="link" on:click=move |_| { revoke.dispatch(id); }>
                                        {format!("Revoke {}", t.name)}
                                    </button>
                                }.into_any(),
                            }}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}
