//! Electronic results as the web shows them; the use cases (certificates,
//! signing, verifying) are `motcua_app::signing`.

use crate::view::Instant;
use motcua_signing::Report;
use serde::Serialize;
use utoipa::ToSchema;

/// What a verification found in a PDF.
#[derive(Serialize, ToSchema)]
pub struct Verification {
    valid: bool,
    /// Stable code of the verdict.
    verdict: &'static str,
    /// The verdict in Vietnamese.
    message: String,
    /// SHA-256 of the whole file.
    sha256: String,
    signatures: usize,
    #[schema(required)]
    signer: Option<SignerView>,
    #[schema(required)]
    signed_at: Option<Instant>,
    /// The unit whose certificate signed, when the system knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<SignerUnit>,
}

/// Who signed, as the certificate says.
#[derive(Serialize, ToSchema)]
#[schema(as = Signer)]
pub struct SignerView {
    name: String,
    username: String,
    unit_name: String,
    #[schema(required)]
    unit_code: Option<String>,
    serial: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignerUnit {
    pub code: String,
    #[schema(required)]
    pub name: Option<String>,
}

/// The verdict's words and whether the public may see this result's file.
pub fn verification(r: &Report) -> Verification {
    Verification {
        valid: r.verdict.is_valid(),
        verdict: r.verdict.code(),
        message: r.verdict.message(),
        sha256: r.sha256.clone(),
        signatures: r.signatures,
        signer: r.signer.as_ref().map(|s| SignerView {
            name: s.name.clone(),
            username: s.username.clone(),
            unit_name: s.unit_name.clone(),
            unit_code: s.unit_code.clone(),
            serial: s.serial.clone(),
        }),
        signed_at: r.signed_at.map(Instant),
        unit: None,
    }
}
