//! A brief, read only (running and done experiments: the brief is locked at launch).

use leptos::prelude::*;

use super::format::{date, int, pct};
use crate::domain::brief::{Brief, MetricSpec};
use crate::domain::metric::{Measure, MetricKind};
use crate::domain::plan::plan;

#[component]
pub fn BriefView(brief: Brief, notes_html: String) -> impl IntoView {
    let metric = |m: &MetricSpec| {
        let count = |property: &str| {
            if property.trim().is_empty() {
                "count".to_owned()
            } else {
                format!("sum of {property}")
            }
        };
        let mut extra = match m.kind {
            Measure::Mean => format!(", sum of {}", m.value_property),
            Measure::Retention => format!(", day {}", m.retention_day),
            Measure::Ratio => format!(
                ", {} over {} of {}",
                count(&m.value_property),
                count(&m.denominator_property),
                m.denominator_event
            ),
            Measure::Proportion | Measure::Count => String::new(),
        };
        if let Some(cap) = m.cap {
            extra.push_str(&format!(", capped at {cap}"));
        }
        format!(
            "{} (event {}, {}{}, {})",
            m.name,
            m.event,
            m.kind.label().to_ascii_lowercase(),
            extra,
            m.direction.label().to_ascii_lowercase()
        )
    };
    let baseline = match brief.primary.statistic() {
        MetricKind::Proportion => brief.baseline_rate.map(pct).unwrap_or_else(|| "—".into()),
        MetricKind::Mean | MetricKind::Ratio => match (brief.baseline_mean, brief.baseline_sd) {
            (Some(m), Some(sd)) => format!("mean {m}, sd {sd}"),
            _ => "—".into(),
        },
    };
    let opt_pct = |v: Option<f64>| v.map(pct).unwrap_or_else(|| "—".into());
    let opt_date = |d: Option<chrono::NaiveDate>| d.map(date).unwrap_or_else(|| "—".into());
    let arms = brief
        .arms
        .iter()
        .map(|a| format!("{} ({})", a.name, pct(a.weight)))
        .collect::<Vec<_>>()
        .join(", ");
    let plan_line = match plan(&brief) {
        Ok(p) => format!(
            "{} users per arm, {} in total{}",
            int(p.n_per_arm),
            int(p.total_users),
            p.recommended_days
                .map(|d| format!("; {d} days recommended"))
                .unwrap_or_default()
        ),
        Err(e) => format!("not computable: {e}"),
    };
    view! {
        <div class="brief-view">
            <p class="sentence">{brief.hypothesis_sentence()}</p>
            <dl class="facts">
                <dt>"Primary metric"</dt><dd>{metric(&brief.primary)}</dd>
                <dt>"Guardrails"</dt><dd><ul>{brief.secondary.iter().map(|m| view! { <li>{metric(m)}</li> }).collect_view()}</ul></dd>
                <dt>"Baseline"</dt><dd>{baseline}</dd>
                <dt>"Minimum detectable effect"</dt><dd>{opt_pct(brief.mde)}</dd>
                <dt>"Alpha / power"</dt><dd>{format!("{} / {}", brief.alpha, brief.power)}</dd>
                <dt>"Arms"</dt><dd>{arms}</dd>
                <dt>"Daily traffic"</dt><dd>{brief.daily_traffic.map(int).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Sample size"</dt><dd>{plan_line}</dd>
                <dt>"Planned dates"</dt><dd>{format!("{} to {}", opt_date(brief.planned_start), opt_date(brief.planned_end))}</dd>
                <dt>"CUPED"</dt><dd data-testid="brief-cuped">{if brief.cuped.enabled { format!("on, {}-day pre-period", brief.cuped.lookback_days) } else { "off".to_owned() }}</dd>
                {(!brief.segments.is_empty()).then(|| view! { <dt>"Segments (exploratory)"</dt><dd>{brief.segments.join(", ")}</dd> })}
                <dt>"Decision rule"</dt><dd>{format!(
                    "ship if the primary metric lifts at least {} ({} engine, {} correction) and no guardrail drops more than {}",
                    opt_pct(brief.rule.min_lift), brief.rule.engine.label().to_ascii_lowercase(), brief.rule.correction.label(), opt_pct(brief.rule.max_guardrail_drop)
                )}</dd>
                {(!brief.design_doc.is_empty()).then(|| view! { <dt>"Design doc"</dt><dd><a href=brief.design_doc.clone() rel="noopener noreferrer">{brief.design_doc.clone()}</a></dd> })}
                {(!brief.ticket.is_empty()).then(|| view! { <dt>"Ticket"</dt><dd><a href=brief.ticket.clone() rel="noopener noreferrer">{brief.ticket.clone()}</a></dd> })}
            </dl>
            {(!notes_html.is_empty()).then(|| view! { <div class="notes" inner_html=notes_html></div> })}
        </div>
    }
}
