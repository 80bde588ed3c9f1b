//! The off-site settings: `BACKUP_REMOTE_URL` and its companions (parsed by the engine's
//! `RemoteSettings::from_lookup`, whose refusals become this crate's one-line [`ConfigError`]),
//! and `BACKUP_REMOTE_KEEP`.

use super::{ConfigError, Env};
use engine::backup::{
    KeepPolicy, RemoteConfig,
    remote::{RemoteConfigError, RemoteSettings},
};
use std::path::Path;

pub const KEEP_VAR: &str = "BACKUP_REMOTE_KEEP";

impl From<RemoteConfigError> for ConfigError {
    /// The value is left out when it is (or may hold) a secret.
    fn from(e: RemoteConfigError) -> Self {
        ConfigError { name: e.name, value: e.value, reason: e.reason }
    }
}

/// The remote, or `None` when `BACKUP_REMOTE_URL` is unset (then every companion must be unset
/// too: a half-configured remote is a mistake, never silently ignored).
pub(super) fn parse_remote(env: &impl Env) -> Result<Option<RemoteSettings>, ConfigError> {
    Ok(RemoteSettings::from_lookup(|name| env.get(name))?)
}

/// `BACKUP_REMOTE_KEEP`: `all`, or `last=…,daily=…,weekly=…,monthly=…` (default
/// `last=7,daily=14,weekly=8,monthly=12`).
pub(super) fn parse_keep(env: &impl Env, remote: Option<&RemoteSettings>) -> Result<KeepPolicy, ConfigError> {
    let Some(raw) = env.get(KEEP_VAR) else { return Ok(KeepPolicy::default()) };
    if remote.is_none() {
        return Err(ConfigError {
            name: KEEP_VAR,
            value: Some(raw),
            reason: "is set but BACKUP_REMOTE_URL is not: set BACKUP_REMOTE_URL too, or unset it".into(),
        });
    }
    KeepPolicy::parse(&raw).map_err(|reason| ConfigError { name: KEEP_VAR, value: Some(raw), reason })
}

/// What the engine needs to make off-site copies.
pub(super) fn engine_remote(
    remote: Option<&RemoteSettings>,
    keep: KeepPolicy,
    media_root: &Path,
) -> Option<RemoteConfig> {
    remote.map(|settings| RemoteConfig::new(settings.clone(), keep, media_root.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::super::{Env, Settings};

    struct Table(Vec<(&'static str, &'static str)>);

    impl Env for Table {
        fn get(&self, name: &str) -> Option<String> {
            self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()).filter(|v| !v.is_empty())
        }
    }

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    #[test]
    fn no_remote_by_default_and_a_folder_or_bucket_when_set() {
        let s = Settings::from_source(&[]).unwrap();
        assert!(s.backup_remote.is_none());
        assert!(s.engine_config(None).backup.remote.is_none());
        let s = Settings::from_source(&[
            ("BACKUP_REMOTE_URL", "s3://my-backups/app"),
            ("BACKUP_REMOTE_ENDPOINT", "https://s3.eu-central-003.backblazeb2.com"),
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY123456"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("BACKUP_REMOTE_KEEP", "last=3,monthly=6"),
            ("BACKUP_REMOTE_MAX_RATE", "10MB"),
        ])
        .unwrap();
        let remote = s.engine_config(None).backup.remote.unwrap();
        assert_eq!(remote.keep.to_string(), "last=3,monthly=6");
        assert_eq!(remote.media_root, s.media_root);
        let shown = format!("{} {:?}", remote.settings, remote.settings);
        assert!(shown.contains("s3://my-backups/app") && !shown.contains(SECRET), "{shown}");
        assert_eq!(
            Settings::from_source(&[("BACKUP_REMOTE_URL", "file:///mnt/offsite")]).unwrap().backup_remote_keep,
            engine::backup::KeepPolicy::default()
        );
    }

    /// Each bad value stops the start with one line naming the variable; a secret is never
    /// repeated.
    #[test]
    fn bad_remote_settings_name_the_variable_and_hide_secrets() {
        let s3 = |extra: &[(&'static str, &'static str)]| {
            let mut vars = vec![
                ("BACKUP_REMOTE_URL", "s3://my-backups/app"),
                ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY123456"),
                ("AWS_SECRET_ACCESS_KEY", SECRET),
            ];
            for (k, v) in extra {
                vars.retain(|(name, _)| name != k);
                vars.push((k, v));
            }
            vars
        };
        // The variables set, the variable the error must name, and what it must say.
        type Case = (Vec<(&'static str, &'static str)>, &'static str, &'static str);
        let cases: Vec<Case> = vec![
            (vec![("BACKUP_REMOTE_URL", "ftp://x/y")], "BACKUP_REMOTE_URL", "expected s3://bucket"),
            (vec![("BACKUP_REMOTE_URL", "s3://UPPER/x")], "BACKUP_REMOTE_URL", "lowercase"),
            (vec![("BACKUP_REMOTE_URL", "s3://my-bucket/../x")], "BACKUP_REMOTE_URL", "prefix is refused"),
            (vec![("BACKUP_REMOTE_KEEP", "last=3")], "BACKUP_REMOTE_KEEP", "BACKUP_REMOTE_URL is not"),
            (vec![("BACKUP_REMOTE_ENDPOINT", "https://x")], "BACKUP_REMOTE_ENDPOINT", "BACKUP_REMOTE_URL is not"),
            (s3(&[("BACKUP_REMOTE_ENDPOINT", "http://s3.example.com")]), "BACKUP_REMOTE_ENDPOINT", "loopback"),
            (s3(&[("BACKUP_REMOTE_KEEP", "hourly=3")]), "BACKUP_REMOTE_KEEP", "unknown rule"),
            (s3(&[("BACKUP_REMOTE_KEEP", "last=0")]), "BACKUP_REMOTE_KEEP", "keeps nothing"),
            (s3(&[("BACKUP_REMOTE_MAX_RATE", "fast")]), "BACKUP_REMOTE_MAX_RATE", "bytes per second"),
            (s3(&[("BACKUP_REMOTE_CREDENTIALS", "magic")]), "BACKUP_REMOTE_CREDENTIALS", "keys"),
            (s3(&[("AWS_SECRET_ACCESS_KEY", "")]), "AWS_SECRET_ACCESS_KEY", "is required"),
            (s3(&[("AWS_SECRET_ACCESS_KEY", "with space inside")]), "AWS_SECRET_ACCESS_KEY", "space"),
        ];
        for (vars, name, says) in cases {
            let env = Table(vars.clone());
            let err = Settings::from_source(&env).unwrap_err();
            let line = err.to_string();
            assert_eq!(err.name, name, "{vars:?}: {line}");
            assert!(line.starts_with(name) && line.contains(says), "{vars:?}: {line}");
            assert_eq!(line.lines().count(), 1, "{line}");
            assert!(!line.contains(SECRET) && !line.contains("with space inside"), "a secret leaked: {line}");
        }
    }
}
