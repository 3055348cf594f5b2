//! Small SVG charts for the program dashboard: win rate over time against the 10-25% band, and
//! launches and conclusions per week against the 1-2 a week guideline. Plain SVG rendered on the
//! server (no charting crate fitted Leptos 0.8 SSR + hydration without a canvas or a JS bundle),
//! so they read before hydration, print as vectors, and every mark is a link to the experiments
//! behind it.

use leptos::prelude::*;

use crate::domain::program::win_rate::{BAND_HIGH, BAND_LOW};

/// One period's win rate.
#[derive(Debug, Clone, PartialEq)]
pub struct RatePoint {
    pub label: String,
    pub rate: Option<f64>,
    pub low: f64,
    pub high: f64,
    pub shipped: u64,
    pub concluded: u64,
    pub href: String,
}

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 34.0;

fn plot_w() -> f64 {
    W - LEFT - RIGHT
}

fn plot_h() -> f64 {
    H - TOP - BOTTOM
}

#[component]
pub fn WinRateChart(points: Vec<RatePoint>) -> impl IntoView {
    let y = |v: f64| TOP + (1.0 - v) * plot_h();
    let step = plot_w() / points.len().max(1) as f64;
    let label = format!(
        "Win rate by quarter with 95% intervals; the shaded band is the 10-25% benchmark. {}",
        points
            .iter()
            .map(|p| match p.rate {
                Some(r) => format!("{}: {:.0}% of {}", p.label, r * 100.0, p.concluded),
                None => format!("{}: none concluded", p.label),
            })
            .collect::<Vec<_>>()
            .join("; ")
    );
    let grid = [0.0, 0.25, 0.5, 0.75, 1.0].map(|v| {
        view! {
            <line class="grid" x1=LEFT x2=W - RIGHT y1=y(v) y2=y(v) />
            <text class="axis" x=LEFT - 6.0 y=y(v) + 4.0 text-anchor="end">{format!("{:.0}%", v * 100.0)}</text>
        }
    });
    let marks = points
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let x = LEFT + step * (i as f64 + 0.5);
            let title = match p.rate {
                Some(r) => format!(
                    "{}: {:.0}% ({} of {} shipped), 95% interval {:.0}% to {:.0}%",
                    p.label,
                    r * 100.0,
                    p.shipped,
                    p.concluded,
                    p.low * 100.0,
                    p.high * 100.0
                ),
                None => format!("{}: nothing concluded", p.label),
            };
            view! {
                <a href=p.href.clone() class="mark">
                    <title>{title}</title>
                    {p.rate.map(|r| view! {
                        <line class="whisker" x1=x x2=x y1=y(p.low) y2=y(p.high) />
                        <line class="whisker" x1=x - 5.0 x2=x + 5.0 y1=y(p.low) y2=y(p.low) />
                        <line class="whisker" x1=x - 5.0 x2=x + 5.0 y1=y(p.high) y2=y(p.high) />
                        <circle class="point" cx=x cy=y(r) r="5" />
                        <text class="value" x=x + 8.0 y=y(r) - 6.0>{format!("{:.0}%", r * 100.0)}</text>
                    })}
                    <text class="axis" x=x y=H - BOTTOM + 16.0 text-anchor="middle">{p.label.clone()}</text>
                    <text class="axis small" x=x y=H - BOTTOM + 29.0 text-anchor="middle">{format!("n={}", p.concluded)}</text>
                </a>
            }
        })
        .collect_view();
    view! {
        <figure class="chart-figure">
            <svg class="chart win-chart" viewBox=format!("0 0 {W} {H}") role="img" aria-label=label preserveAspectRatio="xMidYMid meet">
                <rect class="band" x=LEFT y=y(BAND_HIGH) width=plot_w() height=y(BAND_LOW) - y(BAND_HIGH) />
                {grid.into_iter().collect_view()}
                {marks}
            </svg>
            <figcaption class="legend">
                <span class="key point"></span>"win rate, with its 95% interval "
                <span class="key band"></span>"10-25% benchmark band"
            </figcaption>
        </figure>
    }
}

/// One week's launches and conclusions.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekBar {
    pub label: String,
    pub launched: u64,
    pub concluded: u64,
    pub launched_href: String,
    pub concluded_href: String,
}

#[component]
pub fn WeeklyChart(weeks: Vec<WeekBar>) -> impl IntoView {
    let max = weeks
        .iter()
        .map(|w| w.launched.max(w.concluded))
        .max()
        .unwrap_or(0)
        .max(3) as f64;
    let y = move |v: f64| TOP + (1.0 - v / max) * plot_h();
    let step = plot_w() / weeks.len().max(1) as f64;
    let bar = (step / 2.0 - 1.0).clamp(1.0, 14.0);
    // Label about a dozen weeks, whatever the range, so labels never overlap.
    let every = weeks.len().div_ceil(12).max(1);
    let total_launched: u64 = weeks.iter().map(|w| w.launched).sum();
    let total_concluded: u64 = weeks.iter().map(|w| w.concluded).sum();
    let label = format!(
        "Launched ({total_launched}) and concluded ({total_concluded}) per week over {} weeks; \
         the shaded band is the 1-2 launches a week guideline.",
        weeks.len()
    );
    let ticks = (0..=max as u64)
        .step_by(((max as u64) / 4).max(1) as usize)
        .map(|v| {
            view! {
                <line class="grid" x1=LEFT x2=W - RIGHT y1=y(v as f64) y2=y(v as f64) />
                <text class="axis" x=LEFT - 6.0 y=y(v as f64) + 4.0 text-anchor="end">{v}</text>
            }
        })
        .collect_view();
    let bars = weeks
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            let x = LEFT + step * i as f64 + step / 2.0;
            let show_label = i % every == 0;
            view! {
                <a href=w.launched_href.clone() class="mark">
                    <title>{format!("{}: {} launched", w.label, w.launched)}</title>
                    <rect class="bar launched" x=x - bar y=y(w.launched as f64) width=bar height=y(0.0) - y(w.launched as f64) />
                </a>
                <a href=w.concluded_href.clone() class="mark">
                    <title>{format!("{}: {} concluded", w.label, w.concluded)}</title>
                    <rect class="bar concluded" x=x y=y(w.concluded as f64) width=bar height=y(0.0) - y(w.concluded as f64) />
                </a>
                {show_label.then(|| view! {
                    <text class="axis" x=x y=H - BOTTOM + 16.0 text-anchor="middle">{w.label.clone()}</text>
                })}
            }
        })
        .collect_view();
    view! {
        <figure class="chart-figure">
            <svg class="chart weekly-chart" viewBox=format!("0 0 {W} {H}") role="img" aria-label=label preserveAspectRatio="xMidYMid meet">
                <rect class="band" x=LEFT y=y(2.0) width=plot_w() height=y(1.0) - y(2.0) />
                {ticks}
                {bars}
            </svg>
            <figcaption class="legend">
                <span class="key launched"></span>"launched "
                <span class="key concluded"></span>"concluded "
                <span class="key band"></span>"1-2 launches a week (guideline)"
            </figcaption>
        </figure>
    }
}
