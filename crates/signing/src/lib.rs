//! Electronic results signed by a unit: a small certificate authority per unit
//! (P-256 keys, X.509 certificates), private keys sealed at rest with a secret
//! kept beside the data (PKCS#8 PBES2: PBKDF2-SHA256 + AES-256-CBC), PDF
//! signatures that common readers recognise (an incremental update with a
//! `/Sig` field, `adbe.pkcs7.detached`, a CMS SignedData over the byte
//! ranges) and their offline verification.
//!
//! No I/O beyond the secret file: the caller keeps certificates and sealed keys
//! (the database) and passes what it knows to [`verify::verify_pdf`].

pub mod ca;
pub mod keys;
pub mod pdf;
pub mod sample;
pub mod sign;
pub mod stamp;
pub mod verify;

pub use ca::{CertInfo, Issued};
pub use keys::Secret;
pub use verify::{KnownCert, Report, Verdict};

/// Why signing material or a PDF could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("PDF không đọc được: {0}")]
    Pdf(String),
    #[error(
        "PDF dùng bảng tham chiếu dạng luồng (xref stream) chưa được hỗ trợ để ký; hãy xuất lại tệp ở dạng PDF 1.4 (unsupported xref stream)"
    )]
    XrefStream,
    #[error("khóa bí mật không mở được: sai khóa bảo vệ hoặc tệp khóa bị hỏng (wrong secret)")]
    WrongSecret,
    #[error("chứng thư số không đọc được: {0}")]
    Certificate(String),
    #[error("tệp khóa bảo vệ {path}: {message}")]
    SecretFile { path: String, message: String },
    #[error("không tạo được số ngẫu nhiên: {0}")]
    Random(String),
    #[error("lỗi mã hóa: {0}")]
    Crypto(String),
}

pub type Result<T, E = SignError> = std::result::Result<T, E>;

impl From<der::Error> for SignError {
    fn from(e: der::Error) -> Self {
        SignError::Certificate(e.to_string())
    }
}

pub(crate) fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| SignError::Random(e.to_string()))?;
    Ok(b)
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `bytes`, in hexadecimal.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}
