//! `hpc-billing audit verify`.

use super::Failure;
use crate::cli::{exit, AuditCommand};
use hpcb_core::Services;

/// Runs an `audit` subcommand.
pub async fn run(s: &Services, cmd: AuditCommand) -> Result<(), Failure> {
    match cmd {
        AuditCommand::Verify => {
            let r = s.audit.verify().await.map_err(Failure::core)?;
            if r.ok {
                println!("ok: {} entries verified", r.checked);
                Ok(())
            } else {
                Err(Failure::new(
                    exit::AUDIT_BROKEN,
                    format!(
                        "BROKEN: entry id {} does not verify ({}); {} entries before it are intact",
                        r.first_broken_id.unwrap_or_default(),
                        r.reason.unwrap_or_default(),
                        r.checked
                    ),
                ))
            }
        }
    }
}
