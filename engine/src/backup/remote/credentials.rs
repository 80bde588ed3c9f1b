//! Credentials for an s3:// remote: the standard `AWS_*` keys, both required, or instance
//! credentials asked for on purpose. Secrets never reach a message, `Debug` or `Display`.

use super::config::{
    ACCESS_KEY_VAR, CREDENTIALS_VAR, RemoteConfigError, SECRET_KEY_VAR, SESSION_TOKEN_VAR, refuse, refuse_secret,
};
use std::fmt;

/// A string that is never displayed nor debug-printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How the S3 client signs its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, and `AWS_SESSION_TOKEN` if set.
    Keys { access_key_id: String, secret_access_key: Secret, session_token: Option<Secret> },
    /// `BACKUP_REMOTE_CREDENTIALS=instance`: the cloud's instance metadata service, chosen on
    /// purpose (never a silent fall-back that can hang a misconfigured server).
    Instance,
}

impl Credentials {
    /// Reads the keys (or `BACKUP_REMOTE_CREDENTIALS=instance`) for an s3:// remote.
    pub(crate) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Credentials, RemoteConfigError> {
        let key_id = get(ACCESS_KEY_VAR);
        let secret = get(SECRET_KEY_VAR);
        let token = get(SESSION_TOKEN_VAR);
        match get(CREDENTIALS_VAR).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            Some("instance") => {
                if let Some(name) = [(ACCESS_KEY_VAR, &key_id), (SECRET_KEY_VAR, &secret), (SESSION_TOKEN_VAR, &token)]
                    .into_iter()
                    .find_map(|(name, v)| v.is_some().then_some(name))
                {
                    return Err(refuse_secret(
                        name,
                        "is set but BACKUP_REMOTE_CREDENTIALS=instance asks for instance credentials: unset one of them",
                    ));
                }
                return Ok(Credentials::Instance);
            }
            None | Some("keys") => {}
            Some(_) => {
                let raw = get(CREDENTIALS_VAR).unwrap_or_default();
                return Err(refuse(
                    CREDENTIALS_VAR,
                    &raw,
                    "expected keys (the default: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) or instance",
                ));
            }
        }
        let need = "is required with an s3:// BACKUP_REMOTE_URL (or set BACKUP_REMOTE_CREDENTIALS=instance to use the cloud's instance credentials)";
        let key_id = key_id.ok_or_else(|| refuse_secret(ACCESS_KEY_VAR, need))?;
        let secret = secret.ok_or_else(|| refuse_secret(SECRET_KEY_VAR, need))?;
        let key_id = key_id.trim().to_string();
        if key_id.len() < 3 || !key_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(refuse_secret(
                ACCESS_KEY_VAR,
                "expected a key id of printable characters without spaces, e.g. AKIA…",
            ));
        }
        for (name, value) in [(SECRET_KEY_VAR, Some(&secret)), (SESSION_TOKEN_VAR, token.as_ref())] {
            // A secret pasted with its line break would sign every request wrongly: say so at start.
            if value.is_some_and(|v| v.chars().any(|c| c.is_whitespace() || c.is_control())) {
                return Err(refuse_secret(name, "contains a space, line break or control character: remove it"));
            }
        }
        Ok(Credentials::Keys {
            access_key_id: key_id,
            secret_access_key: Secret::new(secret),
            session_token: token.map(Secret::new),
        })
    }

    /// `AKIA…WXYZ`: enough to tell keys apart on the dashboard, too little to be the key.
    pub fn masked_key_id(&self) -> String {
        match self {
            Credentials::Keys { access_key_id, .. } => mask(access_key_id),
            Credentials::Instance => "instance credentials".to_string(),
        }
    }

    /// The values that must never appear in a message, for the error mapping to scrub.
    pub(crate) fn secrets(&self) -> Vec<String> {
        match self {
            Credentials::Keys { secret_access_key, session_token, .. } => std::iter::once(secret_access_key)
                .chain(session_token)
                .map(|s| s.expose().to_string())
                .filter(|s| s.len() >= 4)
                .collect(),
            Credentials::Instance => Vec::new(),
        }
    }
}

pub(super) fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    match chars.len() {
        n if n >= 12 => {
            format!("{}…{}", chars[..4].iter().collect::<String>(), chars[n - 4..].iter().collect::<String>())
        }
        n if n >= 6 => format!("…{}", chars[n - 2..].iter().collect::<String>()),
        _ => "…".to_string(),
    }
}
