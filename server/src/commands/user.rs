//! `hpc-billing user …`: account management by the operator, who has local authority (the
//! actions are audited with the actor `cli`).

use super::Failure;
use crate::cli::{exit, RoleArg, UserCommand};
use hpcb_core::auth::Role;
use hpcb_core::context::{Actor, RequestMeta};
use hpcb_core::Services;
use std::io::{BufRead, IsTerminal as _};

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

/// Reads the password: on a terminal it is asked for twice without echo; from a pipe (scripts)
/// it is the first line of standard input.
fn read_password() -> Result<String, Failure> {
    let unreadable = |e: std::io::Error| Failure::new(exit::FAILURE, format!("cannot read the password: {e}"));
    let pw = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("password: ").map_err(unreadable)?;
        let again = rpassword::prompt_password("the same password again: ").map_err(unreadable)?;
        if first != again {
            return Err(Failure::new(
                exit::REFUSED,
                "the two passwords differ; nothing was changed",
            ));
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(unreadable)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
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
            let rows: Vec<[&str; 4]> = users
                .iter()
                .map(|u| {
                    [
                        u.username.as_str(),
                        u.role.as_str(),
                        u.auth_source.as_str(),
                        if u.disabled { "disabled" } else { "active" },
                    ]
                })
                .collect();
            print!("{}", table(["username", "role", "source", "status"], &rows));
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
            println!("{username} is enabled (a login lock after wrong passwords is lifted by `hpc-billing user unlock {username}`)");
        }
        UserCommand::Unlock { username } => {
            let lifted = s.users.unlock(CLI, &meta, &username).await.map_err(Failure::core)?;
            match lifted {
                0 => println!("{username} was not locked; its failure counts are cleared"),
                1 => println!("{username} is unlocked (1 lock lifted)"),
                n => println!("{username} is unlocked ({n} locks lifted, one per address)"),
            }
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

/// A left-aligned text table: each column as wide as its widest cell (counted in characters,
/// so names in Thai or with accents line up too), two spaces between columns.
fn table<const N: usize>(header: [&str; N], rows: &[[&str; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', w - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn table_columns_line_up_whatever_the_widths() {
        let text = table(
            ["username", "role", "status"],
            &[
                ["a-very-long-user-name", "finance", "active"],
                ["ก", "user", "disabled"],
            ],
        );
        let lines: Vec<&str> = text.lines().collect();
        let col = |line: &str, word: &str| line.find(word).map(|b| line[..b].chars().count());
        assert_eq!(col(lines[0], "role"), col(lines[1], "finance"));
        assert_eq!(col(lines[1], "finance"), col(lines[2], "user"));
        assert_eq!(col(lines[0], "status"), col(lines[2], "disabled"));
    }
}
