//! Exact, compact interning of byte strings (distinct ids) to dense `u32` indices.
//!
//! Users dominate the attributor's memory, so ids are stored back to back in one arena instead
//! of one heap allocation each (a `HashMap<Box<[u8]>, u32>` costs about 80 bytes per 36-byte
//! UUID; this costs about 56). Keys are compared byte for byte, so two users never merge.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// The table is never fuller than half, which keeps linear probing short.
const MIN_SLOTS: usize = 64;

#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    arena: Vec<u8>,
    /// `bounds[i]..bounds[i + 1]` is id `i` in the arena.
    bounds: Vec<u64>,
    hashes: Vec<u64>,
    /// 0 = empty, else index + 1.
    slots: Vec<u32>,
    /// Randomly keyed SipHash: uploaded files are untrusted, so collisions must not be craftable.
    hasher: RandomState,
}

/// More distinct keys than a `u32` index can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

impl Interner {
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn get(&self, index: u32) -> &[u8] {
        let i = index as usize;
        let (start, end) = (self.bounds[i], self.bounds[i + 1]);
        &self.arena[start as usize..end as usize]
    }

    /// The index of `key`, adding it if new.
    pub fn intern(&mut self, key: &[u8]) -> Result<u32, Full> {
        if self.bounds.is_empty() {
            self.bounds.push(0);
        }
        if (self.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let hash = self.hasher.hash_one(key);
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            match self.slots[at] {
                0 => break,
                taken => {
                    let index = taken - 1;
                    if self.hashes[index as usize] == hash && self.get(index) == key {
                        return Ok(index);
                    }
                    at = (at + 1) & mask;
                }
            }
        }
        let index = u32::try_from(self.len()).map_err(|_| Full)?;
        if index == u32::MAX {
            return Err(Full);
        }
        self.slots[at] = index + 1;
        self.hashes.push(hash);
        self.arena.extend_from_slice(key);
        self.bounds.push(self.arena.len() as u64);
        Ok(index)
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(MIN_SLOTS);
        let mut slots = vec![0u32; size];
        let mask = size - 1;
        for (index, &hash) in self.hashes.iter().enumerate() {
            let mut at = hash as usize & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = index as u32 + 1;
        }
        self.slots = slots;
    }
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
        assert_eq!(interner.get(first[1234]), b"user-1234");
    }

    #[test]
    fn empty_and_non_ascii_keys_are_kept_exactly() {
        let mut interner = Interner::default();
        let zurich = interner.intern("Zürich".as_bytes()).expect("room");
        let empty = interner.intern(b"").expect("room");
        assert_ne!(zurich, empty);
        assert_eq!(interner.get(zurich), "Zürich".as_bytes());
        assert_eq!(interner.get(empty), b"");
    }
}
