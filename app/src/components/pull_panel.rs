//! "Pull now" from Mixpanel with a live progress bar and a Cancel button.
//!
//! Unlike the other components this one calls server functions itself: watching a pull is a
//! loop of status requests every half second, and that loop belongs with the bar it moves. It
//! runs only in the browser (from an effect and from clicks), never during server rendering.

use std::time::Duration;

use leptos::prelude::*;

use super::format::int;
use crate::api::pull::{cancel_pull, pull_status, start_pull};
use crate::pull::{PullInfo, PullPhase, PullStatus};

const POLL_EVERY: Duration = Duration::from_millis(500);

#[component]
pub fn PullPanel(key: String, on_done: Callback<()>) -> impl IntoView {
    let info = RwSignal::new(None::<PullInfo>);
    let problem = RwSignal::new(None::<String>);
    let watcher = Watcher {
        key: key.clone(),
        info,
        problem,
        on_done,
    };
    // A pull may already run (the schedule, another tab): pick it up once hydrated.
    Effect::new({
        let watcher = watcher.clone();
        move |_| watcher.clone().poll()
    });
    let start = {
        let watcher = watcher.clone();
        Callback::new(move |()| {
            let watcher = watcher.clone();
            problem.set(None);
            leptos::task::spawn_local(async move {
                match start_pull(watcher.key.clone()).await {
                    Ok(status) => {
                        info.update(|i| {
                            *i = Some(PullInfo {
                                configured: true,
                                status: Some(status),
                            })
                        });
                        set_timeout(move || watcher.poll(), POLL_EVERY);
                    }
                    Err(e) => problem.set(Some(e.to_string())),
                }
            });
        })
    };
    let cancel = Callback::new(move |()| {
        let key = key.clone();
        leptos::task::spawn_local(async move {
            if let Err(e) = cancel_pull(key).await {
                problem.set(Some(e.to_string()));
            }
        });
    });
    let status = move || info.get().and_then(|i| i.status);
    let running = move || status().is_some_and(|s| s.is_running());
    let configured = move || info.get().is_none_or(|i| i.configured);
    view! {
        <div class="pull-panel" data-testid="pull-panel">
            <Show
                when=configured
                fallback=|| view! { <p class="muted">"To pull results from Mixpanel, set up the project under " <a href="/settings">"Settings"</a> "."</p> }
            >
                <div class="buttons">
                    <button type="button" class="primary" disabled=running on:click=move |_| start.run(())>
                        {move || if running() { "Pulling…" } else { "Pull now" }}
                    </button>
                    <Show when=running>
                        <button type="button" class="ghost" on:click=move |_| cancel.run(())>"Cancel"</button>
                    </Show>
                </div>
            </Show>
            {move || status().map(|s| view! { <PullProgress status=s /> })}
            {move || problem.get().map(|p| view! { <p class="refusal" role="alert" data-testid="pull-error">{p}</p> })}
        </div>
    }
}

/// The bar and its numbers while running; the outcome in words once finished.
#[component]
fn PullProgress(status: PullStatus) -> impl IntoView {
    let stats = format!(
        "{} read · {} events · {}/s · {} elapsed",
        bytes(status.bytes as f64),
        int(status.events),
        bytes(status.bytes_per_second()),
        clock(status.elapsed_ms),
    );
    let message = status.message.clone().unwrap_or_default();
    let range = format!("{} to {}", status.from, status.to);
    match status.phase {
        PullPhase::Running => view! {
            <div class="pull-progress" data-testid="pull-progress">
                // Mixpanel does not say how big the export is, so the bar shows activity, and the
                // numbers beside it show how far it got.
                <progress aria-label=format!("Pulling {range} from Mixpanel")></progress>
                <p class="pull-stats" data-testid="pull-stats">{stats}</p>
                {(!message.is_empty()).then(|| view! { <p class="warning" role="status">{message.clone()}</p> })}
            </div>
        }
        .into_any(),
        PullPhase::Succeeded => view! {
            <p class="muted" role="status" data-testid="pull-outcome">{format!("Pulled {range}. {message} ({stats})")}</p>
        }
        .into_any(),
        PullPhase::Cancelled => view! {
            <p class="warning" role="status" data-testid="pull-outcome">{message}</p>
        }
        .into_any(),
        PullPhase::Failed => view! {
            <p class="refusal" role="alert" data-testid="pull-outcome">{format!("The pull failed: {message}")}</p>
        }
        .into_any(),
    }
}

/// What the polling loop needs; cloned into each step.
#[derive(Clone)]
struct Watcher {
    key: String,
    info: RwSignal<Option<PullInfo>>,
    problem: RwSignal<Option<String>>,
    on_done: Callback<()>,
}

impl Watcher {
    /// Asks for the status, and again after a pause while the pull runs. A pull seen running
    /// that ends in success tells the results section to reload. Stops once the panel is gone.
    fn poll(self) {
        leptos::task::spawn_local(async move {
            let Some(before) = self.info.try_get_untracked() else {
                return;
            };
            let was_running = before
                .and_then(|i| i.status)
                .is_some_and(|s| s.is_running());
            match pull_status(self.key.clone()).await {
                Ok(now) => {
                    let phase = now.status.as_ref().map(|s| s.phase);
                    if self.info.try_set(Some(now)).is_some() {
                        return;
                    }
                    match phase {
                        Some(PullPhase::Running) => set_timeout(move || self.poll(), POLL_EVERY),
                        Some(PullPhase::Succeeded) if was_running => self.on_done.run(()),
                        _ => {}
                    }
                }
                Err(e) => {
                    let _ = self.problem.try_set(Some(e.to_string()));
                }
            }
        });
    }
}

/// 1536 -> "1.5 KB": export sizes, rounded the way file browsers do.
fn bytes(n: f64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = n.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// 83_000 ms -> "1:23".
fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_like_a_file_browser_and_a_stopwatch() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1536.0), "1.5 KB");
        assert_eq!(bytes(11_904_257.0), "11.4 MB");
        assert_eq!(clock(83_000), "1:23");
        assert_eq!(clock(400), "0:00");
    }
}
