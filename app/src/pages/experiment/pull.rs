//! Watching a Mixpanel pull for the experiment page: starts and cancels it, and asks for its
//! status every half second while it runs. Runs only in the browser (from an effect and from
//! clicks), never during server rendering; `components::pull_panel` draws what it sees.

use std::time::Duration;

use leptos::prelude::*;

use crate::api::pull::{cancel_pull, pull_status, start_pull};
use crate::components::pull_panel::PullPanel;
use crate::pull::{PullInfo, PullPhase};

const POLL_EVERY: Duration = Duration::from_millis(500);

/// The pull panel of experiment `key`; `on_done` runs when a pull seen running succeeds.
#[component]
pub fn PullWatch(key: String, on_done: Callback<()>) -> impl IntoView {
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
    let on_start = Callback::new(move |()| {
        let watcher = watcher.clone();
        problem.set(None);
        leptos::task::spawn_local(async move {
            match start_pull(watcher.key.clone()).await {
                Ok(status) => {
                    info.set(Some(PullInfo {
                        configured: true,
                        status: Some(status),
                    }));
                    set_timeout(move || watcher.poll(), POLL_EVERY);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    });
    let on_cancel = Callback::new(move |()| {
        let key = key.clone();
        leptos::task::spawn_local(async move {
            if let Err(e) = cancel_pull(key).await {
                problem.set(Some(e.to_string()));
            }
        });
    });
    view! { <PullPanel info problem on_start on_cancel /> }
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
