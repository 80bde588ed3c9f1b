use crate::config::Settings;
use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use engine::accounts::{Accounts, DisplayName, Email, NewUser, Password, Username};
use std::{
    io::{BufRead, IsTerminal},
    process::ExitCode,
};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from standard input: its first line, and a second
    /// line, when present, must repeat it. On a terminal it is asked for twice, without echo.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Make the user a staff member (may use /backups).
        #[arg(long)]
        staff: bool,
        #[arg(long, default_value = "")]
        display_name: String,
    },
    /// List users, one per line: username, email, then markers (staff, inactive).
    List,
    /// Set a user's password (read like `user create`).
    SetPassword { username: String },
    /// Grant or revoke staff.
    SetStaff { username: String, value: Bool },
    /// Print the one-time link that creates the first staff account (a new one when the last
    /// has expired; valid 24 hours, and only while no staff account exists).
    SetupLink,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Bool {
    True,
    False,
}

pub async fn run(cmd: UserCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
    let engine = engine::Engine::open(settings.engine_config(None)).await?;
    let accounts = &engine.accounts;
    let result = match cmd {
        UserCommand::Create { username, email, staff, display_name } => {
            let new = NewUser {
                username: Username::parse(&username)?,
                email: Email::parse(&email)?,
                password: read_password()?,
                display_name: DisplayName::parse(&display_name)?,
                is_staff: staff,
            };
            let user = accounts.create(new).await?;
            println!("created {}{}", user.username, if user.is_staff { " (staff)" } else { "" });
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::List => {
            for u in accounts.list().await? {
                let mut markers = Vec::new();
                if u.is_staff {
                    markers.push("staff");
                }
                if !u.is_active {
                    markers.push("inactive");
                }
                println!("{}\t{}\t{}", u.username, u.email, markers.join(","));
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::SetPassword { username } => {
            let user = find(accounts, &username).await?;
            let password = read_password()?;
            accounts.set_password(user.id, &password).await?;
            println!("password of {} changed; their sessions are signed out", user.username);
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::SetStaff { username, value } => {
            let user = find(accounts, &username).await?;
            let staff = matches!(value, Bool::True);
            accounts.set_staff(user.id, staff).await?;
            println!("{} is {}", user.username, if staff { "staff" } else { "not staff" });
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::SetupLink => match engine.setup_tokens.issue(chrono::Utc::now()).await? {
            Some(link) => {
                println!("{}/setup?token={}", site_url(settings), link.token);
                println!(
                    "valid until {}; it stops working once a staff account exists",
                    link.expires_at.format("%Y-%m-%d %H:%M UTC")
                );
                Ok(ExitCode::SUCCESS)
            }
            None => {
                eprintln!(
                    "a staff account exists already, so there is no setup link: log in, or create another with \
                     `smallstack user create --staff`"
                );
                Ok(ExitCode::FAILURE)
            }
        },
    };
    engine.close().await;
    result
}

/// Where users reach the site, as well as the settings tell: the first host name of
/// `ALLOWED_HOSTS` (HTTPS when the session cookie is `Secure`), else the listening address
/// (`localhost` for an unspecified one such as `0.0.0.0`).
fn site_url(settings: &Settings) -> String {
    let port = settings.site_addr.port();
    let named = settings.allowed_hosts.names().find(|h| !crate::config::is_loopback_name(h));
    match named {
        Some(host) if settings.secure_cookies => format!("https://{host}"),
        Some(host) => format!("http://{host}:{port}"),
        None if settings.site_addr.ip().is_unspecified() => format!("http://localhost:{port}"),
        None => format!("http://{}", settings.site_addr),
    }
}

async fn find(accounts: &Accounts, username: &str) -> anyhow::Result<engine::entities::user::Model> {
    accounts.find_by_username(username).await?.with_context(|| format!("no user named {username:?}"))
}

/// First line of standard input; a second line, when present, must match. On a terminal, asks
/// twice without echo. Never from an argument (it would show in `ps` and shell history).
fn read_password() -> anyhow::Result<Password> {
    let (first, confirm) = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
        let confirm = rpassword::prompt_password("Password (again): ").context("cannot read the password")?;
        (first, Some(confirm))
    } else {
        let stdin = std::io::stdin();
        let mut lines = stdin.lock().lines();
        let first = lines.next().transpose().context("cannot read the password from standard input")?;
        let Some(first) = first else { bail!("no password on standard input (give it as the first line)") };
        let confirm = lines.next().transpose().context("cannot read standard input")?;
        (first, confirm)
    };
    if let Some(confirm) = confirm
        && confirm != first
    {
        bail!("the two passwords do not match");
    }
    Ok(Password::parse(&first)?)
}
