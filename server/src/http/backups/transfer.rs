//! Files in and out: downloads (streamed, never read whole into memory), "Download a fresh
//! backup", and uploads (streamed to disk under the engine's size limit).

use crate::{http::ApiError, state::AppState};
use axum::{
    Json,
    body::Body,
    extract::{Path, Request, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use contract::{backup::BackupRecord, format::human_bytes};
use engine::backup::Trigger;
use futures_util::{StreamExt, TryStreamExt};
use tokio_util::io::{ReaderStream, StreamReader};

/// Streams a backup file. The download is recorded (its count and a timeline event) only once
/// the last byte has been handed to the connection: a HEAD never sends the body, and a transfer
/// the client breaks off never gets there, so neither counts.
async fn stream_file(state: &AppState, record: &BackupRecord, path: &std::path::Path) -> Result<Response, ApiError> {
    let file = tokio::fs::File::open(path).await.map_err(|e| {
        tracing::warn!(error = %e, path = %path.display(), "cannot open a backup to send it");
        ApiError::NotFound(format!("backup {} cannot be opened", record.filename))
    })?;
    let len = file.metadata().await.map_err(anyhow::Error::from)?.len();
    let mut left = len;
    let mut when_sent = Some((state.clone(), record.id));
    // The last chunk waits for the record, so whoever has the whole file sees it counted.
    let body = ReaderStream::with_capacity(file, 256 * 1024).then(move |chunk| {
        let last = match &chunk {
            Ok(bytes) => {
                left = left.saturating_sub(bytes.len() as u64);
                if left == 0 { when_sent.take() } else { None }
            }
            Err(_) => None,
        };
        async move {
            if let Some((state, id)) = last
                && let Err(e) = state.engine.backups.record_download(id).await
            {
                tracing::warn!(backup_id = id, error = %e, "cannot record a download");
            }
            chunk
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-sqlite3"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    // The name is the server's own (validated by the engine), never one from the request.
    let disposition = format!("attachment; filename=\"{}\"", record.filename);
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(anyhow::Error::from)?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}

/// What a download of a name that is not a kept backup gets (the name is not echoed).
const NO_SUCH_FILE: &str = "There is no backup file by that name.";

/// `GET /backups/{filename}/download`: only names of the backup pattern that exist in
/// `BACKUP_DIR` with a successful record; anything else is 404 and no file is opened.
pub async fn download(State(state): State<AppState>, Path(filename): Path<String>) -> Response {
    let found = state.engine.backups.download_path(&filename).await;
    let result = match found {
        Ok((record, path)) => stream_file(&state, &record, &path).await,
        Err(_) => Err(ApiError::NotFound(NO_SUCH_FILE.into())),
    };
    result.unwrap_or_else(|e| {
        if e.status() == StatusCode::NOT_FOUND {
            (StatusCode::NOT_FOUND, format!("404: {NO_SUCH_FILE}\n")).into_response()
        } else {
            e.into_response()
        }
    })
}

/// `POST /backups/download-fresh`: makes a backup now and streams it (a form button, so it works
/// without JavaScript too).
pub async fn download_fresh(State(state): State<AppState>) -> Result<Response, ApiError> {
    let record = state.engine.backups.create(Trigger::Download).await?;
    let path = state.engine.backups.file_path(&record)?;
    stream_file(&state, &record, &path).await
}

/// `POST /api/backups/upload`: the raw file as the body (`application/octet-stream`). It is
/// written under a temporary name, validated as a restore source would be, and catalogued with
/// trigger `upload`; a file that fails leaves nothing behind.
pub async fn upload(
    State(state): State<AppState>,
    request: Request,
) -> Result<(StatusCode, Json<BackupRecord>), ApiError> {
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let limit = state.engine.backups.upload_max();
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::PayloadTooLarge(format!(
            "the file is larger than the upload limit of {limit} bytes ({})",
            human_bytes(limit)
        )));
    }
    let stream = request.into_body().into_data_stream().map_err(std::io::Error::other);
    let reader = StreamReader::new(stream);
    let record = state.engine.backups.upload(reader, declared).await?;
    Ok((StatusCode::CREATED, Json(record)))
}
