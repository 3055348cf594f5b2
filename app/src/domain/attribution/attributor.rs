//! The incremental front door: feed bytes, lines or parsed blocks, watch progress, finish into
//! a [`Report`].

use std::sync::Arc;

use super::config::{Config, ConfigError};
use super::parser::{BlockParser, LineRead, ParsedBlock, Tail, MAX_LINE_BYTES};
use super::plan::Plan;
use super::report::{AttributionError, Report, SkipReason, SkippedLines};
use super::summary::summarize;
use super::tally::Tally;

/// How far a run has got, for progress bars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub bytes: u64,
    pub lines: u64,
    /// Valid lines whose event is an exposure or a metric event.
    pub events: u64,
    pub skipped: u64,
    /// Events sent with `distinct_id: ""`: valid, but tied to no user.
    pub anonymous: u64,
}

/// Streaming attribution over newline-delimited event exports.
///
/// Single-threaded use: [`feed_chunk`](Self::feed_chunk) (any chunking; a line split across
/// chunks is completed by the next) or [`feed_line`](Self::feed_line), then
/// [`finish`](Self::finish). To parse on several threads, hand each a
/// [`block_parser`](Self::block_parser), give them consecutive line-aligned blocks, and
/// [`absorb`](Self::absorb) the results here in input order.
#[derive(Debug)]
pub struct Attributor {
    parser: BlockParser,
    tally: Tally,
    pending: Vec<u8>,
    /// Set while discarding the rest of an over-long line that spans chunks.
    overlong: bool,
    progress: Progress,
    skipped: SkippedLines,
    latest: Option<i64>,
    /// The last non-blank line of the current input, to catch Mixpanel's truncation note.
    tail: Tail,
    /// Set when an input ended with the truncation note: the run fails at the end.
    truncated: bool,
}

impl Attributor {
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        let plan = Arc::new(Plan::new(config)?);
        Ok(Self {
            tally: Tally::new(&plan),
            parser: BlockParser::new(plan),
            pending: Vec::new(),
            overlong: false,
            progress: Progress::default(),
            skipped: SkippedLines::default(),
            latest: None,
            tail: Tail::None,
            truncated: false,
        })
    }

    /// At most this many distinct users: past it the run fails with `TooManyUsers` (and holds
    /// no more), instead of exhausting memory on a hostile or mistaken input.
    pub fn with_user_limit(mut self, max_users: usize) -> Self {
        self.tally.max_users = max_users;
        self
    }

    /// Whether an input so far ended with Mixpanel's `terminated early` note.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The latest exposure or metric event time read so far (UTC seconds).
    pub fn latest_event(&self) -> Option<i64> {
        self.latest
    }

    /// Whether the run already failed a limit (a caller streaming input can stop early).
    pub fn over_limit(&self) -> bool {
        self.tally.full
    }

    pub fn config(&self) -> &Config {
        &self.parser.plan().config
    }

    pub fn progress(&self) -> Progress {
        Progress {
            skipped: self.skipped.count,
            ..self.progress
        }
    }

    /// A parser for other threads; its blocks can only be absorbed by this attributor's kin
    /// (same configuration).
    pub fn block_parser(&self) -> BlockParser {
        self.parser.clone()
    }

    /// Feeds the next bytes of the input; a line split across chunks is completed by the next.
    pub fn feed_chunk(&mut self, chunk: &[u8]) {
        self.progress.bytes += chunk.len() as u64;
        let mut rest = chunk;
        if !self.pending.is_empty() || self.overlong {
            let Some(newline) = memchr::memchr(b'\n', rest) else {
                self.hold(rest);
                return;
            };
            self.hold(&rest[..newline]);
            self.flush();
            rest = &rest[newline + 1..];
        }
        while let Some(newline) = memchr::memchr(b'\n', rest) {
            self.process(&rest[..newline]);
            rest = &rest[newline + 1..];
        }
        self.hold(rest);
    }

    /// Feeds one complete line (without its newline).
    pub fn feed_line(&mut self, line: &[u8]) {
        self.flush();
        self.progress.bytes += line.len() as u64 + 1;
        self.process(line);
    }

    /// Ends one input (a file): a last line without newline still counts, and an input whose
    /// last non-blank line is Mixpanel's `terminated early` note marks the run truncated (see
    /// [`truncated`](Self::truncated)). Needed only before feeding another input, as
    /// [`finish`](Self::finish) ends the last one.
    pub fn end_input(&mut self) {
        self.flush();
        if std::mem::take(&mut self.tail) == Tail::Marker {
            self.truncated = true;
        }
    }

    /// Completes a pending partial line.
    fn flush(&mut self) {
        if self.overlong {
            self.overlong = false;
            self.tail = Tail::Other;
            self.progress.lines += 1;
            self.skipped
                .record(self.progress.lines, SkipReason::TooLong);
        } else if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.process(&line);
            self.pending = line;
            self.pending.clear();
        }
    }

    /// Adds a block parsed by a [`BlockParser`] from this attributor; blocks must arrive in
    /// input order, after any partial line fed here was ended.
    pub fn absorb(&mut self, block: ParsedBlock) -> Result<(), AttributionError> {
        if !Arc::ptr_eq(&block.plan, self.parser.plan()) && *block.plan != **self.parser.plan() {
            return Err(AttributionError::ConfigMismatch);
        }
        self.flush();
        block.replay(&mut self.tally);
        self.skipped.append(block.skipped, self.progress.lines);
        self.progress.anonymous += block.anonymous;
        self.latest = self.latest.max(block.latest);
        self.tail = self.tail.then(block.tail);
        self.progress.bytes += block.bytes;
        self.progress.lines += block.lines;
        self.progress.events += block.events;
        Ok(())
    }

    /// Adds the counts of `later`, which must have read the input that directly follows ours
    /// (its line numbers are shifted by our line count), with the same configuration. For
    /// combining runs made separately; threads share one attributor through
    /// [`absorb`](Self::absorb), which keeps each user once.
    pub fn merge(&mut self, mut later: Attributor) -> Result<(), AttributionError> {
        if *later.parser.plan() != *self.parser.plan() {
            return Err(AttributionError::ConfigMismatch);
        }
        self.end_input();
        later.end_input();
        self.truncated |= later.truncated;
        self.latest = self.latest.max(later.latest);
        self.progress.anonymous += later.progress.anonymous;
        self.skipped.append(later.skipped, self.progress.lines);
        self.progress.bytes += later.progress.bytes;
        self.progress.lines += later.progress.lines;
        self.progress.events += later.progress.events;
        self.tally.merge(later.tally);
        Ok(())
    }

    /// Ends the input and computes the counts.
    pub fn finish(mut self) -> Result<Report, AttributionError> {
        self.end_input();
        if self.truncated {
            return Err(AttributionError::Truncated {
                latest_event: self.latest,
            });
        }
        if self.tally.full {
            return Err(AttributionError::TooManyUsers {
                limit: self.tally.max_users.min(u32::MAX as usize - 1) as u64,
            });
        }
        let summary = summarize(self.tally, self.parser.plan());
        Ok(Report {
            lines: self.progress.lines,
            bytes: self.progress.bytes,
            events: self.progress.events,
            duplicates: summary.duplicates,
            anonymous_events: self.progress.anonymous,
            latest_event: self.latest,
            skipped: self.skipped,
            experiments: summary.experiments,
        })
    }

    fn hold(&mut self, partial: &[u8]) {
        if self.overlong || self.pending.len() + partial.len() > MAX_LINE_BYTES {
            self.overlong = true;
            self.pending.clear();
        } else {
            self.pending.extend_from_slice(partial);
        }
    }

    fn process(&mut self, line: &[u8]) {
        self.progress.lines += 1;
        let read = self.parser.line(line, &mut self.tally);
        self.tail = self.tail.after(&read);
        match read {
            Ok(LineRead::Event(time)) => {
                self.progress.events += 1;
                self.latest = self.latest.max(Some(time));
            }
            Ok(LineRead::Anonymous) => self.progress.anonymous += 1,
            Ok(LineRead::Blank | LineRead::Ignored) => {}
            Err(reason) => self.skipped.record(self.progress.lines, reason),
        }
    }
}
