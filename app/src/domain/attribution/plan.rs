//! The configuration compiled for the hot loop: which event names matter and in what role, and
//! which property keys to pick out of a line (each gets a numbered slot).

use std::collections::HashSet;

use super::config::{Config, ConfigError, RetentionEvent, ValueMetric, NEW_VS_RETURNING};

pub(crate) const SLOT_TIME: usize = 0;
pub(crate) const SLOT_DISTINCT_ID: usize = 1;
pub(crate) const SLOT_INSERT_ID: usize = 2;
/// Mixpanel's ingestion time in milliseconds: among duplicates, the latest ingested copy counts.
const PROCESSING_TIME: &str = "mp_processing_time_ms";

/// What an event name means to this attribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Role {
    pub exposure: bool,
    /// Index into [`Plan::tracked`] when the event is a metric or carries a value metric.
    pub tracked: Option<u32>,
}

/// A conversion-side event: kept per user until the end, because its user's exposure may still
/// be ahead in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tracked {
    /// Index into [`Plan::metrics`] when the event is a conversion metric.
    pub metric: Option<usize>,
    /// `(index into Plan::values, property slot)`, no slot for a count (each event is 1);
    /// amounts are stored in this order.
    pub values: Vec<(usize, Option<usize>)>,
    /// Whether copies of this event are deduplicated: metric and value events are, events
    /// read only for retention are not.
    pub dedupe: bool,
    /// Indexes into [`Plan::retention`] of the named retention specs of this event.
    pub retention: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub config: Config,
    /// Metric event names, deduplicated in the order given.
    pub metrics: Vec<String>,
    pub values: Vec<ValueMetric>,
    /// Per value metric, whether the report shows it (a ratio's side that was not asked for
    /// as a value of its own is computed but not shown).
    pub value_reported: Vec<bool>,
    /// Per ratio, the value metrics of its numerator and denominator.
    pub ratios: Vec<(usize, usize)>,
    /// For each value metric, `(tracked event, position among that event's amounts)`.
    pub value_positions: Vec<(u32, usize)>,
    pub tracked: Vec<Tracked>,
    roles: Vec<(Box<[u8]>, Role)>,
    keys: Vec<Box<[u8]>>,
    /// Bit `n` is set when a wanted key is `n` bytes long (keys of 64+ bytes are always looked up).
    key_lengths: u64,
    pub experiment_slot: usize,
    /// The slot of the property that names the experiment ahead of `experiment_slot` (the
    /// flag) when it holds a non-empty string: Optimizely's `rule_key`, Amplitude's
    /// `experiment_key`.
    pub experiment_key_slot: Option<usize>,
    pub variant_slot: usize,
    pub processing_time_slot: usize,
    /// Slots of the segment properties, in the config's order.
    pub segment_slots: Vec<usize>,
    /// Whether some retention spec is `*`, or a segment is [`NEW_VS_RETURNING`]: every
    /// event's time is kept per user.
    pub any_activity: bool,
    filter: HashSet<Vec<u8>>,
}

impl Plan {
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        let metrics = dedup(config.metrics.iter().cloned());
        let mut values = dedup(config.values.iter().cloned());
        let mut value_reported = vec![true; values.len()];
        let mut ratios = Vec::new();
        for ratio in &config.ratios {
            let mut index_of = |metric: &ValueMetric| {
                values.iter().position(|v| v == metric).unwrap_or_else(|| {
                    values.push(metric.clone());
                    value_reported.push(false);
                    values.len() - 1
                })
            };
            let numerator = index_of(&ratio.numerator);
            ratios.push((numerator, index_of(&ratio.denominator)));
        }
        let mut plan = Plan {
            metrics,
            values,
            value_reported,
            ratios,
            value_positions: Vec::new(),
            tracked: Vec::new(),
            roles: Vec::new(),
            keys: ["time", "distinct_id", "$insert_id"]
                .iter()
                .map(|k| k.as_bytes().into())
                .collect(),
            key_lengths: 0,
            experiment_slot: 0,
            experiment_key_slot: None,
            variant_slot: 0,
            processing_time_slot: 0,
            segment_slots: Vec::new(),
            any_activity: false,
            filter: config
                .experiments
                .iter()
                .map(|e| e.as_bytes().to_vec())
                .collect(),
            config,
        };
        let convention = plan.config.convention.clone();
        plan.experiment_slot = plan.slot_for(convention.experiment_property());
        plan.variant_slot = plan.slot_for(convention.variant_property());
        plan.role_mut(convention.event()).exposure = true;
        for index in 0..plan.metrics.len() {
            let tracked = plan.tracked_for(&plan.metrics[index].clone());
            plan.tracked[tracked as usize].metric = Some(index);
        }
        for index in 0..plan.values.len() {
            let metric = plan.values[index].clone();
            let slot = (!metric.is_count()).then(|| plan.slot_for(metric.property()));
            let tracked = plan.tracked_for(metric.event());
            let amounts = &mut plan.tracked[tracked as usize].values;
            plan.value_positions.push((tracked, amounts.len()));
            amounts.push((index, slot));
        }
        for tracked in &mut plan.tracked {
            tracked.dedupe = tracked.metric.is_some() || !tracked.values.is_empty();
        }
        for index in 0..plan.config.retention.len() {
            match plan.config.retention[index].event.clone() {
                RetentionEvent::Named(event) => {
                    let tracked = plan.tracked_for(&event);
                    plan.tracked[tracked as usize].retention.push(index);
                }
                RetentionEvent::Any => plan.any_activity = true,
            }
        }
        let segments = plan.config.segments.clone();
        plan.segment_slots = segments.iter().map(|p| plan.slot_for(p)).collect();
        if segments.iter().any(|s| s == NEW_VS_RETURNING) {
            plan.any_activity = true;
        }
        plan.experiment_key_slot = convention
            .experiment_key_property()
            .map(|key| plan.slot_for(key));
        plan.processing_time_slot = plan.slot_for(PROCESSING_TIME);
        plan.key_lengths = plan
            .keys
            .iter()
            .filter(|key| key.len() < 64)
            .fold(0, |bits, key| bits | 1 << key.len());
        Ok(plan)
    }

    /// The role of an event name, compared byte for byte (names are few, so a scan is fastest).
    pub fn role(&self, event: &[u8]) -> Option<Role> {
        self.roles
            .iter()
            .find(|(name, _)| name.len() == event.len() && **name == *event)
            .map(|(_, role)| *role)
    }

    /// The slot of a property key, if attribution reads that property.
    #[inline]
    pub fn slot(&self, key: &[u8]) -> Option<usize> {
        // Most keys of a line are not wanted; their length alone usually says so.
        if key.len() < 64 && self.key_lengths & (1 << key.len()) == 0 {
            return None;
        }
        self.keys
            .iter()
            .position(|name| name.len() == key.len() && **name == *key)
    }

    pub fn slot_count(&self) -> usize {
        self.keys.len()
    }

    /// Whether exposures to this experiment are counted at all.
    pub fn wants_experiment(&self, name: &[u8]) -> bool {
        self.filter.is_empty() || self.filter.contains(name)
    }

    /// Experiments named in the filter, reported even when no exposure was seen.
    pub fn requested_experiments(&self) -> impl Iterator<Item = &String> {
        self.config.experiments.iter()
    }

    fn slot_for(&mut self, key: &str) -> usize {
        // Not `slot`: its length filter is only filled in once every key is known.
        let known = self.keys.iter().position(|name| **name == *key.as_bytes());
        known.unwrap_or_else(|| {
            self.keys.push(key.as_bytes().into());
            self.keys.len() - 1
        })
    }

    fn role_mut(&mut self, event: &str) -> &mut Role {
        let at = match self
            .roles
            .iter()
            .position(|(n, _)| **n == *event.as_bytes())
        {
            Some(at) => at,
            None => {
                self.roles.push((event.as_bytes().into(), Role::default()));
                self.roles.len() - 1
            }
        };
        &mut self.roles[at].1
    }

    fn tracked_for(&mut self, event: &str) -> u32 {
        if let Some(index) = self.role_mut(event).tracked {
            return index;
        }
        // Config sizes are tiny (a handful of metrics), far below u32::MAX.
        let index = self.tracked.len() as u32;
        self.tracked.push(Tracked {
            metric: None,
            values: Vec::new(),
            dedupe: false,
            retention: Vec::new(),
        });
        self.role_mut(event).tracked = Some(index);
        index
    }
}

/// The items in their first order, each once.
pub(crate) fn dedup<T: Clone + Eq + std::hash::Hash>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items.filter(|item| seen.insert(item.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::super::config::ExposureConvention;
    use super::*;

    #[test]
    fn an_event_can_be_metric_and_value_carrier_at_once() {
        let mut config = Config::new(ExposureConvention::Mixpanel);
        config.metrics = vec!["purchase".into(), "signup".into(), "purchase".into()];
        config.values = vec![
            ValueMetric::new("purchase", "amount").expect("valid"),
            ValueMetric::new("refund", "amount").expect("valid"),
        ];
        let plan = Plan::new(config).expect("valid config");
        assert_eq!(plan.metrics, ["purchase", "signup"]);
        let purchase = plan.role(b"purchase").and_then(|r| r.tracked);
        let refund = plan.role(b"refund").and_then(|r| r.tracked);
        assert_eq!(
            plan.value_positions,
            [(purchase.unwrap_or(9), 0), (refund.unwrap_or(9), 0)]
        );
        assert_eq!(plan.role(b"page_view"), None);
        assert!(plan
            .role(b"$experiment_started")
            .is_some_and(|r| r.exposure));
        assert_eq!(plan.slot(b"amount"), Some(5));
    }
}
