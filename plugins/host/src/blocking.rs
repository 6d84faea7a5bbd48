//! Running plugin code on tokio's blocking threads under the host's concurrency limit and an
//! outer deadline.
//!
//! Plugin code is synchronous and may block (it waits for its host capability calls), so it
//! never runs on the async workers. A call that misses its deadline cannot be stopped: its
//! thread is abandoned and keeps running until the plugin returns, if ever. So that a hung
//! plugin does not permanently eat a slot of the concurrency limit, the slot is replaced when
//! the call is abandoned (and the abandoned thread's own permit is forgotten if it ever
//! finishes). Callers make the instance unusable after a timeout, so each instance can strand at
//! most one thread.
//!
//! tokio's runtime waits for blocking threads when it is dropped; a server that may have
//! abandoned calls should end with `Runtime::shutdown_timeout` (or exit the process) rather than
//! wait forever.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Why a blocking job produced no value.
#[derive(Debug)]
pub(crate) enum BlockingError {
    /// The deadline passed before the job finished; its thread is abandoned.
    TimedOut,
    /// The job's thread failed (a panic in host glue, or the runtime shutting down).
    Failed(String),
}

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

/// Runs `job` on a blocking thread holding `permit`, and waits for it until `deadline`.
pub(crate) async fn run<T, F>(
    permits: &Arc<Semaphore>,
    permit: OwnedSemaphorePermit,
    deadline: Instant,
    job: F,
) -> Result<T, BlockingError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let state = Arc::new(AtomicU8::new(RUNNING));
    let thread_state = Arc::clone(&state);
    let handle = tokio::task::spawn_blocking(move || {
        let value = job();
        if thread_state.swap(FINISHED, Ordering::AcqRel) == ABANDONED {
            // The host already replaced this slot when it gave up on the job.
            permit.forget();
        } else {
            drop(permit);
        }
        value
    });
    match tokio::time::timeout_at(deadline, handle).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(join_error)) => Err(BlockingError::Failed(join_error.to_string())),
        Err(_elapsed) => {
            if state.swap(ABANDONED, Ordering::AcqRel) == RUNNING {
                permits.add_permits(1);
            }
            Err(BlockingError::TimedOut)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread")]
    async fn an_abandoned_job_does_not_keep_its_slot() {
        let permits = Arc::new(Semaphore::new(1));
        let deadline = Instant::now() + Duration::from_millis(50);
        let permit = acquire_slot(&permits, deadline).await.expect("a free slot");
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let outcome = run(&permits, permit, deadline, move || wait.recv().is_ok()).await;
        assert!(matches!(outcome, Err(BlockingError::TimedOut)));
        assert_eq!(permits.available_permits(), 1);

        // When the abandoned job finally ends, it must not add a second slot.
        release.send(()).expect("the job is still waiting");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(permits.available_permits(), 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_finished_job_returns_its_slot() {
        let permits = Arc::new(Semaphore::new(1));
        let deadline = Instant::now() + Duration::from_secs(5);
        let permit = acquire_slot(&permits, deadline).await.expect("a free slot");
        assert_eq!(
            run(&permits, permit, deadline, || 7)
                .await
                .expect("this call must succeed"),
            7
        );
        assert_eq!(permits.available_permits(), 1);
    }
}
