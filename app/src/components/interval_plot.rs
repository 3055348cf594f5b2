//! A small SVG interval plot: the relative lift's interval around a zero line, coloured by
//! whether it is entirely better, entirely worse, or spans zero. Reads before hydration and prints.

use leptos::prelude::*;

use crate::domain::analysis::signed_pct;

#[component]
pub fn IntervalPlot(
    low: f64,
    estimate: f64,
    high: f64,
    better_when_positive: bool,
    #[prop(default = 0.0)] scale: f64,
) -> impl IntoView {
    const W: f64 = 240.0;
    const H: f64 = 28.0;
    // Symmetric around zero, so the zero line is always in the middle and plots line up.
    let extent = [low.abs(), high.abs(), scale, 0.01]
        .into_iter()
        .fold(0.0_f64, f64::max)
        * 1.15;
    let x = |v: f64| W / 2.0 + v / extent * (W / 2.0 - 4.0);
    let (good, bad) = if better_when_positive {
        (low > 0.0, high < 0.0)
    } else {
        (high < 0.0, low > 0.0)
    };
    let class = if good {
        "interval better"
    } else if bad {
        "interval worse"
    } else {
        "interval neutral"
    };
    let label = format!(
        "lift {} (interval {} to {})",
        signed_pct(estimate),
        signed_pct(low),
        signed_pct(high)
    );
    let title = label.clone();
    view! {
        <svg class=class viewBox=format!("0 0 {W} {H}") width=W height=H role="img" aria-label=label data-testid="interval-plot">
            <title>{title}</title>
            <line class="zero" x1=x(0.0) x2=x(0.0) y1="2" y2=H - 2.0 />
            <line class="ci" x1=x(low) x2=x(high) y1=H / 2.0 y2=H / 2.0 />
            <line class="cap" x1=x(low) x2=x(low) y1=H / 2.0 - 5.0 y2=H / 2.0 + 5.0 />
            <line class="cap" x1=x(high) x2=x(high) y1=H / 2.0 - 5.0 y2=H / 2.0 + 5.0 />
            <circle class="point" cx=x(estimate) cy=H / 2.0 r="4" />
        </svg>
    }
}
