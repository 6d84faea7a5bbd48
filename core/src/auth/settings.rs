//! Tunables of authentication, set from the server configuration.

/// Login throttling. Three counters, each locking for `lock_secs` when its failures within
/// `window_secs` reach its limit: per (user name, address), the tight one; per address over
/// every name, known or not (one address trying many names); per account over every address
/// (many addresses trying one account). The account-wide lock is the price of the last: an
/// attacker can lock an account out for `lock_secs` with `account_max_failures` wrong
/// passwords, so that limit is kept well above the per-address one; `user unlock` lifts it.
#[derive(Clone, Debug)]
pub struct ThrottleSettings {
    /// Failures of one name from one address within the window that start a lock.
    pub max_failures: u32,
    /// Failures from one address, over every name, that lock the address.
    pub address_max_failures: u32,
    /// Failures of one account, over every address, that lock the account.
    pub account_max_failures: u32,
    /// Length of the counting window, seconds.
    pub window_secs: i64,
    /// Length of a lock, seconds.
    pub lock_secs: i64,
}

/// argon2id cost parameters (OWASP's minimum by default).
#[derive(Clone, Debug)]
pub struct Argon2Settings {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
    /// Hashes running at once (each holds `memory_kib`); 0 means one per CPU.
    pub max_concurrent: u32,
    /// Attempts waiting for a hashing slot before more are refused with `RATE_LIMITED`.
    pub max_queued: u32,
}

/// Everything authentication needs.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// Key that signs bearer tokens (HS256).
    pub jwt_secret: Vec<u8>,
    /// Lifetime of one token, seconds; browsers get a fresh one while the session lives.
    pub token_ttl_secs: i64,
    /// Absolute lifetime of a session, seconds.
    pub session_ttl_secs: i64,
    /// Throttling.
    pub throttle: ThrottleSettings,
    /// Password hashing cost.
    pub argon2: Argon2Settings,
    /// Minimum password length for local accounts.
    pub min_password_len: usize,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            jwt_secret: Vec::new(),
            token_ttl_secs: 3600,
            session_ttl_secs: 12 * 3600,
            throttle: ThrottleSettings {
                max_failures: 5,
                address_max_failures: 20,
                account_max_failures: 50,
                window_secs: 900,
                lock_secs: 900,
            },
            argon2: Argon2Settings {
                memory_kib: 19 * 1024,
                iterations: 2,
                parallelism: 1,
                max_concurrent: 0,
                max_queued: 32,
            },
            min_password_len: 8,
        }
    }
}
