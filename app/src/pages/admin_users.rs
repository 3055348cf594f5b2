//! `/admin/users`: who has an account, their role, adding people and disabling accounts.
//! Admin only (the server refuses everyone else before this page renders).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::accounts::{add_user, list_users, reset_password, update_user};
use crate::components::error_view::{reasons, ErrorView, Problems};
use crate::components::format::date;
use crate::domain::account::{NewAccount, Role, UserSummary};

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let users = crate::pages::resource(move || changed.get(), |_| list_users());
    view! {
        <Title text="Users" />
        <h1>"Users"</h1>
        <p class="muted">{Role::ALL.map(Role::describe).join("; ")}"."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! { <UserTable list changed /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Transition>
        <AddUser changed />
    }
}

#[component]
fn UserTable(list: Vec<UserSummary>, changed: RwSignal<u32>) -> impl IntoView {
    let update = Action::new(move |(id, role, disabled): &(i64, Role, bool)| {
        let (id, role, disabled) = (*id, *role, *disabled);
        async move { update_user(id, role, disabled).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let reset_for = RwSignal::new(String::new());
    let reset = Action::new(move |id: &i64| {
        let id = *id;
        async move { reset_password(id).await }
    });
    let problems = move || match (update.value().get(), reset.value().get()) {
        (Some(Err(e)), _) | (_, Some(Err(e))) => reasons(&e),
        _ => vec![],
    };
    // The generated password, shown once to the admin who reset it.
    let generated = move || {
        match reset.value().get() {
            Some(Ok(password)) => view! {
                <div class="notice" role="status">
                    <p>{format!("New password for {}. Give it to them now: it is not shown again. They choose their own at their next sign-in; their open sessions have ended.", reset_for.get())}</p>
                    <code class="secret" data-testid="reset-password">{password}</code>
                </div>
            }.into_any(),
            _ => ().into_any(),
        }
    };
    view! {
        {move || view! { <Problems items=problems() /> }}
        {generated}
        <table class="data users">
            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Since"</th><th>"Status"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|u| {
                    let (id, disabled, role) = (u.id, u.disabled, u.role);
                    view! {
                        <tr class:disabled=disabled>
                            <td>{u.name.clone()}</td>
                            <td>{u.email.clone()}</td>
                            <td>
                                <select aria-label=format!("Role of {}", u.name)
                                    on:change=move |ev| {
                                        if let Some(r) = Role::parse(&event_target_value(&ev)) {
                                            update.dispatch((id, r, disabled));
                                        }
                                    }>
                                    {Role::ALL.into_iter().map(|r| view! {
                                        <option value=r.as_str() selected=r == role>{r.as_str()}</option>
                                    }).collect_view()}
                                </select>
                            </td>
                            <td>{date(u.created_at.date_naive())}</td>
                            <td>
                                {if disabled { "disabled" } else { "active" }}" "
                                <button type="button" class="link"
                                    on:click=move |_| { update.dispatch((id, role, !disabled)); }>
                                    {if disabled { "Enable" } else { "Disable" }}
                                </button>" "
                                <button type="button" class="link"
                                    on:click={
                                        let name = u.name.clone();
                                        move |_| {
                                            reset_for.set(name.clone());
                                            reset.dispatch(id);
                                        }
                                    }>
                                    {format!("Reset password of {}", u.name)}
                                </button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn AddUser(changed: RwSignal<u32>) -> impl IntoView {
    let account = RwSignal::new(NewAccount::default());
    let role = RwSignal::new(Role::Editor);
    let add = Action::new(move |(a, r): &(NewAccount, Role)| {
        let (a, r) = (a.clone(), *r);
        async move { add_user(a, r).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            account.set(NewAccount::default());
            changed.update(|n| *n += 1);
        }
    });
    let outcome = move || {
        match add.value().get() {
        Some(Ok(u)) => view! { <p class="muted" role="status">{format!("Added {} as {}. Give them the password you chose; they sign in at /login.", u.email, u.role)}</p> }.into_any(),
        Some(Err(e)) => view! { <Problems items=reasons(&e) /> }.into_any(),
        None => ().into_any(),
    }
    };
    let input = move |label: &'static str,
                      kind: &'static str,
                      get: fn(&NewAccount) -> String,
                      set: fn(&mut NewAccount, String)| {
        view! {
            <label class="field"><span class="label">{label}</span>
                <input type=kind prop:value=move || account.with(get)
                    on:input=move |ev| { let v = event_target_value(&ev); account.update(|a| set(a, v)) } />
            </label>
        }
    };
    view! {
        <section class="settings" aria-label="Add a person">
            <h2>"Add a person"</h2>
            <form class="stack" on:submit=move |ev| { ev.prevent_default(); add.dispatch((account.get_untracked(), role.get_untracked())); }>
                {input("Name", "text", |a| a.name.clone(), |a, v| a.name = v)}
                {input("Email", "email", |a| a.email.clone(), |a, v| a.email = v)}
                {input("First password", "password", |a| a.password.clone(), |a, v| a.password = v)}
                <label class="field"><span class="label">"Role"</span>
                    <select on:change=move |ev| { if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) } }>
                        {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == Role::Editor>{r.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="primary">"Add"</button>
            </form>
            {outcome}
        </section>
    }
}
