//! Argon2 work for requests, with bounded concurrency and bounded memory.
//!
//! Every login, signature confirmation, password change and secret check costs one Argon2
//! computation: tens of milliseconds of a core and 19 MiB of memory. Run on the general blocking
//! pool (over a hundred threads), a login storm from anyone who can reach the port would take
//! every core and gigabytes of memory. Here a fixed number of threads each reuse one workspace,
//! and a short queue feeds them; when it is full the request is refused at once (503 with
//! Retry-After) instead of waiting, so the storm costs its senders, not the service. A request
//! reserves its place ([`SecretHasher::reserve`]) before any other work, so a refused attempt
//! costs no database query either.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use super::passwords::Workspace;
use crate::error::Error;

type Job = Box<dyn FnOnce(&mut Workspace) + Send>;

/// Seconds a refused caller is asked to wait.
const RETRY_AFTER_SECS: u64 = 1;

pub struct SecretHasher {
    queue: SyncSender<Job>,
    /// Computations reserved, waiting or running.
    in_flight: Arc<AtomicUsize>,
    /// Threads plus queue: the most computations that may be in flight.
    capacity: usize,
}

/// A place reserved for one computation; given back when dropped.
pub struct Slot {
    in_flight: Arc<AtomicUsize>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl SecretHasher {
    /// Starts `threads` hashing threads behind a queue of `queue_length` waiting computations.
    pub fn start(threads: usize, queue_length: usize) -> std::io::Result<SecretHasher> {
        let threads = threads.max(1);
        let (queue, jobs) = sync_channel::<Job>(queue_length);
        let jobs = Arc::new(Mutex::new(jobs));
        for number in 0..threads {
            let jobs = Arc::clone(&jobs);
            std::thread::Builder::new()
                .name(format!("argon2-{number}"))
                .spawn(move || work(&jobs))?;
        }
        Ok(SecretHasher {
            queue,
            in_flight: Arc::new(AtomicUsize::new(0)),
            capacity: threads + queue_length,
        })
    }

    /// The most computations that may be in flight, and those in flight now.
    pub fn load(&self) -> (usize, usize) {
        (self.capacity, self.in_flight.load(Ordering::Acquire))
    }

    /// Reserves a place for one computation, or refuses at once when all are taken.
    pub fn reserve(&self) -> Result<Slot, Error> {
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            })
            .map_err(|_| {
                crate::metrics::hashing_refused();
                Error::Overloaded {
                    retry_after_secs: RETRY_AFTER_SECS,
                }
            })?;
        Ok(Slot {
            in_flight: Arc::clone(&self.in_flight),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        slot: Slot,
        job: impl FnOnce(&mut Workspace) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |workspace| {
            let outcome = job(workspace);
            drop(slot);
            // The requester may have gone (client disconnected); nothing to tell then.
            let _ = reply.send(outcome);
        });
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                crate::metrics::hashing_refused();
                return Err(Error::Overloaded {
                    retry_after_secs: RETRY_AFTER_SECS,
                });
            }
            Err(TrySendError::Disconnected(_)) => return Err(Error::internal("the hashing threads have stopped")),
        }
        answer.await.map_err(|_| Error::internal("a hashing thread stopped"))
    }

    /// A PHC hash of `secret`.
    pub async fn hash(&self, secret: String) -> Result<String, Error> {
        let slot = self.reserve()?;
        self.run(slot, move |workspace| workspace.hash(&secret)).await?
    }

    /// Whether `secret` matches the stored hash, in a place reserved beforehand.
    pub async fn verify(&self, slot: Slot, secret: String, stored: String) -> Result<bool, Error> {
        self.run(slot, move |workspace| workspace.verify(&secret, &stored))
            .await
    }
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    let mut workspace = Workspace::default();
    loop {
        // The lock is held only while waiting for the next job, never while hashing.
        let next = jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
        match next {
            Ok(job) => job(&mut workspace),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn hashes_and_verifies_on_its_threads() {
        let hasher = SecretHasher::start(1, 4).unwrap();
        let stored = hasher.hash("correct horse battery".into()).await.unwrap();
        let slot = hasher.reserve().unwrap();
        assert!(
            hasher
                .verify(slot, "correct horse battery".into(), stored.clone())
                .await
                .unwrap()
        );
        let slot = hasher.reserve().unwrap();
        assert!(!hasher.verify(slot, "wrong horse battery".into(), stored).await.unwrap());
    }

    #[actix_web::test]
    async fn places_are_reserved_and_given_back() {
        let hasher = SecretHasher::start(1, 1).unwrap();
        let first = hasher.reserve().unwrap();
        let second = hasher.reserve().unwrap();
        assert!(matches!(hasher.reserve(), Err(Error::Overloaded { .. })));
        drop(first);
        let third = hasher.reserve().unwrap();
        let stored = hasher.hash("a long enough secret".into()).await;
        assert!(
            matches!(stored, Err(Error::Overloaded { .. })),
            "both places are still taken"
        );
        drop((second, third));
        assert!(hasher.hash("a long enough secret".into()).await.is_ok());
    }

    #[actix_web::test]
    async fn a_full_queue_refuses_at_once() {
        let hasher = Arc::new(SecretHasher::start(1, 1).unwrap());
        let waiting: Vec<_> = (0..8)
            .map(|_| {
                let hasher = Arc::clone(&hasher);
                actix_web::rt::spawn(async move { hasher.hash("a long enough secret".into()).await })
            })
            .collect();
        let mut refused = 0;
        for outcome in waiting {
            if matches!(outcome.await.unwrap(), Err(Error::Overloaded { .. })) {
                refused += 1;
            }
        }
        // All eight ask before the first hash is done (tens of milliseconds): one runs, one
        // waits, six are refused; seven when the thread has not yet come to take the first job,
        // so the one queue place is already filled. A longer queue would refuse five or fewer.
        assert!(
            (6..=7).contains(&refused),
            "one running and one queued: {refused} of 8 refused"
        );
    }
}
