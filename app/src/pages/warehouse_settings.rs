//! The warehouse part of `/settings`: the connection URL (write-only, shown as host and
//! database), the events table and its columns, the query's time limit, whether pulls use it,
//! and "Test connection", which checks the form as typed without saving it.

use leptos::prelude::*;

use crate::api::warehouse::{get_warehouse_settings, save_warehouse_settings, test_warehouse};
use crate::components::error_view::{ErrorView, Problems};
use crate::components::format::int;
use crate::error::AppError;
use crate::warehouse::settings::{ProbeView, WarehouseForm, WarehouseView};

#[component]
pub fn WarehouseSection() -> impl IntoView {
    let settings = crate::pages::resource(|| (), |_| get_warehouse_settings());
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(view) => view! { <WarehouseFormView view /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn problems(e: AppError) -> AnyView {
    match e {
        AppError::Invalid(fields) => {
            let items: Vec<String> = fields.into_iter().map(|f| f.message).collect();
            view! { <Problems items /> }.into_any()
        }
        e => view! { <Problems items=vec![e.to_string()] /> }.into_any(),
    }
}

#[component]
fn WarehouseFormView(view: WarehouseView) -> impl IntoView {
    let form = RwSignal::new(view.form.clone());
    let url_set = RwSignal::new(view.url_set);
    let url_hint = RwSignal::new(view.url_hint.clone());
    let save = Action::new(move |f: &WarehouseForm| {
        let f = f.clone();
        async move { save_warehouse_settings(f).await }
    });
    let test = Action::new(move |f: &WarehouseForm| {
        let f = f.clone();
        async move { test_warehouse(f).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            url_set.set(saved.url_set);
            url_hint.set(saved.url_hint);
            form.update(|f| f.url.clear());
        }
    });
    let saved = move || match save.value().get() {
        Some(Ok(_)) => view! { <p class="muted" role="status">"Saved."</p> }.into_any(),
        Some(Err(e)) => problems(e),
        None => ().into_any(),
    };
    let tested = move || match test.value().get() {
        Some(Ok(probe)) => view! { <ProbeResult probe /> }.into_any(),
        Some(Err(e)) => problems(e),
        None => ().into_any(),
    };
    let text = move |label: &'static str,
                     name: &'static str,
                     get: fn(&WarehouseForm) -> String,
                     set: fn(&mut WarehouseForm, String),
                     hint: &'static str| {
        view! {
            <label class="field"><span class="label">{label}</span>
                <input type="text" name=name maxlength="200" value=form.with_untracked(get)
                    on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| set(f, v)) } />
                {(!hint.is_empty()).then(|| view! { <small class="hint">{hint}</small> })}
            </label>
        }
    };
    view! {
        <section class="settings" aria-label="Warehouse">
            <h2>"Warehouse"</h2>
            <p class="muted">"Compute results inside the team's PostgreSQL warehouse, where Mixpanel's data pipeline lands every event: one query per pull, only per-arm totals come back. The query runs read-only, with a time limit."</p>
            <form class="warehouse-settings" on:submit=move |ev| { ev.prevent_default(); save.dispatch(form.get_untracked()); }>
                <label class="field"><span class="label">"Connection URL"</span>
                    <input type="password" name="url" autocomplete="new-password" maxlength="2000"
                        prop:value=move || form.with(|f| f.url.clone())
                        placeholder=move || if url_set.get() { "set (leave empty to keep it)".to_owned() } else { "postgres://USER:PASSWORD@HOST:5432/DATABASE".to_owned() }
                        on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.url = v) } />
                    <small class="hint" data-testid="warehouse-url-state">{move || if url_set.get() { format!("URL: set ({})", url_hint.get()) } else { "URL: not set".to_owned() }}</small>
                    <small class="hint">"Holds the password: never shown again, never logged. Give Verdict a database user that can only read what it needs."</small>
                </label>
                {text("Events table", "table", |f| f.table.clone(), |f, v| f.table = v, "TABLE or SCHEMA.TABLE, e.g. mixpanel.mp_master_event")}
                <fieldset class="grid two">
                    <legend>"Columns (Mixpanel's JSON pipeline layout by default)"</legend>
                    {text("Event name", "event", |f| f.event.clone(), |f, v| f.event = v, "")}
                    {text("Time (unix seconds or timestamptz)", "time", |f| f.time.clone(), |f, v| f.time = v, "")}
                    {text("Distinct id", "distinct_id", |f| f.distinct_id.clone(), |f, v| f.distinct_id = v, "")}
                    {text("Insert id", "insert_id", |f| f.insert_id.clone(), |f, v| f.insert_id = v, "")}
                    {text("Properties (jsonb)", "properties", |f| f.properties.clone(), |f, v| f.properties = v, "")}
                    {text("Query time limit (seconds)", "timeout_secs", |f| f.timeout_secs.clone(), |f, v| f.timeout_secs = v, "")}
                </fieldset>
                <label class="check">
                    <input type="checkbox" name="use_for_pulls" prop:checked=move || form.with(|f| f.use_for_pulls)
                        on:change=move |ev| { let on = event_target_checked(&ev); form.update(|f| f.use_for_pulls = on) } />
                    " Pull results from the warehouse (instead of Mixpanel's export API)"
                </label>
                <div class="buttons">
                    <button type="button" class="ghost" disabled=move || test.pending().get()
                        on:click=move |_| { test.dispatch(form.get_untracked()); }>
                        {move || if test.pending().get() { "Testing…" } else { "Test connection" }}
                    </button>
                    <button type="submit" class="primary" disabled=move || save.pending().get()>"Save warehouse"</button>
                </div>
                <div data-testid="warehouse-test">{tested}</div>
                {saved}
            </form>
        </section>
    }
}

#[component]
fn ProbeResult(probe: ProbeView) -> impl IntoView {
    let latest = probe.latest.map_or_else(
        || "no events yet".to_owned(),
        |t| format!("newest event {t}"),
    );
    view! {
        <p class="muted" role="status">
            {format!(
                "Connected. `{}` has every column (time in {}); {} events in the last 24 hours; {latest}.",
                probe.table,
                probe.time_kind,
                int(probe.events_last_day.max(0) as u64),
            )}
        </p>
    }
}
