//! Domain types that can only hold valid values: build them with `parse`.

use super::AccountError;

/// 3–150 ASCII letters, digits and `._-`; compared without regard to letter case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MIN: usize = 3;
    pub const MAX: usize = 150;

    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let value = raw.trim();
        let invalid = |m: &str| AccountError::invalid("username", m.to_string());
        if value.is_empty() {
            return Err(invalid("username is required"));
        }
        // ASCII letters only follow, so this refuses nothing more; it keeps the one rule in force
        // for every name a person sees, should the allowed letters ever grow.
        crate::text::check_visible("username", value).map_err(|m| invalid(&m))?;
        let count = value.chars().count();
        if !(Self::MIN..=Self::MAX).contains(&count) {
            return Err(invalid(&format!("username must be {}–{} characters long", Self::MIN, Self::MAX)));
        }
        if let Some(bad) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
            let shown = if bad.is_control() || bad.is_whitespace() {
                format!("U+{:04X}", bad as u32)
            } else {
                format!("'{bad}'")
            };
            return Err(invalid(&format!("username may contain only letters a–z, digits and . _ - (found {shown})")));
        }
        Ok(Username(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A plausible email address, stored in lower case (so uniqueness ignores letter case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let value = raw.trim();
        let invalid = |m: &str| AccountError::invalid("email", m.to_string());
        if value.is_empty() {
            return Err(invalid("email is required"));
        }
        if value.len() > Self::MAX {
            return Err(invalid("email is too long (at most 254 characters)"));
        }
        crate::text::check_visible("email", value).map_err(|m| invalid(&m))?;
        if value.chars().any(char::is_whitespace) {
            return Err(invalid("email must not contain spaces"));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(invalid("email must look like name@example.com"));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.split('.').all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid("email must look like name@example.com"));
        }
        if local.chars().any(|c| matches!(c, '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '\\' | '"')) {
            return Err(invalid("email contains characters that are not allowed"));
        }
        Ok(Email(value.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 8–1024 characters. Never logged, never echoed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        Self::parse_field(raw, "password")
    }

    pub fn parse_field(raw: &str, field: &'static str) -> Result<Self, AccountError> {
        let count = raw.chars().count();
        if count < Self::MIN {
            return Err(AccountError::invalid(
                field,
                format!("password must be at least {} characters long", Self::MIN),
            ));
        }
        if count > Self::MAX {
            return Err(AccountError::invalid(
                field,
                format!("password must be at most {} characters long", Self::MAX),
            ));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Up to 100 characters of any script, visible (`text::check_visible`); may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let value = raw.trim();
        if value.chars().count() > Self::MAX {
            return Err(AccountError::invalid(
                "display_name",
                format!("display name must be at most {} characters", Self::MAX),
            ));
        }
        crate::text::check_visible("display name", value).map_err(|m| AccountError::invalid("display_name", m))?;
        Ok(DisplayName(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(Username::parse("  alice_01.b-c ").unwrap().as_str(), "alice_01.b-c");
        for bad in [
            "",
            "ab",
            &"a".repeat(151),
            &"x".repeat(10_000),
            "al ice",
            "аlice", /* Cyrillic а */
            "bob\u{0}",
            "a'; DROP TABLE users;--",
            "<script>",
        ] {
            assert!(matches!(Username::parse(bad), Err(AccountError::Invalid { field: "username", .. })), "{bad:?}");
        }
        assert!(Username::parse(&"a".repeat(150)).is_ok());
    }

    #[test]
    fn emails() {
        assert_eq!(Email::parse("Alice@Example.COM").unwrap().as_str(), "alice@example.com");
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "a b@example.com",
            "alice@exa mple.com",
            "a@b@c.com",
            "alice@.com",
            "x\u{7}@e.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"p".repeat(1024)).is_ok());
        assert!(Password::parse(&"p".repeat(1025)).is_err());
        assert_eq!(format!("{:?}", Password::parse("secret-secret").unwrap()), "Password(…)");
    }

    #[test]
    fn display_names() {
        assert_eq!(DisplayName::parse(" Zoë 🚀 ").unwrap().as_str(), "Zoë 🚀");
        assert!(DisplayName::parse("<b>bold</b>").is_ok(), "HTML is stored as text and escaped when shown");
        assert!(DisplayName::parse("evil\u{202E}txt").is_err());
        assert!(DisplayName::parse(&"n".repeat(101)).is_err());
    }
}
