//! argon2id password hashing, run off the async runtime because it is deliberately slow.

use super::settings::Argon2Settings;
use crate::error::{CoreError, CoreResult};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;

/// Hashes and verifies passwords with fixed argon2id parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Arc<Params>,
    /// A hash of a random password, verified against when the user does not exist, so a
    /// missing account takes as long to refuse as a wrong password.
    decoy: Arc<String>,
}

impl PasswordHasher {
    /// Builds a hasher; fails if the parameters are out of argon2's bounds.
    pub fn new(s: &Argon2Settings) -> CoreResult<PasswordHasher> {
        let params = Params::new(s.memory_kib, s.iterations, s.parallelism, None)
            .map_err(|e| CoreError::validation("auth.argon2", e.to_string()))?;
        let mut h = PasswordHasher {
            params: Arc::new(params),
            decoy: Arc::new(String::new()),
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
        tokio::task::spawn_blocking(move || this.hash_blocking(&pw))
            .await
            .map_err(CoreError::internal)?
    }

    /// Verifies a password against a stored hash (or against the decoy when `hash` is `None`,
    /// which always fails).
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> CoreResult<bool> {
        let real = hash.is_some();
        let stored = hash.map(str::to_owned).unwrap_or_else(|| (*self.decoy).clone());
        let pw = password.to_owned();
        let argon = self.argon();
        let ok = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&stored).map_err(|e| CoreError::internal(format!("stored hash: {e}")))?;
            Ok::<bool, CoreError>(argon.verify_password(pw.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(CoreError::internal)??;
        Ok(ok && real)
    }
}
