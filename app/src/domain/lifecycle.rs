//! The backlog lifecycle proposed -> ready -> running -> done and the gate on each move.
//! Gates are pure functions of the experiment, the request and "now", so every rule is unit
//! tested here and the server only has to load, call `plan_transition`, and write.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::brief::ReadyBrief;
use super::experiment::Experiment;
use super::signoff::SignOffGate;
use super::verdict::{Conclusion, PostMortem, Verdict, VerdictKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Proposed,
    Ready,
    Running,
    Done,
}

crate::domain::slugs!(Status { Proposed => "proposed", Ready => "ready", Running => "running", Done => "done" });

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Proposed => "Proposed",
            Status::Ready => "Ready",
            Status::Running => "Running",
            Status::Done => "Done",
        }
    }

    /// Results (typed, uploaded or pulled) belong to a test that has launched: running, or done
    /// (a late reading of a finished test is still its data). Before launch there is nothing
    /// to measure and the brief may still change.
    pub fn accepts_results(self) -> bool {
        matches!(self, Status::Running | Status::Done)
    }

    /// The moves the lifecycle allows from here. Done is final; ready may go back to drafting.
    pub fn allowed_transitions(self) -> &'static [Status] {
        match self {
            Status::Proposed => &[Status::Ready],
            Status::Ready => &[Status::Running, Status::Proposed],
            Status::Running => &[Status::Done],
            Status::Done => &[],
        }
    }

    /// The label of the button that makes the move.
    pub fn action_label(self, to: Status) -> &'static str {
        match (self, to) {
            (Status::Proposed, Status::Ready) => "Mark ready",
            (Status::Ready, Status::Running) => "Launch",
            (Status::Ready, Status::Proposed) => "Back to drafting",
            (Status::Running, Status::Done) => "Close with a verdict",
            _ => "Move",
        }
    }

    /// The forward moves from proposed to here, in order: how seeded data (demo, tests, the
    /// benchmark) walks the real lifecycle so each experiment has a truthful history.
    pub fn path_from_proposed(self) -> &'static [Status] {
        match self {
            Status::Proposed => &[],
            Status::Ready => &[Status::Ready],
            Status::Running => &[Status::Ready, Status::Running],
            Status::Done => &[Status::Ready, Status::Running, Status::Done],
        }
    }

    /// Briefs are editable while drafting; launch locks them.
    pub fn brief_editable(self) -> bool {
        matches!(self, Status::Proposed | Status::Ready)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A request to move an experiment, as sent by the board, the experiment page or the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TransitionWire", into = "TransitionWire")]
pub enum TransitionRequest {
    /// To ready, to running or back to proposed, with a note for the history (may be empty).
    /// A `Move` to done is a close without a conclusion: the gate lists what is missing.
    Move { to: Status, note: String },
    /// Running to done, with the team's conclusion.
    Close(Closing),
}

impl TransitionRequest {
    /// A move with no note.
    pub fn to(to: Status) -> Self {
        TransitionRequest::Move {
            to,
            note: String::new(),
        }
    }

    pub fn target(&self) -> Status {
        match self {
            TransitionRequest::Move { to, .. } => *to,
            TransitionRequest::Close(_) => Status::Done,
        }
    }
}

/// What a person closing an experiment said. What is required (a verdict, a summary, the
/// post-mortem's lessons) is checked by the gate, which lists everything missing at once; what
/// only some closes need is an `Option`, None when it was not given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Closing {
    pub verdict: Option<VerdictKind>,
    /// Ship only: the treatment arm that ships.
    pub ship_arm: Option<String>,
    pub summary: String,
    /// Closing before the planned end date only.
    pub stop_reason: Option<String>,
    /// Closing with a verdict other than the computed one only.
    pub override_reason: Option<String>,
    pub post_mortem: PostMortem,
    /// For the history, like a move's note (may be empty).
    pub note: String,
}

/// The flat JSON a request travels in (`{"to": "done", "verdict": "ship", "ship_arm": "b", ...}`),
/// the shape clients of the server functions have always sent: blank text means not given.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct TransitionWire {
    to: Option<Status>,
    note: String,
    verdict: Option<VerdictKind>,
    ship_arm: String,
    summary: String,
    stop_reason: String,
    override_reason: String,
    post_mortem: PostMortem,
}

impl TryFrom<TransitionWire> for TransitionRequest {
    type Error = &'static str;

    fn try_from(w: TransitionWire) -> Result<Self, Self::Error> {
        match w.to.ok_or("no target status given")? {
            Status::Done => Ok(TransitionRequest::Close(Closing {
                verdict: w.verdict,
                ship_arm: given(&w.ship_arm),
                summary: w.summary,
                stop_reason: given(&w.stop_reason),
                override_reason: given(&w.override_reason),
                post_mortem: w.post_mortem,
                note: w.note,
            })),
            to => Ok(TransitionRequest::Move { to, note: w.note }),
        }
    }
}

impl From<TransitionRequest> for TransitionWire {
    fn from(r: TransitionRequest) -> Self {
        match r {
            TransitionRequest::Move { to, note } => TransitionWire {
                to: Some(to),
                note,
                ..Default::default()
            },
            TransitionRequest::Close(c) => TransitionWire {
                to: Some(Status::Done),
                note: c.note,
                verdict: c.verdict,
                ship_arm: c.ship_arm.unwrap_or_default(),
                summary: c.summary,
                stop_reason: c.stop_reason.unwrap_or_default(),
                override_reason: c.override_reason.unwrap_or_default(),
                post_mortem: c.post_mortem,
            },
        }
    }
}

/// Free text as an optional field: None when nothing but spaces was typed.
pub fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// What the database must write for an allowed move. Its fields are private and each kind of
/// move has its own constructor, so a plan to go running always carries a `Launch`, and a
/// `Launch` holds a `ReadyBrief`, which only `Brief::ready` makes: an incomplete brief cannot be
/// launched, whoever builds the plan (the gate below, the demo loader, a test seed).
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionPlan {
    from: Status,
    to: Status,
    launch: Option<Launch>,
    ended_at: Option<DateTime<Utc>>,
    conclusion: Option<Conclusion>,
    note: String,
    warnings: Vec<String>,
}

/// A launch: the brief as it passed the ready check, and when it started.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    pub brief: ReadyBrief,
    pub at: DateTime<Utc>,
}

impl TransitionPlan {
    /// One forward step of seeded history (the demo, test seeds, the benchmark), dated `at`
    /// and without the gates a person goes through: a launch still needs a ready brief, and a
    /// close needs its conclusion.
    pub fn seeded(
        exp: &Experiment,
        to: Status,
        at: DateTime<Utc>,
        conclusion: Option<Conclusion>,
    ) -> Result<Self, TransitionError> {
        let refused = |reasons: Vec<String>| TransitionError::Refused { to, reasons };
        match to {
            Status::Ready | Status::Proposed => Ok(Self::new(exp.status, to, None, "")),
            Status::Running => {
                let brief = exp.brief.ready().map_err(|problems| {
                    refused(problems.iter().map(ToString::to_string).collect())
                })?;
                Ok(Self::launch(exp.status, Launch { brief, at }, ""))
            }
            Status::Done => match conclusion {
                Some(c) => Ok(Self::close(exp.status, at, c, "")),
                None => Err(refused(vec!["a close needs its conclusion".into()])),
            },
        }
    }

    /// Ready -> running, with the brief that passed the check.
    pub fn launch(from: Status, launch: Launch, note: &str) -> Self {
        Self::new(from, Status::Running, Some(launch), note)
    }

    /// Running -> done, with the recorded verdict.
    pub fn close(
        from: Status,
        ended_at: DateTime<Utc>,
        conclusion: Conclusion,
        note: &str,
    ) -> Self {
        Self {
            ended_at: Some(ended_at),
            conclusion: Some(conclusion),
            ..Self::new(from, Status::Done, None, note)
        }
    }

    fn new(from: Status, to: Status, launch: Option<Launch>, note: &str) -> Self {
        Self {
            from,
            to,
            launch,
            ended_at: None,
            conclusion: None,
            note: note.trim().to_owned(),
            warnings: Vec::new(),
        }
    }

    pub fn from(&self) -> Status {
        self.from
    }

    pub fn to(&self) -> Status {
        self.to
    }

    pub fn started_at(&self) -> Option<DateTime<Utc>> {
        self.launch.as_ref().map(|l| l.at)
    }

    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.ended_at
    }

    pub fn conclusion(&self) -> Option<&Conclusion> {
        self.conclusion.as_ref()
    }

    pub fn note(&self) -> &str {
        &self.note
    }

    /// Not refusals: things the person should know (another test on the same surface).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn into_warnings(self) -> Vec<String> {
        self.warnings
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TransitionError {
    #[error("{from} experiments cannot move to {to}")]
    NotAllowed { from: Status, to: Status },
    #[error("cannot move to {to}: {}", reasons.join("; "))]
    Refused { to: Status, reasons: Vec<String> },
}

/// What the gates need to know about the rest of the program.
#[derive(Debug, Clone, Default)]
pub struct ProgramContext {
    /// Keys of other running experiments on the same surface (for the overlap warning).
    pub running_on_surface: Vec<String>,
    /// The decision rule's verdict on the latest results, when there are results.
    pub computed_verdict: Option<Verdict>,
    /// Launch only: the workspace's sign-off policy and the sign-offs recorded. The default
    /// requires them, so a caller that forgets to load them is refused, not waved through.
    pub sign_offs: SignOffGate,
}

/// Minimum run: at least one full weekly cycle, or weekday/weekend effects bias the result.
pub const MIN_RUN_DAYS: i64 = 7;

/// Checks the gate for `request.to` and says what to write. Every refusal reason is listed, so a
/// person can fix them all at once instead of discovering them one by one.
pub fn plan_transition(
    exp: &Experiment,
    request: &TransitionRequest,
    now: DateTime<Utc>,
    ctx: &ProgramContext,
) -> Result<TransitionPlan, TransitionError> {
    let from = exp.status;
    let to = request.target();
    let (note, closing) = match request {
        TransitionRequest::Move { note, .. } => (note.as_str(), None),
        TransitionRequest::Close(closing) => (closing.note.as_str(), Some(closing)),
    };
    if !from.allowed_transitions().contains(&to) {
        return Err(TransitionError::NotAllowed { from, to });
    }
    let today = now.date_naive();
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();
    // None when the move is refused; `reasons` then says why.
    let plan = match to {
        Status::Ready => {
            reasons.extend(exp.brief.validate().iter().map(ToString::to_string));
            Some(TransitionPlan::new(from, to, None, note))
        }
        Status::Proposed => Some(TransitionPlan::new(from, to, None, note)),
        Status::Running => {
            // Only a ready brief launches: the plan cannot be made without one.
            let ready = match exp.brief.ready() {
                Ok(brief) => Some(brief),
                Err(problems) => {
                    reasons.extend(problems.iter().map(ToString::to_string));
                    None
                }
            };
            match exp.brief.planned_end {
                Some(end) if (end - today).num_days() < MIN_RUN_DAYS => reasons.push(format!(
                    "planned end date {end} is less than {MIN_RUN_DAYS} days after today's start \
                     ({today}); run at least one full week"
                )),
                Some(_) => {}
                None => {}
            }
            reasons.extend(ctx.sign_offs.check().iter().map(ToString::to_string));
            if !ctx.running_on_surface.is_empty() {
                warnings.push(format!(
                    "{} already running on surface '{}': results may interact",
                    ctx.running_on_surface.join(", "),
                    exp.surface
                ));
            }
            ready.map(|brief| TransitionPlan::launch(from, Launch { brief, at: now }, note))
        }
        Status::Done => {
            let nothing = Closing::default();
            let closing = closing.unwrap_or(&nothing);
            let (conclusion, refused) =
                conclusion_from(exp, closing, today, ctx.computed_verdict.as_ref());
            reasons.extend(refused);
            conclusion.map(|c| TransitionPlan::close(from, now, c, note))
        }
    };
    match plan {
        Some(mut plan) if reasons.is_empty() => {
            plan.warnings = warnings;
            Ok(plan)
        }
        _ => Err(TransitionError::Refused { to, reasons }),
    }
}

fn conclusion_from(
    exp: &Experiment,
    request: &Closing,
    today: NaiveDate,
    computed: Option<&Verdict>,
) -> (Option<Conclusion>, Vec<String>) {
    let mut reasons = Vec::new();
    let verdict = match request.verdict {
        None => {
            reasons.push("choose a verdict: ship, don't ship, inconclusive or invalid".into());
            None
        }
        Some(kind) => {
            let arm = request
                .ship_arm
                .as_deref()
                .unwrap_or_default()
                .trim()
                .to_owned();
            let treatments: Vec<&str> = exp
                .brief
                .arms
                .iter()
                .skip(1)
                .map(|a| a.name.as_str())
                .collect();
            if kind == VerdictKind::Ship && arm.is_empty() {
                reasons.push("a ship verdict names the arm that ships".into());
            } else if kind == VerdictKind::Ship && !treatments.contains(&arm.as_str()) {
                reasons.push(format!(
                    "'{arm}' is not a treatment arm of this experiment (arms: {})",
                    treatments.join(", ")
                ));
            }
            Verdict::from_parts(kind, Some(arm))
        }
    };
    let summary = request.summary.trim();
    if summary.is_empty() {
        reasons.push("write a summary of the result".into());
    }
    let stopped_early = match exp.brief.planned_end {
        Some(end) if today < end => {
            let why = request.stop_reason.as_deref().unwrap_or_default().trim();
            if why.is_empty() {
                reasons.push(format!(
                    "stopping before the planned end date ({end}) needs a reason"
                ));
            }
            Some(why.to_owned())
        }
        _ => None,
    };
    let pm = &request.post_mortem;
    if pm.lessons.trim().is_empty() {
        reasons.push("write the post-mortem's lessons: what did the team learn?".into());
    }
    let override_reason = request
        .override_reason
        .as_deref()
        .unwrap_or_default()
        .trim();
    let overrides = matches!((&verdict, computed), (Some(v), Some(c)) if v != c);
    if overrides && override_reason.is_empty() {
        reasons.push(format!(
            "the decision rule's verdict is '{}'; choosing another verdict needs a written reason",
            computed.map(Verdict::describe).unwrap_or_default()
        ));
    }
    let conclusion = verdict
        .filter(|_| reasons.is_empty())
        .map(|verdict| Conclusion {
            verdict,
            summary: summary.to_owned(),
            stopped_early,
            computed: computed.cloned(),
            override_reason: overrides.then(|| override_reason.to_owned()),
            post_mortem: PostMortem {
                lessons: pm.lessons.trim().to_owned(),
                segment_notes: pm.segment_notes.trim().to_owned(),
                next_idea: pm.next_idea.trim().to_owned(),
            },
        });
    (conclusion, reasons)
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;

/// One line of an experiment's status history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusChange {
    pub from: Option<Status>,
    pub to: Status,
    pub at: DateTime<Utc>,
    pub note: String,
}
