use crate::{
    http::{
        ApiError,
        auth::{self, RequireUser},
    },
    state::AppState,
};
use axum::{
    Json,
    body::Body,
    extract::{
        Multipart, Path, State,
        multipart::{MultipartError, MultipartRejection},
    },
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use contract::accounts::UserResponse;
use engine::accounts::avatar::{self, AvatarError};

pub const AVATAR_MAX_BYTES: usize = avatar::AVATAR_MAX_BYTES;

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge("the avatar must be at most 5 MB".into())
    } else {
        ApiError::BadRequest(format!("cannot read the upload: {}", e.body_text()))
    }
}

/// `POST /api/profile/avatar`, multipart with one file field `avatar`.
pub async fn upload(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<UserResponse>, ApiError> {
    let mut multipart = multipart.map_err(|_| {
        ApiError::UnsupportedMediaType("send the avatar as multipart/form-data with a file field named `avatar`".into())
    })?;
    let mut bytes = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("avatar") {
            continue;
        }
        let mut data = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if data.len() + chunk.len() > AVATAR_MAX_BYTES {
                return Err(ApiError::PayloadTooLarge("the avatar must be at most 5 MB".into()));
            }
            data.extend_from_slice(&chunk);
        }
        bytes = Some(data);
        break;
    }
    let bytes =
        bytes.ok_or_else(|| ApiError::validation("avatar", "send the image in a multipart field named `avatar`"))?;
    let media_root = state.settings.media_root.clone();
    let name = tokio::task::spawn_blocking(move || avatar::store(&media_root, &bytes))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(|e| match e {
            AvatarError::Io(_) => ApiError::Internal(anyhow::anyhow!(e)),
            AvatarError::TooLarge => ApiError::PayloadTooLarge(e.to_string()),
            other => ApiError::validation("avatar", other.to_string()),
        })?;
    let previous = state.engine.accounts.set_avatar(user.id, &name).await?;
    if let Some((old, _)) = previous.as_deref().and_then(|p| avatar::stored_path(&state.settings.media_root, p)) {
        let _ = tokio::fs::remove_file(old).await;
    }
    let updated = state.engine.accounts.get(user.id).await?.ok_or(ApiError::Unauthorized)?;
    Ok(Json(UserResponse { user: auth::model_view(&updated) }))
}

/// `GET /media/avatars/{name}`: only names the server chose; the content type comes from the
/// kind recorded in the name, and browsers are told not to guess another.
pub async fn serve_avatar(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let Some((path, kind)) = avatar::stored_path(&state.settings.media_root, &name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut response = Response::new(Body::from(bytes));
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind.content_type()));
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            // Names are random and never reused, so the file at a name never changes.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
            response
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
