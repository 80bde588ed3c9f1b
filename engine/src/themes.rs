//! Saved themes and theme presets of each user, in the application database. Values arrive as a
//! validated [`ThemeChoice`]; each option is stored as its name.

use crate::{
    Database, DbError,
    entities::{theme_preset, user_theme},
};
use chrono::Utc;
use contract::{
    ClosedSet,
    theme::{PresetView, ThemeChoice, code},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, OnConflict},
};

/// Most presets one user may keep.
pub const MAX_PRESETS: u64 = 20;
/// Longest preset name, in characters.
pub const MAX_PRESET_NAME: usize = 60;

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("{0}")]
    InvalidName(String),
    #[error("you already have a preset named {0:?}")]
    DuplicateName(String),
    #[error("you can keep at most {MAX_PRESETS} presets; delete one first")]
    TooManyPresets,
    #[error("no such preset")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sea_orm::DbErr> for ThemeError {
    fn from(e: sea_orm::DbErr) -> Self {
        ThemeError::Db(DbError::Sql(e))
    }
}

/// The theme of a stored row. A row this binary cannot read (written by a newer version, say)
/// counts as no saved theme.
pub fn theme_of(m: &user_theme::Model) -> Option<ThemeChoice> {
    ThemeChoice::from_strings(&m.mode, &m.accent, &m.font, &m.gray, &m.radius, &m.layout).ok()
}

/// A stored preset as the API shows it, with its share code; `None` when it does not parse.
fn preset_of(m: theme_preset::Model) -> Option<PresetView> {
    let theme = ThemeChoice::from_strings(&m.mode, &m.accent, &m.font, &m.gray, &m.radius, &m.layout).ok()?;
    Some(PresetView { id: m.id, name: m.name, code: code::encode(&theme), theme })
}

/// A preset just written that does not read back: a bug, not the user's mistake.
fn unreadable(id: i64) -> ThemeError {
    ThemeError::Db(DbError::Sql(sea_orm::DbErr::Custom(format!("preset {id} does not read back as a theme"))))
}

/// The six option names, as stored.
fn names(theme: &ThemeChoice) -> [String; 6] {
    [
        theme.mode.as_str().into(),
        theme.accent.to_value(),
        theme.font.as_str().into(),
        theme.gray.as_str().into(),
        theme.radius.as_str().into(),
        theme.layout.as_str().into(),
    ]
}

/// A preset name: 1–60 characters, trimmed, visible (`text::check_visible`).
pub fn parse_preset_name(raw: &str) -> Result<String, ThemeError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ThemeError::InvalidName("the preset name is required".into()));
    }
    if name.chars().count() > MAX_PRESET_NAME {
        return Err(ThemeError::InvalidName(format!("the preset name must be at most {MAX_PRESET_NAME} characters")));
    }
    crate::text::check_visible("the preset name", name).map_err(ThemeError::InvalidName)?;
    Ok(name.to_string())
}

#[derive(Debug, Clone)]
pub struct Themes {
    db: Database,
}

impl Themes {
    pub fn new(app_db: Database) -> Self {
        Themes { db: app_db }
    }

    pub async fn get(&self, user_id: i64) -> Result<Option<ThemeChoice>, ThemeError> {
        Ok(user_theme::Entity::find_by_id(user_id).one(self.db.reader()).await?.as_ref().and_then(theme_of))
    }

    pub async fn save(&self, user_id: i64, theme: &ThemeChoice) -> Result<(), ThemeError> {
        self.upsert(user_id, theme, true).await.map(|_| ())
    }

    /// Saves only when the user has no saved theme yet (an anonymous choice imported at login).
    /// Returns whether it was saved.
    pub async fn save_if_absent(&self, user_id: i64, theme: &ThemeChoice) -> Result<bool, ThemeError> {
        self.upsert(user_id, theme, false).await
    }

    async fn upsert(&self, user_id: i64, theme: &ThemeChoice, replace: bool) -> Result<bool, ThemeError> {
        let [mode, accent, font, gray, radius, layout] = names(theme);
        let model = user_theme::ActiveModel {
            user_id: Set(user_id),
            mode: Set(mode),
            accent: Set(accent),
            font: Set(font),
            gray: Set(gray),
            radius: Set(radius),
            layout: Set(layout),
            updated_at: Set(Utc::now()),
        };
        let conflict = if replace {
            OnConflict::column(user_theme::Column::UserId)
                .update_columns([
                    user_theme::Column::Mode,
                    user_theme::Column::Accent,
                    user_theme::Column::Font,
                    user_theme::Column::Gray,
                    user_theme::Column::Radius,
                    user_theme::Column::Layout,
                    user_theme::Column::UpdatedAt,
                ])
                .to_owned()
        } else {
            OnConflict::column(user_theme::Column::UserId).do_nothing().to_owned()
        };
        let w = self.db.writer().await?;
        let rows = user_theme::Entity::insert(model).on_conflict(conflict).exec_without_returning(w.conn()).await?;
        Ok(rows > 0)
    }

    /// The user's presets, oldest first (one that no longer parses is left out).
    pub async fn presets(&self, user_id: i64) -> Result<Vec<PresetView>, ThemeError> {
        Ok(theme_preset::Entity::find()
            .filter(theme_preset::Column::UserId.eq(user_id))
            .order_by_asc(theme_preset::Column::Id)
            .all(self.db.reader())
            .await?
            .into_iter()
            .filter_map(preset_of)
            .collect())
    }

    /// One preset of this user; another user's preset is "not found" (its existence never leaks).
    pub async fn preset(&self, user_id: i64, id: i64) -> Result<PresetView, ThemeError> {
        theme_preset::Entity::find_by_id(id)
            .filter(theme_preset::Column::UserId.eq(user_id))
            .one(self.db.reader())
            .await?
            .and_then(preset_of)
            .ok_or(ThemeError::NotFound)
    }

    async fn name_taken(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        user_id: i64,
        name: &str,
        except: Option<i64>,
    ) -> Result<bool, ThemeError> {
        let mut q = theme_preset::Entity::find()
            .filter(theme_preset::Column::UserId.eq(user_id))
            .filter(Expr::cust_with_values("name = ? COLLATE NOCASE", [name]));
        if let Some(id) = except {
            q = q.filter(theme_preset::Column::Id.ne(id));
        }
        Ok(q.count(txn).await? > 0)
    }

    pub async fn create_preset(&self, user_id: i64, name: &str, theme: &ThemeChoice) -> Result<PresetView, ThemeError> {
        let name = parse_preset_name(name)?;
        let w = self.db.writer().await?;
        let txn = w.begin().await?;
        let count = theme_preset::Entity::find().filter(theme_preset::Column::UserId.eq(user_id)).count(&txn).await?;
        if count >= MAX_PRESETS {
            return Err(ThemeError::TooManyPresets);
        }
        if self.name_taken(&txn, user_id, &name, None).await? {
            return Err(ThemeError::DuplicateName(name));
        }
        let now = Utc::now();
        let [mode, accent, font, gray, radius, layout] = names(theme);
        let model = theme_preset::ActiveModel {
            user_id: Set(user_id),
            name: Set(name),
            mode: Set(mode),
            accent: Set(accent),
            font: Set(font),
            gray: Set(gray),
            radius: Set(radius),
            layout: Set(layout),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        let id = model.id;
        preset_of(model).ok_or_else(|| unreadable(id))
    }

    pub async fn rename_preset(&self, user_id: i64, id: i64, name: &str) -> Result<PresetView, ThemeError> {
        let name = parse_preset_name(name)?;
        let w = self.db.writer().await?;
        let txn = w.begin().await?;
        let existing = theme_preset::Entity::find_by_id(id)
            .filter(theme_preset::Column::UserId.eq(user_id))
            .one(&txn)
            .await?
            .ok_or(ThemeError::NotFound)?;
        if self.name_taken(&txn, user_id, &name, Some(id)).await? {
            return Err(ThemeError::DuplicateName(name));
        }
        let mut model: theme_preset::ActiveModel = existing.into();
        model.name = Set(name);
        model.updated_at = Set(Utc::now());
        let updated = model.update(&txn).await?;
        txn.commit().await?;
        preset_of(updated).ok_or_else(|| unreadable(id))
    }

    pub async fn delete_preset(&self, user_id: i64, id: i64) -> Result<(), ThemeError> {
        let w = self.db.writer().await?;
        let result = theme_preset::Entity::delete_many()
            .filter(theme_preset::Column::Id.eq(id))
            .filter(theme_preset::Column::UserId.eq(user_id))
            .exec(w.conn())
            .await?;
        if result.rows_affected == 0 {
            return Err(ThemeError::NotFound);
        }
        Ok(())
    }
}
