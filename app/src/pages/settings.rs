//! `/settings`: whether launch needs sign-offs, the workspace's Mixpanel project, service
//! account, data residency and pull schedule, and the warehouse (`warehouse_settings.rs`).
//! Secrets are write-only: the page shows whether one is set, never what it is.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::pull::{get_mixpanel_settings, save_mixpanel_settings};
use crate::api::signoffs::{get_workspace_settings, save_workspace_settings};
use crate::components::error_view::{ErrorView, Problems};
use crate::domain::signoff::WorkspaceSettings;
use crate::error::AppError;
use crate::pull::settings::{AuthMethod, Residency, SettingsForm, SettingsView};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = crate::pages::resource(|| (), |_| get_mixpanel_settings());
    let workspace = crate::pages::resource(|| (), |_| get_workspace_settings());
    view! {
        <Title text="Settings" />
        <h1>"Settings"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match workspace.await {
                    Ok(current) => view! { <LaunchGateForm current /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(view) => view! { <MixpanelForm view /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Transition>
        <crate::pages::warehouse_settings::WarehouseSection />
    }
}

#[component]
fn MixpanelForm(view: SettingsView) -> impl IntoView {
    let form = RwSignal::new(SettingsForm::from_view(&view));
    let secret_set = RwSignal::new(view.secret_set);
    let save = Action::new(move |f: &SettingsForm| {
        let f = f.clone();
        async move { save_mixpanel_settings(f).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            secret_set.set(saved.secret_set);
            form.update(|f| f.secret.clear());
        }
    });
    let outcome = move || match save.value().get() {
        Some(Ok(_)) => view! { <p class="muted" role="status">"Saved."</p> }.into_any(),
        Some(Err(AppError::Invalid(fields))) => {
            let items: Vec<String> = fields.into_iter().map(|f| f.message).collect();
            view! { <Problems items /> }.into_any()
        }
        Some(Err(e)) => view! { <Problems items=vec![e.to_string()] /> }.into_any(),
        None => ().into_any(),
    };
    let text = move |label: &'static str,
                     name: &'static str,
                     get: fn(&SettingsForm) -> String,
                     set: fn(&mut SettingsForm, String),
                     hint: &'static str| {
        view! {
            <label class="field"><span class="label">{label}</span>
                <input type="text" name=name value=form.with_untracked(get)
                    on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| set(f, v)) } />
                {(!hint.is_empty()).then(|| view! { <small class="hint">{hint}</small> })}
            </label>
        }
    };
    view! {
        <section class="settings" aria-label="Mixpanel">
            <h2>"Mixpanel"</h2>
            <p class="muted">"Results are pulled from Mixpanel's Raw Event Export API with a service account that can read the project."</p>
            <form class="mixpanel-settings" on:submit=move |ev| { ev.prevent_default(); save.dispatch(form.get_untracked()); }>
                <div class="grid two">
                    {text("Project id", "project_id", |f| f.project_id.clone(), |f, v| f.project_id = v, "")}
                    <label class="field"><span class="label">"Authentication"</span>
                        <select name="auth" on:change=move |ev| {
                            if let Some(a) = AuthMethod::from_slug(&event_target_value(&ev)) { form.update(|f| f.auth = a) }
                        }>
                            {AuthMethod::ALL.into_iter().map(|a| view! {
                                <option value=a.slug() selected=form.with_untracked(|f| f.auth == a)>{a.label()}</option>
                            }).collect_view()}
                        </select>
                        <small class="hint">"A service account is Mixpanel's recommended way; the project's API secret still works."</small>
                    </label>
                </div>
                <Show when=move || form.with(|f| f.auth == AuthMethod::ServiceAccount)>
                    {text("Service account user", "username", |f| f.username.clone(), |f, v| f.username = v, "")}
                </Show>
                <label class="field"><span class="label">{move || if form.with(|f| f.auth == AuthMethod::ServiceAccount) { "Service account secret" } else { "Project secret" }}</span>
                    <input type="password" name="secret" autocomplete="new-password"
                        prop:value=move || form.with(|f| f.secret.clone())
                        placeholder=move || if secret_set.get() { "set (leave empty to keep it)" } else { "not set" }
                        on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.secret = v) } />
                    <small class="hint" data-testid="secret-state">{move || if secret_set.get() { "Secret: set" } else { "Secret: not set" }}</small>
                    <small class="hint">"Changing the project, the residency or the authentication needs the secret typed again: it is only ever sent to the project and region it was typed for, over https."</small>
                </label>
                <label class="field"><span class="label">"Data residency"</span>
                    <select name="residency" on:change=move |ev| {
                        if let Some(r) = Residency::from_slug(&event_target_value(&ev)) { form.update(|f| f.residency = r) }
                    }>
                        {Residency::ALL.into_iter().map(|r| view! {
                            <option value=r.slug() selected=form.with_untracked(|f| f.residency == r)>{format!("{} ({})", r.label(), r.host())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <div class="grid two">
                    {text("Pull every (hours)", "interval_hours", |f| f.interval_hours.clone(), |f, v| f.interval_hours = v, "Running experiments are pulled on this schedule.")}
                    {text("Project time zone", "timezone", |f| f.timezone.clone(), |f, v| f.timezone = v, "An IANA name such as America/Los_Angeles: Mixpanel shows it under Project Settings > Overview > Timezone. The run's days are this zone's days.")}
                </div>
                <div class="field">
                    <label class="check">
                        <input type="checkbox" name="local_time" prop:checked=move || form.with(|f| f.local_time)
                            on:change=move |ev| { let on = event_target_checked(&ev); form.update(|f| f.local_time = on) } />
                        " The project exports local time (created before 2023)"
                    </label>
                    <small class="hint">"Such projects read the export's dates in their own time zone and write each event's time as local wall-clock time; Verdict then asks for the project's days, never after its today, and converts times to UTC. Newer projects use UTC for both."</small>
                </div>
                <button type="submit" class="primary" disabled=move || save.pending().get()>"Save settings"</button>
                {outcome}
            </form>
        </section>
    }
}

/// Whether launch needs product, engineering and design sign-offs (admins only; the server
/// checks the role).
#[component]
fn LaunchGateForm(current: WorkspaceSettings) -> impl IntoView {
    let required = RwSignal::new(current.require_sign_offs);
    let save = Action::new(move |s: &WorkspaceSettings| save_workspace_settings(*s));
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            required.set(saved.require_sign_offs);
        }
    });
    view! {
        <section class="settings" aria-label="Launch">
            <h2>"Launch"</h2>
            <form on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch(WorkspaceSettings { require_sign_offs: required.get_untracked() });
            }>
                <label class="check">
                    <input type="checkbox" name="require_sign_offs" prop:checked=move || required.get()
                        checked=current.require_sign_offs
                        on:change=move |ev| required.set(event_target_checked(&ev)) />
                    " Require product, engineering and design sign-offs before launch"
                </label>
                <p class="muted">"Any edit to a brief clears its sign-offs, so they always refer to the brief as it stands."</p>
                <button type="submit" class="primary" disabled=move || save.pending().get()>"Save launch setting"</button>
                {move || match save.value().get() {
                    Some(Ok(_)) => view! { <p class="muted" role="status">"Saved."</p> }.into_any(),
                    Some(Err(e)) => view! { <Problems items=vec![e.to_string()] /> }.into_any(),
                    None => ().into_any(),
                }}
            </form>
        </section>
    }
}
