//! One experiment the weekly review may show, with its latest counts, and what the agenda
//! works out from it alone, kept with it. The review's cache (`db::review_candidates`) keeps
//! candidates between views and shares every one no write touched, so a running test is
//! analysed once a day instead of on every view: at 10,000 experiments analysing the 400
//! running tests was a third of the review's render after each write.

use std::sync::{Mutex, OnceLock};

use chrono::NaiveDate;

use crate::domain::experiment::Experiment;
use crate::domain::results::Counts;
use crate::domain::review::items::running_item;
use crate::domain::review::RunningItem;

pub struct Candidate {
    pub experiment: Experiment,
    pub counts: Option<Counts>,
    /// The running item as of the day it was made for (it counts days left).
    running: Mutex<Option<(NaiveDate, RunningItem)>>,
    /// The brief's completeness and what still blocks "ready".
    readiness: OnceLock<(f64, Vec<String>)>,
}

impl Candidate {
    pub fn new(experiment: Experiment, counts: Option<Counts>) -> Self {
        Self {
            experiment,
            counts,
            running: Mutex::new(None),
            readiness: OnceLock::new(),
        }
    }

    /// The experiment as a running test on the agenda of `as_of`.
    pub(super) fn running_item(&self, as_of: NaiveDate) -> RunningItem {
        // A poisoned lock only means a panic elsewhere mid-update: compute afresh.
        let mut kept = self.running.lock().ok();
        if let Some(Some((day, item))) = kept.as_deref() {
            if *day == as_of {
                return item.clone();
            }
        }
        let item = running_item(&self.experiment, self.counts.as_ref(), as_of);
        if let Some(kept) = kept.as_mut() {
            **kept = Some((as_of, item.clone()));
        }
        item
    }

    /// The brief's checklist score and the gate's messages for what is missing.
    pub(super) fn readiness(&self) -> &(f64, Vec<String>) {
        self.readiness.get_or_init(|| {
            let brief = &self.experiment.brief;
            let missing = brief.validate().into_iter().map(|f| f.message).collect();
            (brief.completeness(), missing)
        })
    }
}

impl From<(Experiment, Option<Counts>)> for Candidate {
    fn from((experiment, counts): (Experiment, Option<Counts>)) -> Self {
        Self::new(experiment, counts)
    }
}

/// Equal when the experiment and counts are: what is kept follows from them.
impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.experiment == other.experiment && self.counts == other.counts
    }
}

impl std::fmt::Debug for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Candidate")
            .field("experiment", &self.experiment)
            .field("counts", &self.counts)
            .finish()
    }
}
