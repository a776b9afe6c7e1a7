//! Official documents of a one-stop center as PDF: the forms of Circular
//! 01/2018/TT-VPCP (receipt and appointment, supplement request, refusal,
//! apology, dossier register, processing control sheet), the receipt on an
//! 80 mm thermal roll, and a generic result document for signing.
//!
//! Lean on purpose: `pdf-writer` writes the file, `subsetter` keeps only
//! the glyphs used, `ttf-parser` measures text; a small flow layout in
//! [`layout`] does the rest. Fonts are DejaVu Serif (embedded), which has
//! every precomposed Vietnamese letter.

pub mod declaration;
pub mod font;
pub mod forms;
pub mod layout;
pub mod online;
pub mod pdf;
pub mod receipt;
pub mod register;
pub mod result;
pub mod stamp;
mod words;

pub use font::FontStyle;
pub use forms::{DossierInfo, Form, ReceivedDocument};
pub use register::{RegisterInfo, RegisterRow};
pub use result::ResultDocument;

use motcua_domain::{Problem, ProblemKind};

/// Render an electronic result document (decision, certificate) to PDF:
/// heading, unit, number, title, body, signer block and a QR code to its
/// verification URL. The bytes are then signed as they are.
pub fn render_result(doc: &ResultDocument) -> Result<Vec<u8>, DocumentError> {
    doc.render()
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// A character the embedded fonts cannot draw.
    #[error("font {font} has no glyph for {ch:?} (U+{:04X})", *.ch as u32)]
    MissingGlyph { ch: char, font: &'static str },
    #[error("embedded font {0} cannot be read")]
    Font(&'static str),
    #[error("font subsetting failed: {0}")]
    Subset(String),
    #[error("QR code: {0}")]
    Qr(String),
    /// The form does not apply to this dossier (e.g. a refusal form for a
    /// dossier never refused).
    #[error("{message}")]
    NotApplicable { form: &'static str, message: String },
    /// The dossier's history could not be folded.
    #[error(transparent)]
    Domain(#[from] Problem),
}

impl DocumentError {
    /// The error as the one problem shape the web layer answers with.
    pub fn to_problem(&self) -> Problem {
        match self {
            DocumentError::MissingGlyph { ch, .. } => Problem::invalid(
                "unprintable_character",
                "text",
                format!(
                    "Văn bản có ký tự không in được: \"{ch}\" (U+{:04X})",
                    *ch as u32
                ),
            ),
            DocumentError::NotApplicable { form, message } => Problem::new(
                ProblemKind::Conflict,
                "form_not_applicable",
                message.clone(),
            )
            .with_field(format!("form:{form}")),
            DocumentError::Domain(p) => p.clone(),
            other => Problem::new(
                ProblemKind::Conflict,
                "document_failed",
                format!("Không tạo được văn bản: {other}"),
            ),
        }
    }
}
