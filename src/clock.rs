//! The service's clock. Deadlines, overdue documents and every stored timestamp read it. It is
//! the system's clock unless an operator (for a demonstration or training) or a test has set
//! it, in which case it runs on from the time it was set to.

use std::cell::Cell;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{NaiveDateTime, SubsecRound, Utc};

/// How far the service's clock is from the system's, in microseconds.
#[derive(Debug, Default)]
pub struct Clock {
    offset_micros: AtomicI64,
}

thread_local! {
    /// The offset of the clock the database work on this thread runs by.
    static OFFSET: Cell<i64> = const { Cell::new(0) };
}

fn system_now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

impl Clock {
    /// A clock reading `now` at this moment.
    pub fn starting_at(now: Option<NaiveDateTime>) -> Self {
        let clock = Clock::default();
        if let Some(now) = now {
            clock.set(now);
        }
        clock
    }

    /// Sets the clock to read `now` from this moment on.
    pub fn set(&self, now: NaiveDateTime) {
        let offset = (now - system_now()).num_microseconds().unwrap_or(0);
        self.offset_micros.store(offset, Ordering::Relaxed);
    }

    /// Runs `work` with `timestamps::now()` reading this clock.
    pub fn within<T>(&self, work: impl FnOnce() -> T) -> T {
        let _restore = Restore(OFFSET.replace(self.offset_micros.load(Ordering::Relaxed)));
        work()
    }
}

/// Puts the thread's previous offset back, even if the work panics: blocking threads are reused.
struct Restore(i64);

impl Drop for Restore {
    fn drop(&mut self) {
        OFFSET.set(self.0);
    }
}

/// Now by the clock the current work runs by, to the microsecond (the precision both databases
/// keep, so a value read back equals the value written).
pub fn now() -> NaiveDateTime {
    let offset = chrono::Duration::microseconds(OFFSET.get());
    (system_now() + offset).trunc_subsecs(6)
}
