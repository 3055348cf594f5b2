//! The program dashboard's sections. Plain values in; every number is a link to the list of
//! experiments behind it (`/program/list?cohort=…` with the dashboard's filters).

use leptos::prelude::*;

use super::charts::{RatePoint, WeekBar, WeeklyChart, WinRateChart};
use crate::domain::program::cohort::{Cohort, Slice};
use crate::domain::program::report::{Group, Report, WinRate, MAX_RUNNING_PER_SURFACE};
use crate::domain::program::ProgramQuery;
use crate::domain::url;

/// The link behind a number.
pub fn cohort_href(query: &ProgramQuery, cohort: &Cohort) -> String {
    let filters = query.to_query_string();
    let sep = if filters.is_empty() { "" } else { "&" };
    format!(
        "/program/list?{filters}{sep}cohort={}",
        url::encode(&cohort.slug())
    )
}

/// "42%" (whole percent: the intervals are far wider than a decimal).
pub fn percent(fraction: Option<f64>) -> String {
    fraction.map_or("–".into(), |f| format!("{:.0}%", f * 100.0))
}

/// A count that links to its experiments.
#[component]
pub fn Count(group: Group, href: String, #[prop(optional, into)] label: String) -> impl IntoView {
    let text = if label.is_empty() {
        group.n.to_string()
    } else {
        label
    };
    view! { <a class="num" href=href>{text}</a> }
}

#[component]
pub fn WinRateSection(report: std::sync::Arc<Report>, query: ProgramQuery) -> impl IntoView {
    let q = query.clone();
    let href = move |c: Cohort| cohort_href(&q, &c);
    let tally = report.win.tally();
    let interval = tally.interval();
    let points: Vec<RatePoint> = report
        .by_quarter
        .iter()
        .map(|(quarter, w)| {
            let t = w.tally();
            let i = t.interval();
            RatePoint {
                label: quarter.label(),
                rate: t.rate(),
                low: i.map_or(0.0, |i| i.low),
                high: i.map_or(0.0, |i| i.high),
                shipped: t.shipped,
                concluded: t.concluded,
                href: href(Cohort::Concluded(Slice::Quarter(*quarter))),
            }
        })
        .collect();
    let rows = |rows: Vec<(String, WinRate)>, slice: fn(String) -> Slice| {
        rows.into_iter()
            .map(|(name, w)| view! { <RateRow name=name.clone() rate=w slice=slice(name) query=query.clone() /> })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="program-section" aria-labelledby="win-rate">
            <h2 id="win-rate">"Win rate"</h2>
            <div class="headline">
                <p class="big" data-testid="win-rate">
                    <a class="num" href=href(Cohort::Shipped(Slice::All))>{percent(tally.rate())}</a>
                </p>
                <div>
                    <p>
                        <Count group=report.win.shipped.clone() href=href(Cohort::Shipped(Slice::All)) />
                        " shipped of "
                        <Count group=report.win.concluded.clone() href=href(Cohort::Concluded(Slice::All)) />
                        " concluded"
                        {interval.map(|i| format!(" · 95% interval {:.0}% to {:.0}%", i.low * 100.0, i.high * 100.0))}
                        " · "
                        <Count group=report.win.invalid.clone() href=href(Cohort::Invalid(Slice::All)) />
                        " invalid, counted apart"
                    </p>
                    <p class=format!("reading reading-{}", tally.reading().slug()) data-testid="reading">{tally.describe()}</p>
                </div>
            </div>
            {(!points.is_empty()).then(|| view! { <WinRateChart points /> })}
            <div class="grid two">
                <RateTable title="By team" rows=rows(report.by_team.clone(), Slice::Team) />
                <RateTable title="By surface" rows=rows(report.by_surface.clone(), Slice::Surface) />
            </div>
        </section>
    }
}

#[component]
fn RateTable(title: &'static str, rows: AnyView) -> impl IntoView {
    view! {
        <table class="rates">
            <caption>{title}</caption>
            <thead><tr><th scope="col"></th><th scope="col">"Win rate"</th><th scope="col">"Shipped"</th><th scope="col">"Concluded"</th><th scope="col">"Invalid"</th><th scope="col">"95% interval"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn RateRow(name: String, rate: WinRate, slice: Slice, query: ProgramQuery) -> impl IntoView {
    let t = rate.tally();
    let href = |c: Cohort| cohort_href(&query, &c);
    view! {
        <tr>
            <th scope="row">{if name.is_empty() { "(none)".to_string() } else { name }}</th>
            <td class=format!("reading-{}", t.reading().slug())>{percent(t.rate())}</td>
            <td><Count group=rate.shipped.clone() href=href(Cohort::Shipped(slice.clone())) /></td>
            <td><Count group=rate.concluded.clone() href=href(Cohort::Concluded(slice.clone())) /></td>
            <td><Count group=rate.invalid.clone() href=href(Cohort::Invalid(slice)) /></td>
            <td class="muted">{t.interval().map(|i| format!("{:.0}–{:.0}%", i.low * 100.0, i.high * 100.0)).unwrap_or_default()}</td>
        </tr>
    }
}

#[component]
pub fn VelocitySection(report: std::sync::Arc<Report>, query: ProgramQuery) -> impl IntoView {
    let href = |c: Cohort| cohort_href(&query, &c);
    let v = &report.velocity;
    let bars: Vec<WeekBar> = v
        .weeks
        .iter()
        .map(|w| WeekBar {
            label: format!("W{:02}", w.week.week),
            launched: w.launched.n,
            concluded: w.concluded.n,
            launched_href: href(Cohort::Launched(Some(w.week))),
            concluded_href: href(Cohort::Ended(Some(w.week))),
        })
        .collect();
    let per_week = v.launches_per_week();
    let pace = match per_week {
        Some(p) if p < 1.0 => "below the 1-2 a week guideline",
        Some(p) if p > 2.0 => "above the 1-2 a week guideline",
        Some(_) => "within the 1-2 a week guideline",
        None => "",
    };
    let first = v
        .weeks
        .first()
        .map(|w| w.week.to_string())
        .unwrap_or_default();
    let last = v
        .weeks
        .last()
        .map(|w| w.week.to_string())
        .unwrap_or_default();
    view! {
        <section class="program-section" aria-labelledby="velocity">
            <h2 id="velocity">"Velocity"</h2>
            <div class="stats">
                <p><span class="label">"Launched"</span><Count group=v.launched.clone() href=href(Cohort::Launched(None)) /></p>
                <p><span class="label">"Concluded"</span><Count group=v.concluded.clone() href=href(Cohort::Ended(None)) /></p>
                <p><span class="label">"Launches a week"</span><span class="num">{per_week.map(|p| format!("{p:.1}")).unwrap_or_default()}</span><span class="muted">{pace}</span></p>
                <p><span class="label">"Running now"</span><Count group=v.running.clone() href=href(Cohort::Running(None)) /></p>
            </div>
            <h3>{format!("Per week, {first} to {last}")}</h3>
            <WeeklyChart weeks=bars />
            <h3>"Running now, per surface (guideline: 1-2 at a time)"</h3>
            {if v.by_surface.is_empty() {
                view! { <p class="muted">"Nothing is running."</p> }.into_any()
            } else {
                view! {
                    <ul class="surfaces">
                        {v.by_surface.iter().map(|s| {
                            let over = s.over_guideline();
                            let name = if s.surface.is_empty() { "(no surface)".to_string() } else { s.surface.clone() };
                            view! {
                                <li class:over=over>
                                    <strong>{name}</strong>": "
                                    <Count group=s.running.clone() href=href(Cohort::Running(Some(s.surface.clone()))) />
                                    " running"
                                    {over.then(|| format!(" · more than {MAX_RUNNING_PER_SURFACE}: results may interact"))}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
