//! The subscribe link to a team's secret calendar feed (`/calendar/<secret>.ics`), and the
//! editor's buttons that create it or rotate its secret (explicit POSTs: showing a page never
//! writes). The page loads the link and owns the action (`pages::calendar_feed`).

use leptos::prelude::*;

use crate::api::program::CreateCalendarFeed;

/// `url` is the feed's address, None before anyone created it; `team` empty means every team.
#[component]
pub fn CalendarLink(
    url: Option<String>,
    team: String,
    label: &'static str,
    create: ServerAction<CreateCalendarFeed>,
) -> impl IntoView {
    let error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    let body = match url {
        Some(href) => view! {
            <a href=href data-testid="calendar-feed"
                title="Subscribe from your calendar app: copy this link (it works without signing in, so share it only with your team)">
                {label}
            </a>
            " "
            <ActionForm action=create attr:class="inline">
                <input type="hidden" name="team" value=team.clone() />
                <input type="hidden" name="rotate" value="true" />
                <button type="submit" class="link" data-testid="calendar-rotate"
                    title="Make a new secret link: everyone subscribed to the old one stops receiving updates">
                    "new link"
                </button>
            </ActionForm>
        }
        .into_any(),
        None => view! {
            <ActionForm action=create attr:class="inline">
                <input type="hidden" name="team" value=team.clone() />
                <input type="hidden" name="rotate" value="false" />
                <button type="submit" class="link" data-testid="calendar-create"
                    title="Create a secret subscribe link for calendar apps">
                    {label}": create link"
                </button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        {body}
        {move || error().map(|e| view! { <span class="error" role="alert">" "{e}</span> })}
    }
}
