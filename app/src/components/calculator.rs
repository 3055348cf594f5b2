//! The live sample-size panel: recomputed in the browser on every keystroke.

use chrono::NaiveDate;
use leptos::prelude::*;

use super::format::{date, int, pct};
use crate::domain::brief::Brief;
use crate::domain::plan::plan;

#[component]
pub fn Calculator(brief: Signal<Brief>, on_use_end: Callback<NaiveDate>) -> impl IntoView {
    let result = Memo::new(move |_| brief.with(plan));
    let target_power = move || brief.with(|b| b.power);
    view! {
        <section class="calculator" aria-live="polite" data-testid="calculator">
            <h3>"Sample size and duration"</h3>
            {move || match result.get() {
                Err(missing) => view! { <p class="muted">{format!("To compute the sample size, {missing}.")}</p> }.into_any(),
                Ok(p) => view! {
                    <dl class="numbers">
                        <div><dt>"Per arm"</dt><dd data-testid="n-per-arm">{int(p.n_per_arm)}</dd></div>
                        <div><dt>"Total users"</dt><dd>{int(p.total_users)}</dd></div>
                        {p.days_needed.map(|d| view! { <div><dt>"Days needed"</dt><dd>{d}</dd></div> })}
                        {p.recommended_days.map(|d| view! { <div><dt>"Recommended run"</dt><dd data-testid="recommended-days">{format!("{d} days ({} full week{})", d / 7, if d / 7 == 1 { "" } else { "s" })}</dd></div> })}
                    </dl>
                    {p.cuped.clone().map(|c| view! {
                        <p data-testid="cuped-saving">{format!(
                            "CUPED at an expected correlation of {}: {} users per arm instead of {}{}.",
                            c.rho, int(p.n_per_arm), int(c.n_per_arm_without),
                            match (p.days_needed, c.days_without) { (Some(d), Some(w)) => format!(", {d} days instead of {w}"), _ => String::new() },
                        )}</p>
                    })}
                    {p.suggested_end.map(|end| view! {
                        <p>"Suggested end date: " <strong>{date(end)}</strong> " "
                            <button type="button" class="small" on:click=move |_| on_use_end.run(end)>"Use it"</button>
                        </p>
                    })}
                    {p.shortfall.map(|s| view! {
                        <p class="warning" role="alert" data-testid="power-warning">
                            {format!(
                                "The planned {} days collect about {} users per arm, not {}: that gives {} power instead of {}. \
                                 Extend the end date or raise the minimum detectable effect.",
                                s.planned_days, int(s.n_per_arm_planned), int(p.n_per_arm), pct(s.achieved_power), pct(target_power()),
                            )}
                        </p>
                    })}
                }.into_any(),
            }}
        </section>
    }
}
