//! A validating, allocation-free JSON scanner for one export line.
//!
//! Why not serde_json: building a DOM for every line costs far more than the attribution itself,
//! and most properties of an event are irrelevant. This scanner walks the line once, checks the
//! full JSON grammar (strings, escapes, control characters, numbers, literals, nesting) and hands
//! back byte spans of the values the caller asked for; decoding happens only for those.

/// The line is not valid JSON (the position is not kept: the line number is what a user needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

/// Deep nesting is legal JSON but never occurs in event exports; the limit keeps the recursive
/// skipper's stack bounded on hostile input.
const MAX_DEPTH: u32 = 64;

/// What a scanned value is, so callers can decode it without scanning again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string; the span covers the content between the quotes.
    String {
        escaped: bool,
    },
    Number,
    True,
    False,
    Null,
    Object,
    Array,
}

/// A value's position inside the line. `u32` offsets (lines are capped far below 4 GiB) keep
/// `Result<Span, Invalid>` small enough to return in registers, which the hot loop notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u32,
    pub end: u32,
    pub kind: Kind,
}

impl Span {
    pub(super) fn new(start: usize, end: usize, kind: Kind) -> Self {
        Self {
            start: start as u32,
            end: end as u32,
            kind,
        }
    }

    pub fn bytes<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.start as usize..self.end as usize]
    }
}

pub(crate) struct Cursor<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    #[inline]
    pub fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    #[inline]
    pub fn eat(&mut self, byte: u8) -> Result<(), Invalid> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    #[inline]
    fn number(&mut self) -> Result<Span, Invalid> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(Invalid),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(Invalid);
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(Invalid);
            }
        }
        Ok(Span::new(start, self.pos, Kind::Number))
    }

    fn literal(&mut self, text: &[u8], kind: Kind) -> Result<Span, Invalid> {
        let start = self.pos;
        if self.bytes[self.pos..].starts_with(text) {
            self.pos += text.len();
            Ok(Span::new(start, self.pos, kind))
        } else {
            Err(Invalid)
        }
    }

    /// Like [`value`](Self::value), with scalars handled in line: the members of an event's
    /// properties are nearly all scalars, and this is the innermost loop of attribution.
    #[inline(always)]
    fn member_value(&mut self, depth: u32) -> Result<Span, Invalid> {
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'0'..=b'9' | b'-') => self.number(),
            _ => self.value(depth),
        }
    }

    /// Walks an object of members starting at `{`, handing each key and value span to
    /// `member`. Unlike [`object`](Self::object) the callback cannot descend into the value.
    pub fn members(
        &mut self,
        depth: u32,
        mut member: impl FnMut(&'a [u8], Span, Span),
    ) -> Result<(), Invalid> {
        if depth >= MAX_DEPTH {
            return Err(Invalid);
        }
        self.skip_ws();
        self.eat(b'{')?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.skip_ws();
            self.eat(b':')?;
            self.skip_ws();
            let value = self.member_value(depth + 1)?;
            member(self.bytes, key, value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// Scans any value (after leading whitespace), validating everything inside it.
    pub fn value(&mut self, depth: u32) -> Result<Span, Invalid> {
        self.skip_ws();
        match self.peek().ok_or(Invalid)? {
            b'"' => self.string(),
            b'{' => self.container(depth, Kind::Object),
            b'[' => self.container(depth, Kind::Array),
            b't' => self.literal(b"true", Kind::True),
            b'f' => self.literal(b"false", Kind::False),
            b'n' => self.literal(b"null", Kind::Null),
            _ => self.number(),
        }
    }

    fn container(&mut self, depth: u32, kind: Kind) -> Result<Span, Invalid> {
        if depth >= MAX_DEPTH {
            return Err(Invalid);
        }
        let start = self.pos;
        if kind == Kind::Object {
            self.object(|_, _, cursor| cursor.value(depth + 1).map(drop))?;
        } else {
            self.pos += 1;
            self.skip_ws();
            if self.peek() == Some(b']') {
                self.pos += 1;
            } else {
                loop {
                    self.value(depth + 1)?;
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        _ => return Err(Invalid),
                    }
                }
            }
        }
        Ok(Span::new(start, self.pos, kind))
    }

    /// Walks an object starting at `{`; for each member calls `member(key_span, line, cursor)`
    /// with the cursor placed before the value, which the callback must consume.
    pub fn object(
        &mut self,
        mut member: impl FnMut(Span, &'a [u8], &mut Self) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        self.skip_ws();
        self.eat(b'{')?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.skip_ws();
            self.eat(b':')?;
            member(key, self.bytes, self)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(text: &str) -> bool {
        let mut cursor = Cursor::new(text.as_bytes());
        let ok = cursor.value(0).is_ok();
        cursor.skip_ws();
        ok && cursor.at_end()
    }

    #[test]
    fn accepts_what_serde_json_accepts() {
        let samples = [
            r#"{"a":[1,-2.5e3,0.25,true,false,null,{"b":"c\"\\\/\u00e9"}],"d":{}}"#,
            r#"  { "k" : [ ] , "é ü" : "Zürich \ud83d\ude00" }  "#,
            r#""\u2013""#,
            "-0",
        ];
        for text in samples {
            assert!(serde_json::from_str::<serde_json::Value>(text).is_ok());
            assert!(valid(text), "{text}");
        }
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        let samples = [
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":"tab	inside"}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            r#"{"a":tru}"#,
            r#"{"a":[1 2]}"#,
            r#"{"a":"unterminated}"#,
            r#"{"a":1"#,
        ];
        for bytes in [
            &b"\"\xff\""[..],
            b"\"\xc3\"",
            b"\"\xed\xa0\x80\"",
            b"\"\xc0\xaf\"",
            b"{\"\xc3\xa9\":1}\xc3\xa9",
        ] {
            assert!(serde_json::from_slice::<serde_json::Value>(bytes).is_err());
            let mut cursor = Cursor::new(bytes);
            let ok = cursor.value(0).is_ok();
            cursor.skip_ws();
            assert!(!(ok && cursor.at_end()), "{bytes:?}");
        }
        for text in samples {
            assert!(serde_json::from_str::<serde_json::Value>(text).is_err());
            assert!(!valid(text), "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn validity_agrees_with_serde_json(text in "[\\[\\]{}\":,0-9a-f.+\\-\\\\ tnrlsE/]{0,24}") {
            let ours = valid(&text);
            let theirs = serde_json::from_str::<serde_json::Value>(&text).is_ok();
            proptest::prop_assert_eq!(ours, theirs, "{}", text);
        }
    }

    #[test]
    fn nesting_beyond_the_limit_is_invalid() {
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(!valid(&deep));
        let shallow = "[".repeat(10) + &"]".repeat(10);
        assert!(valid(&shallow));
    }
}
