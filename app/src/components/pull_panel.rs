//! "Pull now" from Mixpanel with a live progress bar and a Cancel button. The page watches the
//! pull (`pages::experiment::pull`: the status requests every half second); this draws what it
//! saw and reports the clicks.

use leptos::prelude::*;

use super::format::int;
use crate::pull::{PullInfo, PullPhase, PullSource, PullStatus};

/// `info` is the latest status (None until the first answer), `problem` a request that failed.
#[component]
pub fn PullPanel(
    #[prop(into)] info: Signal<Option<PullInfo>>,
    #[prop(into)] problem: Signal<Option<String>>,
    on_start: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let status = move || info.get().and_then(|i| i.status);
    let running = move || status().is_some_and(|s| s.is_running());
    let configured = move || info.get().is_none_or(|i| i.configured);
    view! {
        <div class="pull-panel" data-testid="pull-panel">
            <Show
                when=configured
                fallback=|| view! { <p class="muted">"To pull results, set up the Mixpanel project or a warehouse under " <a href="/settings">"Settings"</a> "."</p> }
            >
                <div class="buttons">
                    <button type="button" class="primary" disabled=running on:click=move |_| on_start.run(())>
                        {move || if running() { "Pulling…" } else { "Pull now" }}
                    </button>
                    <Show when=running>
                        <button type="button" class="ghost" on:click=move |_| on_cancel.run(())>"Cancel"</button>
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
    let warehouse = status.source == PullSource::Warehouse;
    let stats = if warehouse {
        // The warehouse says nothing until its answer: the time is the progress.
        match status.phase {
            PullPhase::Running => format!("query running for {}", clock(status.elapsed_ms)),
            _ => format!(
                "{} events counted in the warehouse · {} elapsed",
                int(status.events),
                clock(status.elapsed_ms)
            ),
        }
    } else {
        format!(
            "{} read · {} events · {}/s · {} elapsed",
            bytes(status.bytes as f64),
            int(status.events),
            bytes(status.bytes_per_second()),
            clock(status.elapsed_ms),
        )
    };
    let message = status.message.clone().unwrap_or_default();
    let range = format!("{} to {}", status.from, status.to);
    let from = if warehouse {
        "the warehouse"
    } else {
        "Mixpanel"
    };
    match status.phase {
        PullPhase::Running => view! {
            <div class="pull-progress" data-testid="pull-progress">
                // Mixpanel does not say how big the export is, so the bar shows activity, and the
                // numbers beside it show how far it got.
                <progress aria-label=format!("Pulling {range} from {from}")></progress>
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
