//! The one source of secrets: session-independent random bytes from the operating system
//! (`getrandom`, the crate `rand` itself draws on), shaped into tokens, feed keys, salts and
//! generated passwords. Nothing else in the server reads randomness.

/// `N` bytes from the OS's CSPRNG. The OS refusing to give randomness leaves nothing safe to do,
/// so it stops the request with a panic rather than hand out a guessable secret.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes
}

/// `N` random bytes as lowercase hex (`2N` characters): API tokens and calendar feed keys.
pub fn random_hex<const N: usize>() -> String {
    random_bytes::<N>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A password to show once (first admin, resets): 20 characters from a 54-letter alphabet
/// without look-alikes (no 0/O, 1/l/I), about 115 bits.
pub fn generated_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // Rejection sampling keeps every letter equally likely.
    let limit = 256 - (256 % ALPHABET.len());
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        for b in random_bytes::<64>() {
            if (b as usize) < limit {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
                if out.len() == 20 {
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_differ_and_have_their_length() {
        assert_ne!(random_hex::<32>(), random_hex::<32>());
        assert_eq!(random_hex::<24>().len(), 48);
        assert!(generated_password()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(c)));
    }
}
