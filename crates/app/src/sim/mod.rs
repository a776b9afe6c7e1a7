//! Simulators of the outside systems, for tests and the demo. Each speaks
//! the published protocol with its own parsing code (never the adapter's
//! types) and has switches to misbehave. They are named as simulators
//! wherever they appear; the adapters are the product.

pub mod bank;
pub mod vnpay;
pub mod webhook_receiver;
