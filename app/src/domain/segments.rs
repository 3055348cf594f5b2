//! Results per segment (`$os` = iOS, Android, ...): each value of each segment property of the
//! brief analysed as its own experiment, with its own sample-ratio check. Exploratory only: the
//! decision rule never reads a segment, and p-values are Holm-adjusted within each family (one
//! property and one metric: every value and arm of it), since ten segments will show a
//! "significant" one by chance.

use serde::{Deserialize, Serialize};

use super::analysis::request_for;
use super::brief::Brief;
use super::metric::Correction;
use super::results::Counts;
use super::stats::{self, AnalyzeResponse, Evidence};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentBreakdown {
    pub property: String,
    pub values: Vec<SegmentResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentResult {
    pub value: String,
    /// Users in the segment, all arms.
    pub users: u64,
    /// Err: the segment's counts cannot be analysed, in words.
    pub analysis: Result<AnalyzeResponse, String>,
}

/// Every segment of the reading, properties in the brief's order, values by size (largest
/// first). Empty when the reading has no segments.
pub fn analyze(brief: &Brief, counts: &Counts) -> Vec<SegmentBreakdown> {
    let mut out: Vec<SegmentBreakdown> = Vec::new();
    for property in &brief.segments {
        let mut values: Vec<SegmentResult> = counts
            .segments
            .iter()
            .filter(|s| &s.property == property)
            .map(|s| {
                let counts = s.counts();
                let mut request = request_for(brief, &counts);
                // Corrected below across the whole family, not within one segment.
                request.correction = Correction::None;
                SegmentResult {
                    value: s.value.clone(),
                    users: counts.arms.iter().map(|a| a.users).sum(),
                    analysis: stats::analyze(&request).map_err(|e| e.to_string()),
                }
            })
            .collect();
        values.sort_by(|a, b| b.users.cmp(&a.users).then_with(|| a.value.cmp(&b.value)));
        holm_within_families(&mut values);
        if !values.is_empty() {
            out.push(SegmentBreakdown {
                property: property.clone(),
                values,
            });
        }
    }
    out
}

/// For each metric, Holm over every (value, arm) comparison of the property.
fn holm_within_families(values: &mut [SegmentResult]) {
    let metrics = values
        .iter()
        .filter_map(|v| v.analysis.as_ref().ok())
        .map(|a| a.metrics.len())
        .max()
        .unwrap_or(0);
    for mi in 0..metrics {
        let mut raw = Vec::new();
        for v in values.iter() {
            if let Ok(a) = &v.analysis {
                if let Some(m) = a.metrics.get(mi) {
                    raw.extend(
                        m.comparisons
                            .iter()
                            .map(|c| c.estimate().and_then(|e| e.p_value())),
                    );
                }
            }
        }
        let mut adjusted = stats::adjust(&raw, Correction::Holm).into_iter();
        for v in values.iter_mut() {
            if let Ok(a) = &mut v.analysis {
                if let Some(m) = a.metrics.get_mut(mi) {
                    for c in &mut m.comparisons {
                        let next = adjusted.next().flatten();
                        if let (Ok(e), Some(p)) = (&mut c.outcome, next) {
                            if let Evidence::PValue { adjusted, .. } = &mut e.evidence {
                                *adjusted = p;
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::complete_brief;
    use crate::domain::results::{ArmCount, MetricCounts, Observed, SegmentCounts};

    fn segment(value: &str, users: [u64; 2], purchases: [u64; 2]) -> SegmentCounts {
        let arms = vec![
            ArmCount {
                name: "control".into(),
                users: users[0],
            },
            ArmCount {
                name: "one_page".into(),
                users: users[1],
            },
        ];
        let p = |c| Observed::Proportion { conversions: c };
        SegmentCounts {
            property: "$os".into(),
            value: value.into(),
            arms,
            metrics: vec![
                MetricCounts::new("purchase", vec![p(purchases[0]), p(purchases[1])]),
                MetricCounts::new(
                    "revenue",
                    vec![
                        Observed::from_mean_sd(users[0], 2.5, 12.0),
                        Observed::from_mean_sd(users[1], 2.5, 12.0),
                    ],
                ),
                MetricCounts::new("refunds", vec![p(users[0] / 100), p(users[1] / 100)]),
            ],
        }
    }

    #[test]
    fn each_segment_is_analysed_with_its_own_srm_and_holm_across_the_property() {
        let mut brief = complete_brief();
        brief.segments = vec!["$os".into()];
        let counts = Counts {
            segments: vec![
                segment("iOS", [5_000, 5_000], [500, 600]),
                // Android's assignment is broken: 6,000 against 4,000.
                segment("Android", [6_000, 4_000], [600, 400]),
            ],
            ..Counts::default()
        };
        let out = analyze(&brief, &counts);
        assert_eq!(out.len(), 1);
        let values = &out[0].values;
        assert_eq!(values[0].value, "Android", "largest first");
        let android = values[0].analysis.as_ref().unwrap();
        assert_eq!(android.srm.status, stats::SrmStatus::Unhealthy);
        let ios = values[1].analysis.as_ref().unwrap();
        assert_eq!(ios.srm.status, stats::SrmStatus::Healthy);
        let e = ios.metrics[0].comparisons[0].estimate().unwrap();
        let Evidence::PValue { raw, adjusted } = e.evidence else {
            panic!("fixed horizon gives p-values")
        };
        // Two comparisons in the purchase family: iOS has the smaller p, so Holm doubles it.
        assert!(
            (adjusted - (2.0 * raw).min(1.0)).abs() < 1e-12,
            "{raw} {adjusted}"
        );
    }

    #[test]
    fn segments_the_brief_does_not_name_are_not_shown() {
        let counts = Counts {
            segments: vec![segment("iOS", [5_000, 5_000], [500, 600])],
            ..Counts::default()
        };
        assert!(analyze(&complete_brief(), &counts).is_empty());
    }
}
