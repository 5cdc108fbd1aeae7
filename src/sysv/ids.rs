// SPDX-License-Identifier: GPL-2.0

//! The id table of a System V IPC namespace (`struct ipc_ids` of `ipc/util.c`).
//!
//! An id is `seq * SEQ_MULTIPLIER + idx`: `idx` is the slot, allocated cyclically below a bound
//! that grows with the number of ids in use (`ipc_idr_alloc`), and `seq` the table's sequence
//! number, which advances each time the cyclic allocation wraps. An id whose slot was freed and
//! reused carries an old `seq` and no longer finds anything (`EINVAL`), as in the kernel.

use kernel::prelude::*;

/// `IPCMNI`: the number of slots, and the id multiplier of the sequence number (`ipc_mni`
/// without `ipcmni_extend`).
pub(crate) const IPCMNI: usize = 1 << IPCMNI_SHIFT;
/// `IPCMNI_SHIFT`.
const IPCMNI_SHIFT: u32 = 15;
/// `ipcid_seq_max()`: sequence numbers wrap here.
const SEQ_MAX: u32 = (i32::MAX as u32) >> IPCMNI_SHIFT;
/// `ipc_min_cycle` (`RADIX_TREE_MAP_SIZE`): slots below this bound are always cycled through.
const MIN_CYCLE: usize = 64;

/// An object in the table, with the sequence number of its id.
pub(crate) struct Slot<T> {
    /// The sequence number the object got when it was added.
    pub(crate) seq: u32,
    /// The object.
    pub(crate) value: T,
}

/// The index of a free slot and the sequence number an object stored there gets.
pub(crate) struct Reservation {
    idx: usize,
    seq: u32,
}

impl Reservation {
    /// The id the reserved object will have.
    pub(crate) fn id(&self) -> i32 {
        build_id(self.idx, self.seq)
    }
}

/// `ipc_buildid`: `seq * IPCMNI + idx`. Never overflows: `seq < SEQ_MAX`, `idx < IPCMNI`.
pub(crate) fn build_id(idx: usize, seq: u32) -> i32 {
    ((seq << IPCMNI_SHIFT) as usize | (idx & (IPCMNI - 1))) as i32
}

/// `ipcid_to_idx`.
pub(crate) fn id_to_idx(id: i32) -> usize {
    id as usize & (IPCMNI - 1)
}

/// The id table.
///
/// # Invariants
///
/// `in_use` is the number of `Some` entries of `slots`, and `slots.len() <= IPCMNI`.
pub(crate) struct IdTable<T> {
    slots: KVec<Option<Slot<T>>>,
    in_use: usize,
    /// The current sequence number.
    seq: u32,
    /// The slot of the latest allocation (`ids->last_idx`), -1 before the first.
    last_idx: isize,
    /// Where the next cyclic search starts (`idr->idr_next`).
    next: usize,
}

impl<T> IdTable<T> {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        // INVARIANT: Nothing in use.
        Self {
            slots: KVec::new(),
            in_use: 0,
            seq: 0,
            last_idx: -1,
            next: 0,
        }
    }

    /// Objects in the table (`ids->in_use`).
    pub(crate) fn in_use(&self) -> usize {
        self.in_use
    }

    /// Finds the slot a new object gets (`ipc_addid` up to the allocation): `ENOSPC` when
    /// `limit` (capped at `IPCMNI`) objects exist or no slot is free below the cycle bound.
    pub(crate) fn reserve(&self, limit: usize) -> Result<Reservation> {
        if self.in_use >= limit.min(IPCMNI) {
            return Err(ENOSPC);
        }
        // `max(in_use * 3 / 2, ipc_min_cycle)`, capped at `ipc_mni`; `in_use < IPCMNI`.
        let bound = (self.in_use * 3 / 2).clamp(MIN_CYCLE, IPCMNI);
        let free = |idx: &usize| !matches!(self.slots.get(*idx), Some(Some(_)));
        // `idr_alloc_cyclic`: the first free slot from the cursor, else from 0.
        let idx = (self.next..bound)
            .find(free)
            .or_else(|| (0..bound).find(free))
            .ok_or(ENOSPC)?;
        let mut seq = self.seq;
        if idx as isize <= self.last_idx {
            seq += 1;
            if seq >= SEQ_MAX {
                seq = 0;
            }
        }
        Ok(Reservation { idx, seq })
    }

    /// Stores `value` in the slot reserved with [`IdTable::reserve`] (the table must not have
    /// changed since) and returns its id.
    pub(crate) fn insert(&mut self, res: Reservation, value: T) -> Result<i32> {
        while self.slots.len() <= res.idx {
            self.slots.push(None, GFP_KERNEL)?;
        }
        let slot = self.slots.get_mut(res.idx).ok_or(EINVAL)?;
        if slot.is_some() {
            return Err(EBUSY);
        }
        *slot = Some(Slot {
            seq: res.seq,
            value,
        });
        // INVARIANT: One more `Some`; `res.idx < IPCMNI` keeps the length in bounds.
        self.in_use += 1;
        self.seq = res.seq;
        self.last_idx = res.idx as isize;
        self.next = res.idx + 1;
        Ok(build_id(res.idx, res.seq))
    }

    /// The object with id `id` (`ipc_obtain_object_check`): `EINVAL` if there is none or the
    /// sequence number differs.
    pub(crate) fn get_mut(&mut self, id: i32) -> Result<&mut Slot<T>> {
        if id < 0 {
            return Err(EINVAL);
        }
        let seq = (id as u32) >> IPCMNI_SHIFT;
        match self.slot_mut(id_to_idx(id)) {
            Some(slot) if slot.seq == seq => Ok(slot),
            _ => Err(EINVAL),
        }
    }

    /// The object in slot `idx`, whatever its sequence number (`ipc_obtain_object_idr`).
    pub(crate) fn slot_mut(&mut self, idx: usize) -> Option<&mut Slot<T>> {
        self.slots.get_mut(idx).and_then(|s| s.as_mut())
    }

    /// Takes the object out of slot `idx` (`ipc_rmid`).
    pub(crate) fn remove(&mut self, idx: usize) -> Option<T> {
        let slot = self.slots.get_mut(idx)?.take()?;
        // INVARIANT: One `Some` fewer.
        self.in_use -= 1;
        Some(slot.value)
    }

    /// `ipc_get_maxidx`: the highest slot in use, -1 if none.
    pub(crate) fn max_idx(&self) -> i32 {
        if self.in_use == 0 {
            return -1;
        }
        if self.in_use == IPCMNI {
            return IPCMNI as i32 - 1;
        }
        self.slots
            .iter()
            .rposition(|s| s.is_some())
            .map_or(-1, |i| i as i32)
    }

    /// The objects in slot order, with their ids.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i32, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(idx, s)| s.as_ref().map(|s| (build_id(idx, s.seq), &s.value)))
    }

    /// Takes every object out.
    pub(crate) fn drain(&mut self) -> KVec<T> {
        let mut out = KVec::new();
        for idx in 0..self.slots.len() {
            if let Some(v) = self.remove(idx) {
                // On allocation failure the object is dropped here instead of by the caller.
                let _ = out.push(v, GFP_KERNEL);
            }
        }
        out
    }
}

#[kunit_tests(rust_shmem_sysv_ids)]
mod tests {
    use super::*;

    /// Adds `v` under the largest limit; the id, or -1.
    fn add(t: &mut IdTable<u32>, v: u32) -> i32 {
        match t.reserve(IPCMNI) {
            Ok(res) => t.insert(res, v).unwrap_or(-1),
            Err(_) => -1,
        }
    }

    #[test]
    fn ids_start_at_zero_and_cycle() {
        let mut t = IdTable::new();
        assert_eq!(add(&mut t, 10), 0);
        assert_eq!(add(&mut t, 11), 1);
        assert_eq!(t.remove(0), Some(10));
        // Cyclic: slot 0 is not reused before the cycle comes round.
        assert_eq!(add(&mut t, 12), 2);
        assert!(t.get_mut(0).is_err());
        assert_eq!(t.get_mut(2).map(|s| s.value).ok(), Some(12));
        assert_eq!(t.in_use(), 2);
        assert_eq!(t.max_idx(), 2);
    }

    #[test]
    fn wrapping_bumps_the_sequence() {
        let mut t = IdTable::new();
        for i in 0..64 {
            let id = add(&mut t, i);
            assert_eq!(id, i as i32);
            assert!(t.remove(id_to_idx(id)).is_some());
        }
        assert_eq!(t.max_idx(), -1);
        // Slot 0 again, with sequence number 1: the old id 0 is stale.
        let id = add(&mut t, 99);
        assert_eq!(id, IPCMNI as i32);
        assert!(t.get_mut(0).is_err());
        assert_eq!(t.get_mut(id).map(|s| s.seq).ok(), Some(1));
        assert_eq!(t.slot_mut(0).map(|s| s.value), Some(99));
    }

    #[test]
    fn the_cycle_grows_with_use() {
        let mut t = IdTable::new();
        for i in 0..64 {
            assert_eq!(add(&mut t, i), i as i32);
        }
        // 64 in use: slots below 96 are cycled through.
        assert_eq!(add(&mut t, 64), 64);
        assert_eq!(t.max_idx(), 64);
    }

    #[test]
    fn limits_and_bad_ids() {
        let mut t = IdTable::new();
        assert!(t.reserve(0).is_err());
        assert_eq!(t.reserve(1).and_then(|r| t.insert(r, 1)).ok(), Some(0));
        assert!(t.reserve(1).is_err());
        assert!(t.get_mut(-1).is_err());
        assert!(t.get_mut(1).is_err());
        assert_eq!(build_id(5, 3), 3 * IPCMNI as i32 + 5);
        assert_eq!(t.drain().len(), 1);
        assert_eq!(t.in_use(), 0);
    }
}
