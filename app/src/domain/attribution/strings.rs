//! JSON strings: scanning them inside a line and decoding their escapes, the innermost loops
//! of line parsing.

use super::json::{Cursor, Invalid, Kind, Span};

impl Cursor<'_> {
    /// Scans a string starting at its opening quote; returns the content span.
    #[inline(always)]
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
                0x80..=0xFF => self.utf8_char()?,
                _ => return Err(Invalid),
            }
        }
    }

    /// Checks the UTF-8 sequence starting at a non-ASCII byte inside a string. Outside strings
    /// the grammar admits only ASCII, so checking here validates the whole line's encoding
    /// without a separate pass over it.
    fn utf8_char(&mut self) -> Result<(), Invalid> {
        let width = match self.bytes[self.pos] {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return Err(Invalid),
        };
        let sequence = self.bytes.get(self.pos..self.pos + width).ok_or(Invalid)?;
        std::str::from_utf8(sequence).map_err(|_| Invalid)?;
        self.pos += width;
        Ok(())
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
}

/// Index of the first `"`, `\`, control character (< 0x20) or non-ASCII byte in `s`.
///
/// Strings are the bulk of an event line, so they are scanned eight bytes at a time with the
/// classic "has zero byte" bit trick (safe code; the workspace forbids `unsafe`). Non-ASCII
/// bytes stop the scan so the caller can check their UTF-8 there, which spares a separate
/// validation pass over the line. In each mask only bits above a true hit can be spurious, so
/// the lowest set bit is exact.
#[inline]
pub(crate) fn find_special(s: &[u8]) -> Option<usize> {
    let mut chunks = s.chunks_exact(8);
    for (n, chunk) in chunks.by_ref().enumerate() {
        let hits = specials(word(chunk));
        if hits != 0 {
            return Some(n * 8 + (hits.trailing_zeros() / 8) as usize);
        }
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b))
        .map(|i| s.len() - tail.len() + i)
}

#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

/// High bit set in (at least) the lowest byte of `w` that is `"`, `\`, below 0x20 or above
/// 0x7F.
#[inline(always)]
fn specials(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    ((quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash)
        | (w.wrapping_sub(ONES * 0x20) & !w)
        | w)
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
            assert_eq!(find_special(&vec![b'a'; len]), None);
            if len > 0 {
                assert_eq!(find_special(&vec![0xC3; len]), Some(0));
            }
        }
    }

    #[test]
    fn unescape_decodes_quotes_unicode_and_surrogate_pairs() {
        let decoded = unescape(br#"Pricing \"Page\" \u2013 caf\u00e9 \ud83d\ude00"#);
        assert_eq!(decoded, Ok("Pricing \"Page\" – café 😀".to_owned()));
        assert_eq!(unescape(br"\ud83d alone"), Err(Invalid));
    }
}
