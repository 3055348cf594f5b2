//! Results per segment, marked exploratory: each value's users, its own sample-ratio check and
//! every metric's lift with its Holm-adjusted p-value (or chance to win).

use leptos::prelude::*;

use super::format::int;
use crate::domain::analysis::{p_value, signed_pct};
use crate::domain::attribution::NEW_VS_RETURNING;
use crate::domain::segments::{SegmentBreakdown, SegmentResult};
use crate::domain::stats::{Evidence, SrmStatus};

#[component]
pub fn SegmentTables(segments: Vec<SegmentBreakdown>) -> impl IntoView {
    (!segments.is_empty()).then(|| {
        view! {
            <section class="segments" data-testid="segments">
                <h3>"By segment " <span class="badge exploratory">"exploratory"</span></h3>
                <p class="muted">"Exploratory: the decision never uses segments. p-values are Holm-adjusted across every value of a property; look for broken assignment (SRM) on one platform before reading a lift."</p>
                {segments.into_iter().map(|s| view! { <SegmentTable breakdown=s /> }).collect_view()}
            </section>
        }
    })
}

#[component]
fn SegmentTable(breakdown: SegmentBreakdown) -> impl IntoView {
    let metric_names: Vec<String> = breakdown
        .values
        .iter()
        .find_map(|v| v.analysis.as_ref().ok())
        .map(|a| a.metrics.iter().map(|m| m.name.clone()).collect())
        .unwrap_or_default();
    let columns = metric_names.len();
    view! {
        <table class="segment" data-property=breakdown.property.clone()>
            <caption>{segment_label(&breakdown.property)}</caption>
            <thead><tr><th>"Value"</th><th class="num">"Users"</th><th>"Sample ratio"</th>
                {metric_names.iter().map(|m| view! { <th>{m.clone()}</th> }).collect_view()}</tr></thead>
            <tbody>{breakdown.values.into_iter().map(|v| row(v, columns)).collect_view()}</tbody>
        </table>
    }
}

/// The derived segment reads as words; a property as its name.
fn segment_label(property: &str) -> String {
    if property == NEW_VS_RETURNING {
        "New vs returning (any event before the pre-period)".to_owned()
    } else {
        property.to_owned()
    }
}

fn row(v: SegmentResult, columns: usize) -> impl IntoView {
    let cells = match &v.analysis {
        Err(why) => {
            view! { <td>"—"</td><td colspan=columns.to_string()>{why.clone()}</td> }.into_any()
        }
        Ok(a) => {
            let srm = match a.srm.status {
                SrmStatus::Healthy => format!("OK (p = {})", p_value(a.srm.p_value)),
                SrmStatus::Unhealthy => format!("mismatch (p = {})", p_value(a.srm.p_value)),
                SrmStatus::NotEnoughTraffic => "too few users".to_owned(),
            };
            let unhealthy = a.srm.status == SrmStatus::Unhealthy;
            let metrics = a
                .metrics
                .iter()
                .map(|m| {
                    let text = m
                        .comparisons
                        .iter()
                        .map(|c| match c.estimate() {
                            None => format!("{}: no result", c.arm),
                            Some(e) => format!(
                                "{}: {} ({})",
                                c.arm,
                                signed_pct(e.lift_relative),
                                match e.evidence {
                                    Evidence::PValue { adjusted, .. } =>
                                        format!("adj. p = {}", p_value(adjusted)),
                                    Evidence::Posterior { chance_to_win, .. } =>
                                        format!("{:.0}% to win", chance_to_win * 100.0),
                                }
                            ),
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    view! { <td>{text}</td> }
                })
                .collect_view();
            view! { <td class:unmet=unhealthy data-testid="segment-srm">{srm}</td>{metrics} }
                .into_any()
        }
    };
    view! {
        <tr><th>{v.value}</th><td class="num">{int(v.users)}</td>{cells}</tr>
    }
}
