use super::{AccountError, DisplayName, Email, Password, Username, password};
use crate::{
    Database,
    entities::{user, user_theme},
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, sea_query::Expr,
};
use sha2::{Digest, Sha256};

/// What it takes to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub email: Email,
    pub password: Password,
    pub display_name: DisplayName,
    pub is_staff: bool,
}

/// A profile change: each field present is replaced.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<DisplayName>,
    pub email: Option<Email>,
}

/// A value derived from the password hash that a session stores beside the user id. When the
/// password changes (or a restore puts another user under that id) it no longer matches and the
/// session stops working, as in Django and axum-login.
pub fn session_auth_hash(password_hash: &str) -> String {
    let digest = Sha256::digest(format!("smallstack-session-v1:{password_hash}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The users of the application database.
#[derive(Debug, Clone)]
pub struct Accounts {
    db: Database,
}

impl Accounts {
    pub fn new(db: Database) -> Self {
        Accounts { db }
    }

    pub async fn create(&self, new: NewUser) -> Result<user::Model, AccountError> {
        self.ensure_free(Some(&new.username), Some(&new.email), None).await?;
        let hash = password::hash_password(&new.password).await?;
        let w = self.db.writer().await?;
        let model = user::ActiveModel {
            username: Set(new.username.as_str().to_string()),
            email: Set(new.email.as_str().to_string()),
            password_hash: Set(hash),
            display_name: Set(new.display_name.as_str().to_string()),
            avatar: Set(None),
            is_staff: Set(new.is_staff),
            is_active: Set(true),
            created_at: Set(Utc::now()),
            last_login_at: Set(None),
            ..Default::default()
        }
        .insert(w.conn())
        .await
        .map_err(unique_violation)?;
        Ok(model)
    }

    /// Checks that a username and email are not taken by another user (letter case ignored).
    async fn ensure_free(
        &self,
        username: Option<&Username>,
        email: Option<&Email>,
        except: Option<i64>,
    ) -> Result<(), AccountError> {
        if let Some(username) = username {
            let mut q =
                user::Entity::find().filter(Expr::cust_with_values("username = ? COLLATE NOCASE", [username.as_str()]));
            if let Some(id) = except {
                q = q.filter(user::Column::Id.ne(id));
            }
            if q.count(self.db.reader()).await? > 0 {
                return Err(AccountError::Duplicate { field: "username" });
            }
        }
        if let Some(email) = email {
            let mut q =
                user::Entity::find().filter(Expr::cust_with_values("email = ? COLLATE NOCASE", [email.as_str()]));
            if let Some(id) = except {
                q = q.filter(user::Column::Id.ne(id));
            }
            if q.count(self.db.reader()).await? > 0 {
                return Err(AccountError::Duplicate { field: "email" });
            }
        }
        Ok(())
    }

    pub async fn get(&self, id: i64) -> Result<Option<user::Model>, AccountError> {
        Ok(user::Entity::find_by_id(id).one(self.db.reader()).await?)
    }

    /// A user and their saved theme in one query (every page a signed-in user loads needs both).
    pub async fn get_with_theme(
        &self,
        id: i64,
    ) -> Result<Option<(user::Model, Option<user_theme::Model>)>, AccountError> {
        Ok(user::Entity::find_by_id(id).find_also_related(user_theme::Entity).one(self.db.reader()).await?)
    }

    pub async fn find_by_username(&self, username: &str) -> Result<Option<user::Model>, AccountError> {
        Ok(user::Entity::find()
            .filter(Expr::cust_with_values("username = ? COLLATE NOCASE", [username.trim()]))
            .one(self.db.reader())
            .await?)
    }

    /// Finds a user by username, or by email when the login contains `@`.
    pub async fn find_by_login(&self, login: &str) -> Result<Option<user::Model>, AccountError> {
        let login = login.trim();
        if login.contains('@') {
            Ok(user::Entity::find()
                .filter(Expr::cust_with_values("email = ? COLLATE NOCASE", [login]))
                .one(self.db.reader())
                .await?)
        } else {
            self.find_by_username(login).await
        }
    }

    pub async fn record_login(&self, id: i64) -> Result<(), AccountError> {
        let w = self.db.writer().await?;
        user::Entity::update_many()
            .col_expr(user::Column::LastLoginAt, Expr::value(Utc::now()))
            .filter(user::Column::Id.eq(id))
            .exec(w.conn())
            .await?;
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<user::Model>, AccountError> {
        Ok(user::Entity::find().order_by_asc(user::Column::Username).all(self.db.reader()).await?)
    }

    pub async fn active_staff_count(&self) -> Result<u64, AccountError> {
        Ok(user::Entity::find()
            .filter(user::Column::IsStaff.eq(true))
            .filter(user::Column::IsActive.eq(true))
            .count(self.db.reader())
            .await?)
    }

    pub async fn update_profile(&self, id: i64, update: ProfileUpdate) -> Result<user::Model, AccountError> {
        let current = self.get(id).await?.ok_or(AccountError::NotFound)?;
        self.ensure_free(None, update.email.as_ref(), Some(id)).await?;
        let w = self.db.writer().await?;
        let mut model: user::ActiveModel = current.into();
        if let Some(name) = update.display_name {
            model.display_name = Set(name.as_str().to_string());
        }
        if let Some(email) = update.email {
            model.email = Set(email.as_str().to_string());
        }
        model.update(w.conn()).await.map_err(unique_violation)
    }

    pub async fn set_password(&self, id: i64, new: &Password) -> Result<user::Model, AccountError> {
        let user = self.get(id).await?.ok_or(AccountError::NotFound)?;
        let hash = password::hash_password(new).await?;
        let w = self.db.writer().await?;
        let mut model: user::ActiveModel = user.into();
        model.password_hash = Set(hash);
        Ok(model.update(w.conn()).await?)
    }

    pub async fn set_staff(&self, id: i64, is_staff: bool) -> Result<user::Model, AccountError> {
        let user = self.get(id).await?.ok_or(AccountError::NotFound)?;
        let w = self.db.writer().await?;
        let mut model: user::ActiveModel = user.into();
        model.is_staff = Set(is_staff);
        Ok(model.update(w.conn()).await?)
    }

    pub async fn set_active(&self, id: i64, is_active: bool) -> Result<user::Model, AccountError> {
        let user = self.get(id).await?.ok_or(AccountError::NotFound)?;
        let w = self.db.writer().await?;
        let mut model: user::ActiveModel = user.into();
        model.is_active = Set(is_active);
        Ok(model.update(w.conn()).await?)
    }

    /// Records a new avatar file name and returns the previous one (for the caller to delete).
    pub async fn set_avatar(&self, id: i64, file_name: &str) -> Result<Option<String>, AccountError> {
        let user = self.get(id).await?.ok_or(AccountError::NotFound)?;
        let previous = user.avatar.clone();
        let w = self.db.writer().await?;
        let mut model: user::ActiveModel = user.into();
        model.avatar = Set(Some(file_name.to_string()));
        model.update(w.conn()).await?;
        Ok(previous)
    }
}

/// A UNIQUE constraint failure that slipped past the check (two sign-ups racing) names its field.
fn unique_violation(e: sea_orm::DbErr) -> AccountError {
    let text = e.to_string();
    if text.contains("UNIQUE constraint failed: users.username") {
        AccountError::Duplicate { field: "username" }
    } else if text.contains("UNIQUE constraint failed: users.email") {
        AccountError::Duplicate { field: "email" }
    } else {
        e.into()
    }
}
