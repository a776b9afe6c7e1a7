//! One way every page reads what was posted: an urlencoded or multipart
//! form, its fields (repeated names kept) and its files, with one error
//! shape for a form that cannot be read.

use super::{Lang, PageError};
use crate::AppState;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use motcua_domain::{Problem, ProblemKind};

/// A form as posted: its fields (repeated names kept) and its files.
#[derive(Default)]
pub struct Posted {
    pub fields: Vec<(String, String)>,
    /// (field name, file name, bytes), non-empty files only.
    pub files: Vec<(String, Option<String>, Vec<u8>)>,
    /// The names of the file inputs sent, empty ones included.
    pub file_fields: Vec<String>,
}

impl Posted {
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
    /// A field without the spaces around it.
    pub fn trimmed(&self, name: &str) -> &str {
        self.get(name).trim()
    }
    /// Every value of a repeated field, without the spaces around them.
    pub fn all_trimmed(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect()
    }
    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == name)
    }
    pub fn file(&self, name: &str) -> Option<&(String, Option<String>, Vec<u8>)> {
        self.files.iter().find(|(k, _, _)| k == name)
    }

    /// Every file sent under `name` (an input that takes several).
    pub fn files_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a (String, Option<String>, Vec<u8>)> + 'a {
        self.files.iter().filter(move |(k, _, _)| k == name)
    }
}

/// Read an urlencoded or multipart form.
pub async fn read_form(s: &AppState, lang: Lang, req: Request) -> Result<Posted, PageError> {
    let bad = |m: String| {
        PageError::new(
            lang,
            Problem::new(ProblemKind::BadRequest, "bad_form", m).into(),
        )
    };
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let axum::Form(fields) = axum::Form::<Vec<(String, String)>>::from_request(req, s)
            .await
            .map_err(|e| bad(format!("Biểu mẫu không hợp lệ: {e}")))?;
        return Ok(Posted {
            fields,
            ..Posted::default()
        });
    }
    // The reader's own words are technical English: say it plainly.
    let too_large = |_: String| {
        PageError::new(
            lang,
            Problem::new(
                ProblemKind::TooLarge,
                "file_too_large",
                "Tệp quá lớn (tối đa 10 MB mỗi tệp) hoặc việc gửi bị gián đoạn; hãy chọn tệp nhỏ hơn hoặc chụp lại với độ phân giải thấp hơn",
            )
            .into(),
        )
    };
    let mut mp = Multipart::from_request(req, s)
        .await
        .map_err(|e| bad(format!("Biểu mẫu không hợp lệ: {e}")))?;
    let mut out = Posted::default();
    while let Some(f) = mp
        .next_field()
        .await
        .map_err(|e| too_large(e.to_string()))?
    {
        let name = f.name().unwrap_or("").to_string();
        if f.file_name().is_some() {
            out.file_fields.push(name.clone());
            let filename = f.file_name().map(str::to_string);
            let bytes = f.bytes().await.map_err(|e| too_large(e.to_string()))?;
            if !bytes.is_empty() {
                out.files.push((name, filename, bytes.to_vec()));
            }
        } else {
            let value = f.text().await.map_err(|e| bad(e.to_string()))?;
            out.fields.push((name, value));
        }
    }
    Ok(out)
}
