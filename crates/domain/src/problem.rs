//! One error shape for every rule the domain refuses: a machine code, a
//! Vietnamese message for people, the field at fault and a kind that the web
//! layer turns into an HTTP status.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Malformed or invalid input (422).
    Invalid,
    /// Bad syntax of the request itself (400).
    BadRequest,
    /// Not logged in or bad credentials (401).
    Unauthorized,
    /// Logged in but not allowed (403).
    Forbidden,
    /// Unknown resource (404).
    NotFound,
    /// Illegal transition or stale version (409).
    Conflict,
    /// Too large (413).
    TooLarge,
    /// Wrong media type (415).
    UnsupportedMedia,
    /// Too many attempts; try again later (429).
    RateLimited,
    /// Existed in an earlier release and moved for good (410).
    Gone,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Problem {
    pub kind: ProblemKind,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// For `RateLimited`: the real wait, in seconds.
    pub retry_after: Option<u64>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} ({}: {})", self.message, self.code, field),
            None => write!(f, "{} ({})", self.message, self.code),
        }
    }
}

impl Problem {
    pub fn new(kind: ProblemKind, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }
    pub fn invalid(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(ProblemKind::Invalid, code, message).with_field(field)
    }
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ProblemKind::NotFound, code, message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ProblemKind::Conflict, code, message)
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ProblemKind::Forbidden, code, message)
    }
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}
