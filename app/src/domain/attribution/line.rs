//! Reading one export line: the cheap path for events attribution ignores, and the full,
//! validating parse that picks out the properties it needs.

use std::borrow::Cow;

use memchr::memmem::Finder;

use super::json::{Cursor, Invalid, Kind, Span};
use super::plan::Plan;
use super::strings::unescape;

/// The spans of the values one line carries for attribution.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields {
    pub event: Option<Span>,
    pub slots: Vec<Option<Span>>,
}

/// Parses a whole line, validating it as JSON, and records the spans of `event` and of the
/// `properties` keys that have a slot in `plan`. A valid line that is not an object leaves
/// `event` empty.
pub(crate) fn scan(line: &[u8], plan: &Plan, fields: &mut Fields) -> Result<(), Invalid> {
    let Fields { event, slots } = fields;
    *event = None;
    slots.clear();
    slots.resize(plan.slot_count(), None);
    let mut cursor = Cursor::new(line);
    cursor.skip_ws();
    if cursor.peek() == Some(b'{') {
        cursor.object(|key, bytes, cursor| {
            if key_is(bytes, key, b"event") {
                *event = Some(cursor.value(1)?);
            } else if key_is(bytes, key, b"properties") {
                cursor.skip_ws();
                if cursor.peek() != Some(b'{') {
                    return cursor.value(1).map(drop);
                }
                cursor.members(1, |bytes, key, value| {
                    if let Some(slot) = slot_of(bytes, key, plan) {
                        slots[slot] = Some(value);
                    }
                })?;
            } else {
                cursor.value(1)?;
            }
            Ok(())
        })?;
    } else {
        cursor.value(0)?;
    }
    cursor.skip_ws();
    if cursor.at_end() {
        Ok(())
    } else {
        Err(Invalid)
    }
}

fn key_is(line: &[u8], key: Span, name: &[u8]) -> bool {
    match key.kind {
        Kind::String { escaped: true } => {
            unescape(key.bytes(line)).is_ok_and(|decoded| decoded.as_bytes() == name)
        }
        _ => key.bytes(line) == name,
    }
}

#[inline]
fn slot_of(line: &[u8], key: Span, plan: &Plan) -> Option<usize> {
    match key.kind {
        Kind::String { escaped: true } => {
            let decoded = unescape(key.bytes(line)).ok()?;
            plan.slot(decoded.as_bytes())
        }
        _ => plan.slot(key.bytes(line)),
    }
}

/// A string's decoded bytes, or a number's or boolean's literal text (ids and arm names are
/// sometimes sent as numbers or booleans); `None` for null, objects, arrays and bad escapes.
pub(crate) fn text<'a>(line: &'a [u8], span: Span) -> Option<Cow<'a, [u8]>> {
    match span.kind {
        Kind::String { escaped: false } | Kind::Number | Kind::True | Kind::False => {
            Some(Cow::Borrowed(span.bytes(line)))
        }
        Kind::String { escaped: true } => unescape(span.bytes(line))
            .ok()
            .map(|s| Cow::Owned(s.into_bytes())),
        Kind::Null | Kind::Object | Kind::Array => None,
    }
}

/// `properties.time` as unix seconds; fractional seconds are floored.
pub(crate) fn unix_seconds(line: &[u8], span: Span) -> Option<i64> {
    if span.kind != Kind::Number {
        return None;
    }
    let raw = span.bytes(line);
    if raw.iter().all(u8::is_ascii_digit) && raw.len() <= 18 {
        return Some(raw.iter().fold(0i64, |n, &d| n * 10 + i64::from(d - b'0')));
    }
    let value: f64 = std::str::from_utf8(raw).ok()?.parse().ok()?;
    let floored = value.floor();
    // Outside ±2^62 seconds is not a timestamp; the bound also keeps the cast exact.
    (floored.abs() < 4.6e18).then_some(floored as i64)
}

const PREFIX: &[u8] = b"{\"event\":\"";

/// The event name of a line in the export's usual layout, `{"event":"NAME",…`, when NAME has no
/// escapes: then its raw bytes are its value, and noise lines are dismissed without a parse.
pub(crate) fn leading_event(line: &[u8]) -> Option<&[u8]> {
    let rest = match line.strip_prefix(PREFIX) {
        Some(rest) => rest,
        None => line.strip_prefix(b"{\"event\": \"")?,
    };
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    (rest[end] == b'"').then(|| &rest[..end])
}

/// Cheap completeness test for lines whose event attribution does not use.
///
/// Such a line can't change a count, so it is not parsed; it only has to look like a complete
/// event (a numeric `time`, a non-empty `distinct_id`, and closed: ending in `}}` in Mixpanel's
/// own layout, else with balanced braces) so that truncated or incomplete lines still count
/// towards the skipped-line rule. A line that fails this test gets the full parse, which
/// decides; so this can only miss syntax errors inside ignored lines, never count a good one.
#[derive(Debug, Clone)]
pub(crate) struct QuickCheck {
    time: Finder<'static>,
    distinct_id: Finder<'static>,
}

impl QuickCheck {
    pub fn new() -> Self {
        Self {
            time: Finder::new(b"\"time\":").into_owned(),
            distinct_id: Finder::new(b"\"distinct_id\":").into_owned(),
        }
    }

    pub fn looks_complete(&self, line: &[u8]) -> bool {
        if let Some(complete) = canonical_head(line) {
            return complete && line.ends_with(b"}}");
        }
        if line.last() != Some(&b'}') || !balanced(line) {
            return false;
        }
        let after = |finder: &Finder<'_>| {
            let at = finder.find(line)? + finder.needle().len();
            let rest = &line[at..];
            let start = rest.iter().position(|b| *b != b' ')?;
            Some(&rest[start..])
        };
        let time_ok = after(&self.time)
            .and_then(|v| v.first())
            .is_some_and(|b| b.is_ascii_digit() || *b == b'-');
        time_ok
            && after(&self.distinct_id)
                .is_some_and(|v| v.first() != Some(&b'n') && !v.starts_with(b"\"\""))
    }
}

/// Mixpanel writes `{"event":"…","properties":{"time":…,"distinct_id":…` in this order; when
/// a line starts so, the two fields are checked in place (a search costs more than the rest of
/// the check). `None` when the line is laid out otherwise.
fn canonical_head(line: &[u8]) -> Option<bool> {
    let rest = line.get(PREFIX.len()..)?;
    let name_end = memchr::memchr(b'"', rest)?;
    let rest = rest[name_end + 1..].strip_prefix(b",\"properties\":{\"time\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let id = rest[digits..].strip_prefix(b",\"distinct_id\":")?;
    Some(digits > 0 && id.first() != Some(&b'n') && !id.starts_with(b"\"\""))
}

/// The time and distinct id of a line in Mixpanel's own layout (as [`canonical_head`] reads
/// it) whose id is a plain string or number, for events read only as activity (`*` retention):
/// the same cheap path ignored lines take, which such a line would otherwise be. `None` sends
/// the line to the full parse.
pub(crate) fn quick_activity(line: &[u8]) -> Option<(i64, &[u8])> {
    if !line.ends_with(b"}}") {
        return None;
    }
    let rest = line.strip_prefix(PREFIX)?;
    let name_end = memchr::memchr(b'"', rest)?;
    let rest = rest[name_end + 1..].strip_prefix(b",\"properties\":{\"time\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 18 {
        return None;
    }
    let time = rest[..digits]
        .iter()
        .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
    let id = rest[digits..].strip_prefix(b",\"distinct_id\":")?;
    let id = match id.strip_prefix(b"\"") {
        Some(quoted) => {
            let end = memchr::memchr2(b'"', b'\\', quoted)?;
            (quoted[end] == b'"').then(|| &quoted[..end])?
        }
        None => {
            let end = id.iter().take_while(|b| b.is_ascii_digit()).count();
            (matches!(id.get(end), Some(b',' | b'}'))).then(|| &id[..end])?
        }
    };
    // An empty id is an anonymous event, which the full parse counts.
    (!id.is_empty()).then_some((time, id))
}

/// Whether `{` and `}` occur equally often: a truncated line almost never passes. Braces inside
/// strings can only make a good line fail, which sends it to the full parse.
fn balanced(line: &[u8]) -> bool {
    let mut depth = 0i64;
    for at in memchr::memchr2_iter(b'{', b'}', line) {
        depth += if line[at] == b'{' { 1 } else { -1 };
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::super::config::{Config, ExposureConvention};
    use super::*;

    fn plan() -> Plan {
        let mut config = Config::new(ExposureConvention::Mixpanel);
        config.metrics = vec!["purchase".into()];
        Plan::new(config).expect("valid config")
    }

    #[test]
    fn scan_finds_event_and_escaped_keys_in_any_order() {
        let line = br#"{"properties":{"Experiment \u006eame":"Pricing \"A\"","time":17,"x":[{"time":1}]},"event":"$experiment_started"}"#;
        let plan = plan();
        let mut fields = Fields::default();
        assert_eq!(scan(line, &plan, &mut fields), Ok(()));
        let event = fields.event.map(|s| text(line, s));
        assert_eq!(
            event,
            Some(Some(Cow::Borrowed(&b"$experiment_started"[..])))
        );
        let name = fields.slots[plan.experiment_slot].and_then(|s| text(line, s));
        assert_eq!(name.as_deref(), Some(&b"Pricing \"A\""[..]));
        let time = fields.slots[super::super::plan::SLOT_TIME];
        assert_eq!(time.and_then(|s| unix_seconds(line, s)), Some(17));
    }

    #[test]
    fn scan_rejects_invalid_utf8_and_trailing_garbage() {
        let mut fields = Fields::default();
        assert_eq!(
            scan(b"{\"event\":\"\xff\"}", &plan(), &mut fields),
            Err(Invalid)
        );
        assert_eq!(
            scan(b"{\"event\":\"a\"} x", &plan(), &mut fields),
            Err(Invalid)
        );
        assert_eq!(scan(b"[1,2]", &plan(), &mut fields), Ok(()));
        assert_eq!(fields.event, None);
    }

    #[test]
    fn times_are_whole_seconds() {
        let line = br#"[1714521600, 1714521600.9, -1.5, "1714521600", 1e3]"#;
        let spans = [
            (1u32, 11u32, Kind::Number),
            (13, 25, Kind::Number),
            (27, 31, Kind::Number),
        ];
        let got: Vec<_> = spans
            .iter()
            .map(|&(start, end, kind)| unix_seconds(line, Span { start, end, kind }))
            .collect();
        assert_eq!(got, [Some(1_714_521_600), Some(1_714_521_600), Some(-2)]);
        let string = Span {
            start: 34,
            end: 44,
            kind: Kind::String { escaped: false },
        };
        assert_eq!(unix_seconds(line, string), None);
    }

    #[test]
    fn leading_event_reads_only_the_plain_layout() {
        assert_eq!(
            leading_event(br#"{"event":"page_view","properties":{}}"#),
            Some(&b"page_view"[..])
        );
        assert_eq!(
            leading_event(br#"{"event": "page_view"}"#),
            Some(&b"page_view"[..])
        );
        assert_eq!(leading_event(br#"{"event":"a\"b"}"#), None);
        assert_eq!(leading_event(br#"{"properties":{},"event":"x"}"#), None);
    }

    #[test]
    fn quick_activity_reads_time_and_plain_ids_only() {
        let read = |line: &str| quick_activity(line.as_bytes()).map(|(t, id)| (t, id.to_vec()));
        assert_eq!(
            read(r#"{"event":"x","properties":{"time":1714567890,"distinct_id":"u-1","a":1}}"#),
            Some((1714567890, b"u-1".to_vec()))
        );
        assert_eq!(
            read(r#"{"event":"x","properties":{"time":17,"distinct_id":42}}"#),
            Some((17, b"42".to_vec()))
        );
        for full_parse in [
            r#"{"event":"x","properties":{"time":17,"distinct_id":"a\"b"}}"#,
            r#"{"event":"x","properties":{"time":17,"distinct_id":""}}"#,
            r#"{"event":"x","properties":{"time":17.5,"distinct_id":"u"}}"#,
            r#"{"event":"x","properties":{"time":17,"distinct_id":null}}"#,
            r#"{"event":"x","properties":{"time":17,"distinct_id":"u""#,
            r#"{"event":"x","properties":{"distinct_id":"u","time":17}}"#,
        ] {
            assert_eq!(read(full_parse), None, "{full_parse}");
        }
    }

    #[test]
    fn quick_check_flags_truncated_and_incomplete_lines() {
        let check = QuickCheck::new();
        let good = br#"{"event":"v","properties":{"time":1,"distinct_id":"u"}}"#;
        assert!(check.looks_complete(good));
        assert!(!check.looks_complete(&good[..good.len() - 1]));
        assert!(!check.looks_complete(br#"{"event":"v","properties":{"time":1}}"#));
        assert!(
            !check.looks_complete(br#"{"event":"v","properties":{"time":1,"distinct_id":null}}"#)
        );
        assert!(
            !check.looks_complete(br#"{"event":"v","properties":{"time":"1","distinct_id":"u"}}"#)
        );
        for other_layout in [
            &br#"{"event":"v","properties":{"distinct_id":"u","time":1}}"#[..],
            br#"{"event": "v", "properties": {"time": 1, "distinct_id": "u"}}"#,
        ] {
            assert!(check.looks_complete(other_layout));
        }
        assert!(!check.looks_complete(br#"{"event":"v","properties":{"time":1,"distinct_id":""}}"#));
    }
}
