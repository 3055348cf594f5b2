//! Small helpers for the command line.

use argon2::password_hash::rand_core::{OsRng, RngCore};

/// A random 20-character password from an alphabet without look-alikes (no 0/O, 1/l/I).
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..20)
        .map(|_| {
            // Rejection sampling keeps every character equally likely.
            loop {
                let b = (OsRng.next_u32() & 0xff) as usize;
                if b < 256 - 256 % ALPHABET.len() {
                    break ALPHABET[b % ALPHABET.len()] as char;
                }
            }
        })
        .collect()
}
