// SPDX-License-Identifier: GPL-2.0

//! A periodic work: a function run on the system workqueue after a delay, and again after the
//! same delay for as long as it asks to, which can be cancelled.
//!
//! It is a [`kernel::workqueue::DelayedWork`] in an [`Arc`], queued with
//! [`Queue::enqueue_delayed`] (which hands the queue one reference until the work runs). 7.3's
//! `kernel::workqueue` cannot cancel or flush a work item (rust/kernel/workqueue.rs has no
//! `cancel_*`), which a module must do before its code goes: [`PeriodicWork`]'s drop calls
//! `cancel_delayed_work_sync` itself and takes back the reference of a run it cancelled.

use crate::bindings;
use kernel::{
    container_of,
    prelude::*,
    sync::Arc,
    time::{msecs_to_jiffies, Jiffies},
    workqueue::{self, impl_has_delayed_work, new_delayed_work, DelayedWork, Work, WorkItem},
};

#[pin_data]
struct Inner {
    #[pin]
    work: DelayedWork<Inner>,
    /// The function; it returns whether to run again.
    func: fn() -> bool,
    delay: Jiffies,
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Inner { self.work }
}

impl WorkItem for Inner {
    type Pointer = Arc<Inner>;

    fn run(this: Arc<Inner>) {
        if (this.func)() {
            let delay = this.delay;
            // This fails only while a cancel is under way: the reference comes back and goes.
            let _ = workqueue::system().enqueue_delayed(this, delay);
        }
    }
}

/// A function run on the system workqueue [`PeriodicWork::schedule`]d, and rerun while it
/// returns `true`. Dropping this cancels a queued run and waits for one that is running.
///
/// The function runs in process context, with no lock held; it must not drop the
/// [`PeriodicWork`] that runs it (that would wait for itself).
pub(crate) struct PeriodicWork(Arc<Inner>);

impl PeriodicWork {
    /// A periodic work of `func`, every `period_ms` milliseconds; not yet scheduled.
    pub(crate) fn new(func: fn() -> bool, period_ms: u32) -> Result<Self> {
        let inner = Arc::pin_init(
            pin_init!(Inner {
                work <- new_delayed_work!("rust_shmem::PeriodicWork"),
                func,
                delay: msecs_to_jiffies(period_ms),
            }),
            GFP_KERNEL,
        )?;
        Ok(Self(inner))
    }

    /// Runs the function after the period, unless a run is queued already.
    pub(crate) fn schedule(&self) {
        // An `Err` gives back the reference when a run is queued already: nothing to do.
        let _ = workqueue::system().enqueue_delayed(self.0.clone(), self.0.delay);
    }
}

impl Drop for PeriodicWork {
    fn drop(&mut self) {
        // SAFETY: `self.0.work` is a valid, initialised `DelayedWork`, pinned in the `Arc`.
        let work = unsafe { Work::raw_get(DelayedWork::raw_as_work(&raw const self.0.work)) };
        // SAFETY: The `work_struct` of a `DelayedWork` is the `work` field of its
        // `delayed_work`.
        let dwork = unsafe { container_of!(work, bindings::delayed_work, work) };
        // SAFETY: A valid, initialised delayed work. `run` requeues only through
        // `enqueue_delayed`, which fails while the cancel is under way; after it, nothing can
        // queue it again: `schedule` needs `&self`, and `run` is not running.
        if unsafe { bindings::cancel_delayed_work_sync(dwork) } {
            // SAFETY: A run was queued and is cancelled: the reference `enqueue_delayed` gave
            // the queue (from `Arc::into_raw`, which points where `Arc::as_ptr` does) will
            // never reach `run`, so it is ours to drop.
            drop(unsafe { Arc::from_raw(Arc::as_ptr(&self.0)) });
        }
    }
}
