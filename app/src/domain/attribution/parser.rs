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
use super::line::{leading_event, scan, text, unix_seconds, Fields, QuickCheck};
use super::plan::{Plan, SLOT_DISTINCT_ID, SLOT_INSERT_ID, SLOT_TIME};
use super::report::{SkipReason, SkippedLines};

/// Where parsed events go: straight into the tally, or into a [`ParsedBlock`].
pub(crate) trait Sink {
    /// `experiment` and `arm` are valid UTF-8 (the scanner checked every string).
    fn exposure(&mut self, user: &[u8], time: i64, experiment: &[u8], arm: &[u8]);
    /// `insert_id` is a hash of `$insert_id`, 0 when absent; `amounts` follow the order of
    /// the event's value metrics in the plan.
    fn conversion(
        &mut self,
        user: &[u8],
        time: i64,
        tracked: u32,
        insert_id: u64,
        amounts: &[Amount],
    );
}

/// Turns lines into events. Cheap to clone: give each thread its own.
#[derive(Debug, Clone)]
pub struct BlockParser {
    plan: Arc<Plan>,
    quick: QuickCheck,
    fields: Fields,
    amounts: Vec<Amount>,
}

impl BlockParser {
    pub(crate) fn new(plan: Arc<Plan>) -> Self {
        Self {
            plan,
            quick: QuickCheck::new(),
            fields: Fields::default(),
            amounts: Vec::new(),
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
            text: Vec::new(),
            exposures: Vec::new(),
            conversions: Vec::new(),
            amounts: Vec::new(),
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
            match self.line(line, &mut parsed) {
                Ok(relevant) => parsed.events += u64::from(relevant),
                Err(reason) => parsed.skipped.record(parsed.lines, reason),
            }
            match next {
                Some(next) => rest = next,
                None => return parsed,
            }
        }
    }

    /// One line (without its newline): `Ok(true)` for an exposure or metric event, `Ok(false)`
    /// for any other valid or blank line, `Err` for a line to skip.
    pub(crate) fn line(&mut self, line: &[u8], sink: &mut impl Sink) -> Result<bool, SkipReason> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > MAX_LINE_BYTES {
            return Err(SkipReason::TooLong);
        }
        if let Some(event) = leading_event(line) {
            if self.plan.role(event).is_none() && self.quick.looks_complete(line) {
                return Ok(false);
            }
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(false);
        }
        scan(line, &self.plan, &mut self.fields).map_err(|_| SkipReason::InvalidJson)?;
        let fields = &self.fields;
        let event = fields
            .event
            .filter(|span| matches!(span.kind, Kind::String { .. }))
            .and_then(|span| text(line, span))
            .ok_or(SkipReason::MissingEvent)?;
        let time = fields.slots[SLOT_TIME]
            .and_then(|span| unix_seconds(line, span))
            .ok_or(SkipReason::MissingTime)?;
        let user = fields.slots[SLOT_DISTINCT_ID]
            .and_then(|span| text(line, span))
            .filter(|id| !id.is_empty())
            .ok_or(SkipReason::MissingDistinctId)?;
        let Some(role) = self.plan.role(&event) else {
            return Ok(false);
        };
        if role.exposure {
            self.exposure(line, &user, time, sink);
        }
        if let Some(tracked) = role.tracked {
            self.conversion(line, &user, time, tracked, sink);
        }
        Ok(true)
    }

    fn exposure(&self, line: &[u8], user: &[u8], time: i64, sink: &mut impl Sink) {
        if self.plan.config.run.is_some_and(|run| !run.contains(time)) {
            return;
        }
        let name = |slot: usize| self.fields.slots[slot].and_then(|span| text(line, span));
        let (Some(experiment), Some(arm)) = (
            name(self.plan.experiment_slot),
            name(self.plan.variant_slot),
        ) else {
            return;
        };
        if self.plan.wants_experiment(&experiment) {
            sink.exposure(user, time, &experiment, &arm);
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
        let insert_id = self.fields.slots[SLOT_INSERT_ID]
            .and_then(|span| text(line, span))
            .map_or(0, |id| {
                // Fixed keys: every thread and part must hash an id alike.
                let mut hasher = DefaultHasher::new();
                hasher.write(&id);
                hasher.finish().max(1)
            });
        self.amounts.clear();
        for &(_, slot) in &self.plan.tracked[tracked as usize].values {
            self.amounts.push(match self.fields.slots[slot] {
                Some(span) if span.kind == Kind::Number => Amount::parse(span.bytes(line)),
                _ => Amount::ZERO,
            });
        }
        sink.conversion(user, time, tracked, insert_id, &self.amounts);
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
    text: Vec<u8>,
    exposures: Vec<ExposureRecord>,
    conversions: Vec<ConversionRecord>,
    amounts: Vec<Amount>,
}

type TextSpan = (usize, usize);

#[derive(Debug, Clone, Copy)]
struct ExposureRecord {
    time: i64,
    user: TextSpan,
    experiment: TextSpan,
    arm: TextSpan,
}

#[derive(Debug, Clone, Copy)]
struct ConversionRecord {
    time: i64,
    insert_id: u64,
    user: TextSpan,
    tracked: u32,
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
        for record in &self.exposures {
            let (user, experiment) = (self.get(record.user), self.get(record.experiment));
            sink.exposure(user, record.time, experiment, self.get(record.arm));
        }
        let mut amounts = self.amounts.as_slice();
        for record in &self.conversions {
            let (these, rest) = amounts.split_at(record.amounts);
            amounts = rest;
            let user = self.get(record.user);
            sink.conversion(user, record.time, record.tracked, record.insert_id, these);
        }
    }
}

impl Sink for ParsedBlock {
    fn exposure(&mut self, user: &[u8], time: i64, experiment: &[u8], arm: &[u8]) {
        let record = ExposureRecord {
            time,
            user: self.keep(user),
            experiment: self.keep(experiment),
            arm: self.keep(arm),
        };
        self.exposures.push(record);
    }

    fn conversion(
        &mut self,
        user: &[u8],
        time: i64,
        tracked: u32,
        insert_id: u64,
        amounts: &[Amount],
    ) {
        let record = ConversionRecord {
            time,
            insert_id,
            user: self.keep(user),
            tracked,
            amounts: amounts.len(),
        };
        self.amounts.extend_from_slice(amounts);
        self.conversions.push(record);
    }
}
