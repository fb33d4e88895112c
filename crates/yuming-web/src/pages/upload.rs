//! File uploads from forms (`multipart/form-data`): identity document images of contacts and
//! filing materials. The CSRF token travels as the form's first field, so it is read and
//! checked before the file; the file is handed to the same use case as the API's upload,
//! which runs every image check.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::response::Response;
use yuming_app::AppError;
use yuming_app::filing::materials;

use super::check_form;
use crate::WebState;
use crate::session::Visitor;

/// Largest upload request: the largest accepted file plus room for the form's other fields
/// and the multipart framing. A larger file is reported as too large, in words.
pub const UPLOAD_BODY_LIMIT: usize = materials::MAX_BYTES + 64 * 1024;
/// Largest text field of an upload form (a ticket message of 10 000 Chinese characters).
const MAX_TEXT_FIELD: usize = 48 * 1024;

/// A file as sent.
pub struct UploadedFile {
    /// The name the browser sent it under.
    pub name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// What went wrong reading the file, before any image check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadProblem {
    /// No file was chosen.
    Missing,
    /// The request was larger than [`UPLOAD_BODY_LIMIT`].
    TooLarge,
    /// The body was not readable multipart.
    Malformed,
}

impl UploadProblem {
    /// The error to show next to the file field, with the same codes as the API's upload.
    pub fn error(self) -> AppError {
        match self {
            UploadProblem::Missing => AppError::bad_request(
                "FILE_REQUIRED",
                "choose a file to upload",
                "请选择要上传的文件",
            ),
            UploadProblem::TooLarge => AppError::bad_request(
                "MATERIAL_TOO_LARGE",
                "the file is larger than 5 MB",
                "文件超过 5 MB",
            ),
            UploadProblem::Malformed => AppError::bad_request(
                "INVALID_UPLOAD",
                "the upload could not be read; choose the file again",
                "上传内容无法读取，请重新选择文件",
            ),
        }
        .with_field("file")
    }
}

/// A checked upload form from a signed-in visitor: the text fields, and the file or why
/// there is none.
pub struct UploadForm {
    /// Who sent it.
    pub visitor: Visitor,
    /// The signed-in actor.
    pub actor: yuming_core::access::Actor,
    /// The text fields.
    pub fields: HashMap<String, String>,
    /// The first non-empty file.
    pub file: Result<UploadedFile, UploadProblem>,
}

impl FromRequest<WebState> for UploadForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &WebState) -> Result<Self, Response> {
        use axum::extract::FromRequestParts as _;
        let (mut parts, body) = req.into_parts();
        let visitor = Visitor::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let mut fields = HashMap::new();
        let mut file = Err(UploadProblem::Missing);
        match Multipart::from_request(Request::from_parts(parts, body), state).await {
            Ok(mut multipart) => loop {
                match multipart.next_field().await {
                    Ok(Some(field)) => {
                        let name = field.name().unwrap_or_default().to_owned();
                        let file_name = field.file_name().map(str::to_owned);
                        match field.bytes().await {
                            Ok(bytes) if file_name.is_some() => {
                                if !bytes.is_empty() && file.is_err() {
                                    file = Ok(UploadedFile {
                                        name: file_name.unwrap_or_default(),
                                        bytes: bytes.to_vec(),
                                    });
                                }
                            }
                            Ok(bytes) if bytes.len() <= MAX_TEXT_FIELD => {
                                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
                            }
                            Ok(_) => {
                                file = Err(UploadProblem::Malformed);
                                break;
                            }
                            Err(e) => {
                                file = Err(problem_of(e.status()));
                                break;
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        file = Err(problem_of(e.status()));
                        break;
                    }
                }
            },
            Err(_) => file = Err(UploadProblem::Malformed),
        }
        check_form(&visitor, state, &headers, &fields)?;
        let actor = visitor.require_actor()?.clone();
        Ok(UploadForm {
            visitor,
            actor,
            fields,
            file,
        })
    }
}

fn problem_of(status: axum::http::StatusCode) -> UploadProblem {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        UploadProblem::TooLarge
    } else {
        UploadProblem::Malformed
    }
}
