//! The protocols of the online payment channels, as pure functions: what is
//! signed and how, what a callback's fields mean, how a QR code is encoded
//! (INTEGRATIONS.md, "Payment"). The adapters that send and receive them
//! live in the application layer; the simulators have their own parsers.

pub mod statement;
pub mod vietqr;
pub mod vnpay;

/// Equal byte strings, compared in time that does not depend on where they
/// differ (a signature check must not tell an attacker how close they are).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    crate::audit::constant_time_eq(a, b)
}
