//! `hpc-billing user …`: account management by the operator, who has local authority (the
//! actions are audited with the actor `cli`).

use super::Failure;
use crate::cli::{exit, RoleArg, UserCommand};
use hpcb_core::auth::Role;
use hpcb_core::context::{Actor, RequestMeta};
use hpcb_core::Services;
use std::io::BufRead;

const CLI: Actor<'static> = Actor::System("cli");

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Finance => Role::Finance,
            RoleArg::User => Role::User,
        }
    }
}

/// Reads one line from standard input as the password.
fn read_password() -> Result<String, Failure> {
    eprintln!("password (one line on standard input):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::new(exit::FAILURE, format!("cannot read the password: {e}")))?;
    let pw = line.trim_end_matches(['\r', '\n']).to_owned();
    if pw.is_empty() {
        return Err(Failure::new(exit::REFUSED, "no password given on standard input"));
    }
    Ok(pw)
}

/// Runs a `user` subcommand.
pub async fn run(s: &Services, cmd: UserCommand) -> Result<(), Failure> {
    let meta = RequestMeta::cli();
    match cmd {
        UserCommand::Add { username, role } => {
            let pw = read_password()?;
            let u = s
                .users
                .create(CLI, &meta, &username, &pw, role.into())
                .await
                .map_err(Failure::core)?;
            println!("created {} ({})", u.username, u.role);
        }
        UserCommand::List => {
            let users = s.users.list_all().await.map_err(Failure::core)?;
            println!("{:<32} {:<8} {:<6} status", "username", "role", "source");
            for u in users {
                println!(
                    "{:<32} {:<8} {:<6} {}",
                    u.username,
                    u.role,
                    u.auth_source,
                    if u.disabled { "disabled" } else { "active" }
                );
            }
        }
        UserCommand::SetRole { username, role } => {
            let u = s
                .users
                .set_role(CLI, &meta, &username, role.into())
                .await
                .map_err(Failure::core)?;
            println!("{} is now {}", u.username, u.role);
        }
        UserCommand::Disable { username } => {
            s.users
                .set_disabled(CLI, &meta, &username, true)
                .await
                .map_err(Failure::core)?;
            println!("{username} is disabled and signed out everywhere");
        }
        UserCommand::Enable { username } => {
            s.users
                .set_disabled(CLI, &meta, &username, false)
                .await
                .map_err(Failure::core)?;
            println!("{username} is enabled");
        }
        UserCommand::Passwd { username } => {
            let pw = read_password()?;
            s.users
                .set_password(CLI, &meta, &username, &pw)
                .await
                .map_err(Failure::core)?;
            println!("password of {username} changed; its sessions have ended");
        }
    }
    Ok(())
}
