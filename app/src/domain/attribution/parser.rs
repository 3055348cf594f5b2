//! The parsing half of attribution: a line in, at most one exposure or metric event out.
//!
//! Parsing is nearly all of the CPU time and needs no shared state, so it is split from the
//! tally: [`BlockParser`] can run on any number of threads, each turning blocks of whole lines
//! into a compact [`ParsedBlock`], while a single [`Attributor`](super::Attributor) absorbs the
//! blocks in input order. One tally means each user is stored once, whatever the thread count.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::sync::Arc;

use super::amount::Amount;
use super::json::Kind;
use super::line::{leading_event, quick_activity, scan, text, unix_seconds, Fields, QuickCheck};
use super::plan::{Plan, SLOT_DISTINCT_ID, SLOT_INSERT_ID, SLOT_TIME};
use super::report::{SkipReason, SkippedLines};
use super::tally::Excluded;

/// Where parsed events go: straight into the tally, or into a [`ParsedBlock`].
pub(crate) trait Sink {
    /// The names are valid UTF-8 (the scanner checked every string).
    fn exposure(&mut self, user: &[u8], time: i64, exposure: Named<'_>);
    /// An exposure to an experiment the run does not report, on a flag (a rollout or another
    /// test of the same flag): counted per (flag, experiment) so the report can say what was
    /// left out.
    fn excluded(&mut self, flag: &[u8], experiment: &[u8], events: u64);
    /// `amounts` follow the order of the event's value metrics in the plan.
    fn conversion(&mut self, user: &[u8], time: i64, event: TrackedEvent, amounts: &[Amount]);
    /// Any event but the exposure event, for `*` retention.
    fn activity(&mut self, user: &[u8], time: i64);
}

/// The names an exposure carries; `flag` is the flag the experiment is a rule of (Optimizely,
/// Amplitude), if the convention has flags.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Named<'a> {
    pub experiment: &'a [u8],
    pub arm: &'a [u8],
    pub flag: Option<&'a [u8]>,
    /// The segment properties' values on this event, in the plan's order.
    pub segments: &'a [Vec<u8>],
}

/// A segment value as the report names it: strings decoded (an empty one stays ""), numbers
/// as their JSON text, booleans `true` / `false`, anything else (missing, null, objects,
/// arrays) `(none)`.
fn segment_value(line: &[u8], span: Option<super::json::Span>) -> Vec<u8> {
    match span {
        Some(span) if !matches!(span.kind, Kind::Null | Kind::Object | Kind::Array) => {
            text(line, span).map_or_else(|| NO_SEGMENT.to_vec(), |v| v.into_owned())
        }
        _ => NO_SEGMENT.to_vec(),
    }
}

/// The segment value of a user whose first exposure lacks the property.
pub(crate) const NO_SEGMENT: &[u8] = b"(none)";

/// A metric event's identity beyond its user and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrackedEvent {
    pub tracked: u32,
    /// A hash of `$insert_id`, 0 when absent (never a duplicate).
    pub insert_id: u64,
    /// `mp_processing_time_ms`, [`NOT_PROCESSED`] when absent.
    pub processed: i64,
}

/// `mp_processing_time_ms` of a copy that lacks it: loses to any copy that has it.
pub(crate) const NOT_PROCESSED: i64 = i64::MIN;

/// What a valid (or blank) line was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineRead {
    Blank,
    /// A complete event attribution does not use.
    Ignored,
    /// An exposure or metric event, at this time (UTC seconds).
    Event(i64),
    /// An event sent with `distinct_id: ""`, Mixpanel's way to record an event tied to no user.
    Anonymous,
}

/// Whether a line is Mixpanel's note that it cut a 200 export short: `terminated early` or
/// `export terminated early`, in any case, alone on its line.
pub(crate) fn is_truncation_marker(line: &[u8]) -> bool {
    let lower = line.trim_ascii().to_ascii_lowercase();
    lower == b"terminated early" || lower == b"export terminated early"
}

/// What the last non-blank line of an input was, as far as truncation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Tail {
    /// No non-blank line yet.
    #[default]
    None,
    Marker,
    Other,
}

impl Tail {
    /// The tail after reading one more line.
    pub(crate) fn after(self, read: &Result<LineRead, SkipReason>) -> Self {
        match read {
            Ok(LineRead::Blank) => self,
            Err(SkipReason::TerminatedEarly) => Tail::Marker,
            _ => Tail::Other,
        }
    }

    /// The tail of `self` followed by `later`.
    pub(crate) fn then(self, later: Tail) -> Self {
        if later == Tail::None {
            self
        } else {
            later
        }
    }
}

/// Turns lines into events. Cheap to clone: give each thread its own.
#[derive(Debug, Clone)]
pub struct BlockParser {
    plan: Arc<Plan>,
    quick: QuickCheck,
    fields: Fields,
    amounts: Vec<Amount>,
    segments: Vec<Vec<u8>>,
}

impl BlockParser {
    pub(crate) fn new(plan: Arc<Plan>) -> Self {
        Self {
            plan,
            quick: QuickCheck::new(),
            fields: Fields::default(),
            amounts: Vec::new(),
            segments: Vec::new(),
        }
    }

    pub(crate) fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// Parses a block of whole lines (the last may lack its newline). Line numbers in the
    /// result count from the block's first line; [`Attributor::absorb`](super::Attributor::absorb)
    /// shifts them.
    pub fn parse(&mut self, block: &[u8]) -> ParsedBlock {
        let mut parsed = ParsedBlock {
            plan: Arc::clone(&self.plan),
            bytes: block.len() as u64,
            lines: 0,
            events: 0,
            skipped: SkippedLines::default(),
            anonymous: 0,
            latest: None,
            tail: Tail::None,
            text: Vec::new(),
            exposures: Vec::new(),
            conversions: Vec::new(),
            amounts: Vec::new(),
            segment_spans: Vec::new(),
            excluded: Excluded::default(),
            activity: Vec::new(),
        };
        if block.is_empty() {
            return parsed;
        }
        let mut rest = block.strip_suffix(b"\n").unwrap_or(block);
        loop {
            // memchr, not `split`: the newline search touches every byte of the input.
            let (line, next) = match memchr::memchr(b'\n', rest) {
                Some(newline) => (&rest[..newline], Some(&rest[newline + 1..])),
                None => (rest, None),
            };
            parsed.lines += 1;
            let read = self.line(line, &mut parsed);
            parsed.tail = parsed.tail.after(&read);
            match read {
                Ok(LineRead::Event(time)) => {
                    parsed.events += 1;
                    parsed.latest = parsed.latest.max(Some(time));
                }
                Ok(LineRead::Anonymous) => parsed.anonymous += 1,
                Ok(LineRead::Blank | LineRead::Ignored) => {}
                Err(reason) => parsed.skipped.record(parsed.lines, reason),
            }
            match next {
                Some(next) => rest = next,
                None => return parsed,
            }
        }
    }

    /// One line (without its newline): what it was, or why it is skipped. The skip checks come
    /// first, so an anonymous event without a time is a skipped line.
    pub(crate) fn line(
        &mut self,
        line: &[u8],
        sink: &mut impl Sink,
    ) -> Result<LineRead, SkipReason> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > MAX_LINE_BYTES {
            return Err(SkipReason::TooLong);
        }
        if let Some(event) = leading_event(line) {
            if self.plan.role(event).is_none() {
                if !self.plan.any_activity {
                    if self.quick.looks_complete(line) {
                        return Ok(LineRead::Ignored);
                    }
                } else if let Some((time, user)) = quick_activity(line) {
                    // With `*` retention an ignored event's time still counts, so the cheap
                    // path reads the time and user it needs, and nothing else.
                    sink.activity(user, self.plan.config.clock.to_utc(time));
                    return Ok(LineRead::Ignored);
                }
            }
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(LineRead::Blank);
        }
        scan(line, &self.plan, &mut self.fields).map_err(|_| {
            if is_truncation_marker(line) {
                SkipReason::TerminatedEarly
            } else {
                SkipReason::InvalidJson
            }
        })?;
        let fields = &self.fields;
        let event = fields
            .event
            .filter(|span| matches!(span.kind, Kind::String { .. }))
            .and_then(|span| text(line, span))
            .ok_or(SkipReason::MissingEvent)?;
        let time = fields.slots[SLOT_TIME]
            .and_then(|span| unix_seconds(line, span))
            .ok_or(SkipReason::MissingTime)?;
        let time = self.plan.config.clock.to_utc(time);
        let id_span = fields.slots[SLOT_DISTINCT_ID].ok_or(SkipReason::MissingDistinctId)?;
        let user = text(line, id_span).ok_or(SkipReason::MissingDistinctId)?;
        if user.is_empty() {
            // The empty string is deliberate (an event tied to no user); anything else empty
            // is not an id at all.
            return if matches!(id_span.kind, Kind::String { .. }) {
                Ok(LineRead::Anonymous)
            } else {
                Err(SkipReason::MissingDistinctId)
            };
        }
        let role = self.plan.role(&event);
        if self.plan.any_activity && !role.is_some_and(|r| r.exposure) {
            sink.activity(&user, time);
        }
        let Some(role) = role else {
            return Ok(LineRead::Ignored);
        };
        if role.exposure {
            self.exposure(line, &user, time, sink);
        }
        if let Some(tracked) = role.tracked {
            self.conversion(line, &user, time, tracked, sink);
        }
        Ok(LineRead::Event(time))
    }

    fn exposure(&mut self, line: &[u8], user: &[u8], time: i64, sink: &mut impl Sink) {
        if self.plan.config.run.is_some_and(|run| !run.contains(time)) {
            return;
        }
        let name = |slot: usize| self.fields.slots[slot].and_then(|span| text(line, span));
        let (Some(flag_or_name), Some(arm)) = (
            name(self.plan.experiment_slot),
            name(self.plan.variant_slot),
        ) else {
            return;
        };
        // Optimizely's rule and Amplitude's experiment key name the experiment when they are
        // non-empty strings; the flag is only the fallback (a delivery rule, a lone experiment).
        let key = self
            .plan
            .experiment_key_slot
            .and_then(|slot| self.fields.slots[slot])
            .filter(|span| matches!(span.kind, Kind::String { .. }))
            .and_then(|span| text(line, span))
            .filter(|key| !key.is_empty());
        let flag = self.plan.experiment_key_slot.map(|_| &*flag_or_name);
        let experiment = key.as_deref().unwrap_or(&flag_or_name);
        if self.plan.wants_experiment(experiment) {
            self.segments.clear();
            for &slot in &self.plan.segment_slots {
                self.segments
                    .push(segment_value(line, self.fields.slots[slot]));
            }
            let named = Named {
                experiment,
                arm: &arm,
                flag,
                segments: &self.segments,
            };
            sink.exposure(user, time, named);
        } else if let Some(flag) = flag {
            sink.excluded(flag, experiment, 1);
        }
    }

    fn conversion(
        &mut self,
        line: &[u8],
        user: &[u8],
        time: i64,
        tracked: u32,
        sink: &mut impl Sink,
    ) {
        let dedupe = self.plan.tracked[tracked as usize].dedupe;
        let insert_id = self.fields.slots[SLOT_INSERT_ID]
            .filter(|_| dedupe)
            .and_then(|span| text(line, span))
            .map_or(0, |id| {
                // Fixed keys: every thread and part must hash an id alike.
                let mut hasher = DefaultHasher::new();
                hasher.write(&id);
                hasher.finish().max(1)
            });
        // Only a number is a processing time; a copy without one loses to any copy with one.
        let processed = self.fields.slots[self.plan.processing_time_slot]
            .and_then(|span| unix_seconds(line, span))
            .map_or(NOT_PROCESSED, |ms| ms.max(NOT_PROCESSED + 1));
        self.amounts.clear();
        for &(_, slot) in &self.plan.tracked[tracked as usize].values {
            let Some(slot) = slot else {
                self.amounts.push(Amount::ONE);
                continue;
            };
            self.amounts.push(match self.fields.slots[slot] {
                Some(span) if span.kind == Kind::Number => Amount::parse(span.bytes(line)),
                _ => Amount::ZERO,
            });
        }
        let event = TrackedEvent {
            tracked,
            insert_id,
            processed,
        };
        sink.conversion(user, time, event, &self.amounts);
    }
}

/// Mixpanel caps an event at 1 MB; a longer "line" is a missing newline, and buffering it
/// would let memory grow with the file.
pub(crate) const MAX_LINE_BYTES: usize = 8 << 20;

/// The events of one block of lines, in a compact form an [`Attributor`](super::Attributor)
/// absorbs. Strings live back to back in one buffer, so a block costs a few allocations.
#[derive(Debug, Clone)]
pub struct ParsedBlock {
    pub(crate) plan: Arc<Plan>,
    pub(crate) bytes: u64,
    pub(crate) lines: u64,
    pub(crate) events: u64,
    pub(crate) skipped: SkippedLines,
    pub(crate) anonymous: u64,
    /// The latest event time read (UTC seconds).
    pub(crate) latest: Option<i64>,
    pub(crate) tail: Tail,
    text: Vec<u8>,
    exposures: Vec<ExposureRecord>,
    conversions: Vec<ConversionRecord>,
    amounts: Vec<Amount>,
    segment_spans: Vec<TextSpan>,
    /// Exposure events left out, per (flag, experiment): a few keys however many events.
    excluded: Excluded,
    activity: Vec<(TextSpan, i64)>,
}

type TextSpan = (usize, usize);

#[derive(Debug, Clone, Copy)]
struct ExposureRecord {
    time: i64,
    user: TextSpan,
    experiment: TextSpan,
    arm: TextSpan,
    flag: Option<TextSpan>,
    /// The segment values, back to back in `segment_spans`.
    segments: (usize, usize),
}

#[derive(Debug, Clone, Copy)]
struct ConversionRecord {
    time: i64,
    event: TrackedEvent,
    user: TextSpan,
    amounts: usize,
}

impl ParsedBlock {
    pub fn lines(&self) -> u64 {
        self.lines
    }

    fn keep(&mut self, bytes: &[u8]) -> TextSpan {
        let start = self.text.len();
        self.text.extend_from_slice(bytes);
        (start, self.text.len())
    }

    fn get(&self, (start, end): TextSpan) -> &[u8] {
        &self.text[start..end]
    }

    /// Plays the block's events into `sink`.
    pub(crate) fn replay(&self, sink: &mut impl Sink) {
        let mut segments = Vec::new();
        for record in &self.exposures {
            segments.clear();
            let (from, to) = record.segments;
            segments.extend(
                self.segment_spans[from..to]
                    .iter()
                    .map(|&span| self.get(span).to_vec()),
            );
            let named = Named {
                experiment: self.get(record.experiment),
                arm: self.get(record.arm),
                flag: record.flag.map(|flag| self.get(flag)),
                segments: &segments,
            };
            sink.exposure(self.get(record.user), record.time, named);
        }
        for &(user, time) in &self.activity {
            sink.activity(self.get(user), time);
        }
        for (flag, experiment, events) in self.excluded.iter() {
            sink.excluded(flag, experiment, events);
        }
        let mut amounts = self.amounts.as_slice();
        for record in &self.conversions {
            let (these, rest) = amounts.split_at(record.amounts);
            amounts = rest;
            let user = self.get(record.user);
            sink.conversion(user, record.time, record.event, these);
        }
    }
}

impl Sink for ParsedBlock {
    fn exposure(&mut self, user: &[u8], time: i64, exposure: Named<'_>) {
        let record = ExposureRecord {
            time,
            user: self.keep(user),
            experiment: self.keep(exposure.experiment),
            arm: self.keep(exposure.arm),
            flag: exposure.flag.map(|flag| self.keep(flag)),
            segments: (0, 0),
        };
        let from = self.segment_spans.len();
        for value in exposure.segments {
            let span = self.keep(value);
            self.segment_spans.push(span);
        }
        let record = ExposureRecord {
            segments: (from, self.segment_spans.len()),
            ..record
        };
        self.exposures.push(record);
    }

    fn activity(&mut self, user: &[u8], time: i64) {
        let user = self.keep(user);
        self.activity.push((user, time));
    }

    fn excluded(&mut self, flag: &[u8], experiment: &[u8], events: u64) {
        self.excluded.add(flag, experiment, events);
    }

    fn conversion(&mut self, user: &[u8], time: i64, event: TrackedEvent, amounts: &[Amount]) {
        let record = ConversionRecord {
            time,
            event,
            user: self.keep(user),
            amounts: amounts.len(),
        };
        self.amounts.extend_from_slice(amounts);
        self.conversions.push(record);
    }
}
