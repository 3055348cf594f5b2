//! The pre-period (retro A/A) check beside the SRM banner, and what CUPED bought: per metric,
//! how different the arms were before exposure and how much narrower the interval got.

use leptos::prelude::*;

use crate::domain::analysis::{p_value, signed_pct};
use crate::domain::metric::MetricRole;
use crate::domain::pre_period::PrePeriodCheck;

#[component]
pub fn PrePeriodPanel(check: PrePeriodCheck) -> impl IntoView {
    let imbalanced: Vec<String> = check.primary_imbalances().map(|a| a.arm.clone()).collect();
    let banner = if imbalanced.is_empty() {
        view! {
            <div class="srm healthy" role="status" data-testid="pre-period-banner">
                {format!("Pre-period check OK: the arms were alike on the primary metric in the {} days before exposure.", check.lookback_days)}
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="srm unhealthy" role="alert" data-testid="pre-period-banner">
                {format!(
                    "Pre-existing imbalance: {} already differed from the control on the primary metric before exposure (p < 0.001).{}",
                    imbalanced.join(", "),
                    if check.cuped { " CUPED adjusts the results for it." } else { " Without CUPED a lift cannot be credited to the change." }
                )}
            </div>
        }
        .into_any()
    };
    let narrowed = check
        .primary()
        .and_then(|m| m.arms.iter().filter_map(|a| a.narrowed).reduce(f64::max))
        .filter(|_| check.cuped);
    let rows = check
        .metrics
        .iter()
        .flat_map(|m| m.arms.iter().map(move |a| (m, a)))
        .map(|(m, a)| {
            let role = match m.role {
                MetricRole::Primary => "primary",
                MetricRole::Secondary => "guardrail",
            };
            view! {
                <tr class:unmet=a.imbalanced()>
                    <td>{format!("{} ({role})", m.metric)}</td>
                    <td>{a.arm.clone()}</td>
                    <td class="num">{a.lift_relative.map(signed_pct).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{a.p_value.map(p_value).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{format!("{:.3}", a.theta)}</td>
                    <td class="num">{a.narrowed.map(|n| format!("{:.0}%", n * 100.0)).unwrap_or_else(|| "—".into())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {banner}
        {narrowed.map(|n| view! {
            <p class="cuped-gain" data-testid="cuped-gain">{
                if n > 0.0 {
                    format!("CUPED narrowed the interval by {:.0}% (pre-period: {} days before each user's exposure).", n * 100.0, check.lookback_days)
                } else {
                    format!("CUPED did not narrow the interval: pre-exposure behaviour does not predict this metric ({:.0}%).", n * 100.0)
                }
            }</p>
        })}
        <details class="pre-period" data-testid="pre-period">
            <summary>"Pre-period check per metric"</summary>
            <table>
                <thead><tr><th>"Metric"</th><th>"Arm"</th><th class="num">"Difference before"</th><th class="num">"p"</th><th class="num">"theta"</th><th class="num">"Interval narrowed"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}
