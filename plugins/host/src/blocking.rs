//! Running plugin code on tokio's blocking threads under the host's concurrency limit and a
//! timeout.
//!
//! Plugin code is synchronous and may block (it waits for its host capability calls), so it
//! never runs on the async workers. A job that misses its deadline cannot be stopped: its
//! thread is abandoned and keeps running until the plugin returns, if ever. Two things keep such
//! threads from costing more than they must:
//!
//! - so that a hung plugin does not permanently eat a slot of the concurrency limit, the slot is
//!   replaced when the job is abandoned (and the abandoned thread's own permit is forgotten if
//!   it ever finishes);
//! - each job counts itself in its owner's [`StuckCalls`] while abandoned and still running, so
//!   the owner (a plugin instance) can refuse to send more threads into a plugin that holds too
//!   many already.
//!
//! tokio's runtime waits for blocking threads when it is dropped; a server that may have
//! abandoned calls should end with `Runtime::shutdown_timeout` (or exit the process) rather than
//! wait forever.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Why a blocking job produced no value.
#[derive(Debug)]
pub(crate) enum BlockingError {
    /// The timeout passed before the job finished; its thread is abandoned (and counted as
    /// stuck until it returns).
    TimedOut,
    /// The job's thread failed (a panic in host glue, or the runtime shutting down).
    Failed(String),
}

/// How many abandoned jobs of one owner are still running. Shared with the jobs' threads, which
/// take themselves off when they finally return.
pub(crate) type StuckCalls = Arc<AtomicUsize>;

const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const ABANDONED: u8 = 2;

/// Waits, until `deadline`, for a slot of the host-wide concurrency limit.
pub(crate) async fn acquire_slot(permits: &Arc<Semaphore>, deadline: Instant) -> Option<OwnedSemaphorePermit> {
    match tokio::time::timeout_at(deadline, Arc::clone(permits).acquire_owned()).await {
        Ok(Ok(permit)) => Some(permit),
        // The semaphore is never closed; a closed one is treated like no slot in time.
        Ok(Err(_)) | Err(_) => None,
    }
}

/// Runs `job` on a blocking thread holding `permit`, and waits for it for `timeout`, counted
/// from now (when the job is handed to its thread, after any queueing for the slot).
pub(crate) async fn run<T, F>(
    permits: &Arc<Semaphore>,
    permit: OwnedSemaphorePermit,
    timeout: Duration,
    stuck: &StuckCalls,
    job: F,
) -> Result<T, BlockingError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let state = Arc::new(AtomicU8::new(RUNNING));
    let thread_state = Arc::clone(&state);
    let thread_stuck = Arc::clone(stuck);
    let deadline = Instant::now() + timeout;
    let mut handle = tokio::task::spawn_blocking(move || {
        let value = job();
        if thread_state.swap(FINISHED, Ordering::AcqRel) == ABANDONED {
            // The host already replaced this slot when it gave up on the job, and counted the
            // thread as stuck; it no longer is.
            permit.forget();
            thread_stuck.fetch_sub(1, Ordering::AcqRel);
        } else {
            drop(permit);
        }
        value
    });
    match tokio::time::timeout_at(deadline, &mut handle).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(join_error)) => Err(BlockingError::Failed(join_error.to_string())),
        Err(_elapsed) => {
            // Counted before the state changes, so the thread can only take itself off after.
            stuck.fetch_add(1, Ordering::AcqRel);
            if state.swap(ABANDONED, Ordering::AcqRel) == RUNNING {
                permits.add_permits(1);
                return Err(BlockingError::TimedOut);
            }
            // It finished at the deadline: not stuck after all, and its value is ready.
            stuck.fetch_sub(1, Ordering::AcqRel);
            handle.await.map_err(|e| BlockingError::Failed(e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn an_abandoned_job_does_not_keep_its_slot_and_counts_as_stuck_until_it_returns() {
        let permits = Arc::new(Semaphore::new(1));
        let stuck = StuckCalls::default();
        let permit = acquire_slot(&permits, Instant::now() + Duration::from_millis(50))
            .await
            .expect("a free slot");
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let outcome = run(&permits, permit, Duration::from_millis(50), &stuck, move || {
            wait.recv().is_ok()
        })
        .await;
        assert!(matches!(outcome, Err(BlockingError::TimedOut)));
        assert_eq!(permits.available_permits(), 1);
        assert_eq!(stuck.load(Ordering::Acquire), 1);

        // When the abandoned job finally ends, it must not add a second slot.
        release.send(()).expect("the job is still waiting");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(permits.available_permits(), 1);
        assert_eq!(stuck.load(Ordering::Acquire), 0);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_finished_job_returns_its_slot() {
        let permits = Arc::new(Semaphore::new(1));
        let stuck = StuckCalls::default();
        let permit = acquire_slot(&permits, Instant::now() + Duration::from_secs(5))
            .await
            .expect("a free slot");
        assert_eq!(
            run(&permits, permit, Duration::from_secs(5), &stuck, || 7)
                .await
                .expect("this call must succeed"),
            7
        );
        assert_eq!(permits.available_permits(), 1);
        assert_eq!(stuck.load(Ordering::Acquire), 0);
    }
}
