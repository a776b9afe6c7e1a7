//! The application layer of motcua: the use cases the fronts (pages, API,
//! command line) share, between them and the store. It holds the one
//! [`Config`](config::Config), the injected [`Clock`](clock::Clock), the
//! background jobs with their shutdown signal, signing, the official forms
//! and passwords. It reads no environment variable and no wall clock of
//! its own: the binary gives it both.

pub mod clock;
pub mod config;
pub mod credentials;
pub mod forms;
pub mod integrations;
pub mod jobs;
pub mod metrics;
pub mod outbox;
pub mod seal;
pub mod signing;
pub mod sim;
pub mod vietqr;
pub mod vnpay;
pub mod webhooks;

pub use clock::{Clock, SharedClock};
pub use config::Config;
