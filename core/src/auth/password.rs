//! argon2id password hashing, run off the async runtime because it is deliberately slow, and
//! bounded: each hash holds `memory_kib` of memory, so it runs on `max_concurrent` threads of
//! its own, with at most `max_queued` attempts waiting; past that an attempt is refused with
//! `RATE_LIMITED` instead of growing memory with the number of anonymous login requests.

use super::settings::Argon2Settings;
use crate::error::{CoreError, CoreResult};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// The threads that hash: a fixed few, each reusing its own memory from hash to hash (on
/// short-lived blocking threads every thread kept its own 19 MiB: 100 concurrent logins held
/// over half a GiB), fed by a queue of bounded length.
struct Pool {
    jobs: SyncSender<Job>,
}

impl Pool {
    fn new(threads: usize, queue: usize) -> Pool {
        let (jobs, rx) = sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx: Arc<Mutex<Receiver<Job>>> = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        // Every hasher is gone.
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Pool { jobs }
    }

    /// Runs `f` on the pool; `RATE_LIMITED` when the queue is full.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> CoreResult<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(CoreError::RateLimited { retry_after_secs: 1 }),
            Err(TrySendError::Disconnected(_)) => {
                return Err(CoreError::internal("the password hashing threads stopped"))
            }
        }
        rx.await
            .map_err(|_| CoreError::internal("a password hashing thread stopped"))
    }
}

/// Hashes and verifies passwords with fixed argon2id parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Arc<Params>,
    /// A hash of a random password, verified against when the user does not exist, so a
    /// missing account takes as long to refuse as a wrong password.
    decoy: Arc<String>,
    pool: Arc<Pool>,
}

impl PasswordHasher {
    /// Builds a hasher; fails if the parameters are out of argon2's bounds.
    pub fn new(s: &Argon2Settings) -> CoreResult<PasswordHasher> {
        let params = Params::new(s.memory_kib, s.iterations, s.parallelism, None)
            .map_err(|e| CoreError::validation("auth.argon2", e.to_string()))?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let slots = match s.max_concurrent {
            0 => cores,
            n => n as usize,
        };
        let mut h = PasswordHasher {
            params: Arc::new(params),
            decoy: Arc::new(String::new()),
            pool: Arc::new(Pool::new(slots, s.max_queued as usize)),
        };
        h.decoy = Arc::new(h.hash_blocking(&hex::encode(rand::random::<[u8; 16]>()))?);
        Ok(h)
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, (*self.params).clone())
    }

    fn hash_blocking(&self, password: &str) -> CoreResult<String> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CoreError::internal(format!("argon2: {e}")))
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: &str) -> CoreResult<String> {
        let this = self.clone();
        let pw = password.to_owned();
        self.pool.run(move || this.hash_blocking(&pw)).await?
    }

    /// Verifies a password against a stored hash (or against the decoy when `hash` is `None`,
    /// which always fails).
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> CoreResult<bool> {
        let real = hash.is_some();
        let stored = hash.map(str::to_owned).unwrap_or_else(|| (*self.decoy).clone());
        let pw = password.to_owned();
        let argon = self.argon();
        let ok = self
            .pool
            .run(move || {
                let parsed =
                    PasswordHash::new(&stored).map_err(|e| CoreError::internal(format!("stored hash: {e}")))?;
                Ok::<bool, CoreError>(argon.verify_password(pw.as_bytes(), &parsed).is_ok())
            })
            .await??;
        Ok(ok && real)
    }
}
