//! Exact, compact interning of byte strings (distinct ids) to dense `u32` indices.
//!
//! Users dominate the attributor's memory and every relevant line looks one up, so both size
//! and cache misses matter. Each id is stored once in an arena as `[index][length][bytes]`, and
//! the open-addressing table holds the record's offset plus a 24-bit hash tag. A lookup thus
//! touches one slot and one record (two cache misses), and costs about 16 bytes per user
//! besides the id itself. Keys are compared byte for byte, so two users never merge.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

const MIN_SLOTS: usize = 1 << 10;
const HEADER: usize = 8;
const OFFSET_BITS: u32 = 40;
const OFFSET_MASK: u64 = (1 << OFFSET_BITS) - 1;

#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    arena: Vec<u8>,
    count: u32,
    /// 0 = empty; else `tag << 40 | (offset + 1)`. Never fuller than half.
    slots: Vec<u64>,
    /// Randomly keyed SipHash: uploaded files are untrusted, so collisions must not be craftable.
    hasher: RandomState,
}

/// More distinct keys than a `u32` index can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

impl Interner {
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Every key with its index, in index order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &[u8])> {
        let mut at = 0;
        std::iter::from_fn(move || {
            let (index, key) = record(&self.arena, at)?;
            at += HEADER + key.len();
            Some((index, key))
        })
    }

    /// The index of `key`, adding it if new.
    pub fn intern(&mut self, key: &[u8]) -> Result<u32, Full> {
        if (self.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let hash = self.hasher.hash_one(key);
        let tag = hash >> OFFSET_BITS;
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                break;
            }
            if slot >> OFFSET_BITS == tag {
                let offset = ((slot & OFFSET_MASK) - 1) as usize;
                if let Some((index, known)) = record(&self.arena, offset) {
                    if known == key {
                        return Ok(index);
                    }
                }
            }
            at = (at + 1) & mask;
        }
        let index = self.count;
        let length = u32::try_from(key.len()).map_err(|_| Full)?;
        let offset = self.arena.len() as u64;
        if index == u32::MAX || offset >= OFFSET_MASK {
            return Err(Full);
        }
        self.arena.extend_from_slice(&index.to_le_bytes());
        self.arena.extend_from_slice(&length.to_le_bytes());
        self.arena.extend_from_slice(key);
        self.slots[at] = tag << OFFSET_BITS | (offset + 1);
        self.count += 1;
        Ok(index)
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(MIN_SLOTS);
        let mut slots = vec![0u64; size];
        let mask = size - 1;
        let mut offset = 0;
        while let Some((_, key)) = record(&self.arena, offset) {
            let hash = self.hasher.hash_one(key);
            let mut at = hash as usize & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = (hash >> OFFSET_BITS) << OFFSET_BITS | (offset as u64 + 1);
            offset += HEADER + key.len();
        }
        self.slots = slots;
    }
}

/// The record at `offset`: its index and key.
fn record(arena: &[u8], offset: usize) -> Option<(u32, &[u8])> {
    let header = arena.get(offset..offset + HEADER)?;
    let index = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let length = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
    let key = arena.get(offset + HEADER..offset + HEADER + length)?;
    Some((index, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_share_an_index_and_different_keys_do_not() {
        let mut interner = Interner::default();
        let ids: Vec<String> = (0..10_000).map(|i| format!("user-{i}")).collect();
        let first: Vec<u32> = ids
            .iter()
            .map(|id| interner.intern(id.as_bytes()).expect("room"))
            .collect();
        let again: Vec<u32> = ids
            .iter()
            .map(|id| interner.intern(id.as_bytes()).expect("room"))
            .collect();
        assert_eq!(first, again);
        assert_eq!(interner.len(), ids.len());
        let listed: Vec<(u32, Vec<u8>)> = interner.iter().map(|(i, k)| (i, k.to_vec())).collect();
        assert_eq!(listed[1234], (first[1234], b"user-1234".to_vec()));
        assert_eq!(listed.len(), ids.len());
    }

    #[test]
    fn empty_and_non_ascii_keys_are_kept_exactly() {
        let mut interner = Interner::default();
        let zurich = interner.intern("Zürich".as_bytes()).expect("room");
        let empty = interner.intern(b"").expect("room");
        assert_ne!(zurich, empty);
        let keys: Vec<&[u8]> = interner.iter().map(|(_, key)| key).collect();
        assert_eq!(keys, ["Zürich".as_bytes(), b""]);
    }
}
