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
    String { escaped: bool },
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
    fn new(start: usize, end: usize, kind: Kind) -> Self {
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
    bytes: &'a [u8],
    pos: usize,
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

    /// Scans a string starting at its opening quote; returns the content span.
    #[inline]
    pub fn string(&mut self) -> Result<Span, Invalid> {
        self.eat(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        loop {
            let rest = &self.bytes[self.pos..];
            let i = find_special(rest).ok_or(Invalid)?;
            self.pos += i;
            match self.bytes[self.pos] {
                b'"' => {
                    let span = Span::new(start, self.pos, Kind::String { escaped });
                    self.pos += 1;
                    return Ok(span);
                }
                b'\\' => {
                    escaped = true;
                    self.escape()?;
                }
                _ => return Err(Invalid),
            }
        }
    }

    fn escape(&mut self) -> Result<(), Invalid> {
        match self.bytes.get(self.pos + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 2;
                Ok(())
            }
            Some(b'u') => {
                let hex = self.bytes.get(self.pos + 2..self.pos + 6).ok_or(Invalid)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return Err(Invalid);
                }
                self.pos += 6;
                Ok(())
            }
            _ => Err(Invalid),
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

/// Index of the first `"`, `\` or control character (< 0x20) in `s`.
///
/// Strings are the bulk of an event line, so they are scanned sixteen bytes at a time with the
/// classic "has zero byte" bit trick on two words (safe code; the workspace forbids `unsafe`).
/// Sixteen, because most keys and values are shorter: the loop then ends after one round and
/// its exit branch is predicted. In each mask only bits above a true hit can be spurious, so
/// the lowest set bit is exact.
#[inline]
fn find_special(s: &[u8]) -> Option<usize> {
    let mut chunks = s.chunks_exact(8);
    for (n, chunk) in chunks.by_ref().enumerate() {
        let hits = specials(word(chunk));
        if hits != 0 {
            return Some(n * 8 + (hits.trailing_zeros() / 8) as usize);
        }
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| s.len() - tail.len() + i)
}

#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

/// High bit set in (at least) the lowest byte of `w` that is `"`, `\` or below 0x20.
#[inline(always)]
fn specials(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    ((quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash)
        | (w.wrapping_sub(ONES * 0x20) & !w))
        & HIGH
}

/// Decodes string content (between the quotes) that contains escapes.
pub(crate) fn unescape(raw: &[u8]) -> Result<String, Invalid> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let code = *raw.get(i + 1).ok_or(Invalid)?;
        i += 2;
        let ch = match code {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = hex4(raw, i)?;
                i += 4;
                let scalar = if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    if raw.get(i..i + 2) != Some(b"\\u") {
                        return Err(Invalid);
                    }
                    let second = hex4(raw, i + 2)?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(Invalid);
                    }
                    i += 6;
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                char::from_u32(scalar).ok_or(Invalid)?
            }
            _ => return Err(Invalid),
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    String::from_utf8(out).map_err(|_| Invalid)
}

fn hex4(raw: &[u8], at: usize) -> Result<u32, Invalid> {
    let digits = raw.get(at..at + 4).ok_or(Invalid)?;
    let text = std::str::from_utf8(digits).map_err(|_| Invalid)?;
    u32::from_str_radix(text, 16).map_err(|_| Invalid)
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
        for text in samples {
            assert!(serde_json::from_str::<serde_json::Value>(text).is_err());
            assert!(!valid(text), "{text}");
        }
    }

    #[test]
    fn special_bytes_are_found_at_every_offset() {
        for len in 0..40 {
            for at in 0..len {
                for special in [b'"', b'\\', b'\n'] {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    assert_eq!(find_special(&bytes), Some(at));
                }
            }
            assert_eq!(find_special(&vec![0xC3; len]), None);
        }
    }

    #[test]
    fn unescape_decodes_quotes_unicode_and_surrogate_pairs() {
        let decoded = unescape(br#"Pricing \"Page\" \u2013 caf\u00e9 \ud83d\ude00"#);
        assert_eq!(decoded, Ok("Pricing \"Page\" – café 😀".to_owned()));
        assert_eq!(unescape(br"\ud83d alone"), Err(Invalid));
    }

    #[test]
    fn nesting_beyond_the_limit_is_invalid() {
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(!valid(&deep));
        let shallow = "[".repeat(10) + &"]".repeat(10);
        assert!(valid(&shallow));
    }
}
