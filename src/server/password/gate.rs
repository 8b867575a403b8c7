//! The gate in front of argon2: at most `threads` hashes at once (fewer than
//! the CPUs, so pages keep a core under a sign-in flood) and a short queue;
//! past it a request is refused at once with 503 and `Retry-After` instead
//! of piling up threads of 19 MiB each.

use crate::error::AppError;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a client refused for a full queue is asked to wait.
const RETRY_AFTER_SECS: u64 = 2;

/// The hashing slots of one server.
pub struct HashGate {
    slots: Semaphore,
    waiting: AtomicUsize,
    queue: usize,
}

/// A hashing slot, given back when dropped.
pub struct HashSlot<'a>(#[allow(dead_code)] SemaphorePermit<'a>);

impl HashGate {
    /// A gate of `threads` slots (at least one) and room for `queue` waiting.
    pub fn new(threads: usize, queue: usize) -> HashGate {
        HashGate {
            slots: Semaphore::new(threads.max(1)),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// Waits for a slot, or refuses with `Unavailable` when the queue is full.
    pub async fn enter(&self) -> Result<HashSlot<'_>, AppError> {
        if let Ok(permit) = self.slots.try_acquire() {
            return Ok(HashSlot(permit));
        }
        let busy = AppError::Unavailable {
            retry_after: RETRY_AFTER_SECS,
        };
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!("password hashing queue is full; refusing with 503");
            return Err(busy);
        }
        let permit = self.slots.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit.map(HashSlot).map_err(|_| busy)
    }

    /// Takes a slot without waiting, if one is free.
    pub fn try_enter(&self) -> Option<HashSlot<'_>> {
        self.slots.try_acquire().ok().map(HashSlot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_a_freed_slot_serves_again() {
        let gate = HashGate::new(1, 0);
        let held = gate.enter().await.expect("the free slot");
        assert!(matches!(
            gate.enter().await,
            Err(AppError::Unavailable { retry_after: 2 })
        ));
        drop(held);
        assert!(gate.enter().await.is_ok());
    }
}
