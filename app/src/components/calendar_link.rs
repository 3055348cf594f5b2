//! The subscribe link to a team's secret calendar feed (`/calendar/<secret>.ics`).

use leptos::prelude::*;

use crate::api::program::calendar_feed_url;

/// `team` empty means every team.
#[component]
pub fn CalendarLink(team: String, label: &'static str) -> impl IntoView {
    let url = Resource::new(move || team.clone(), calendar_feed_url);
    view! {
        <Suspense fallback=move || view! { <span>{label}</span> }>
            {move || Suspend::new(async move {
                match url.await {
                    Ok(href) => view! {
                        <a href=href data-testid="calendar-feed"
                            title="Subscribe from your calendar app: copy this link (it works without signing in, so share it only with your team)">
                            {label}
                        </a>
                    }.into_any(),
                    Err(_) => view! { <span>{label}</span> }.into_any(),
                }
            })}
        </Suspense>
    }
}
