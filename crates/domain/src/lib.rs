//! Pure rules of a one-stop public administration service center.
//!
//! No I/O and no async here: the catalog, the dossier lifecycle, the working
//! calendar, dossier codes and the Vietnamese text rules. The storage and web
//! crates call into this one; it never calls out.

pub mod audit;
pub mod calendar;
pub mod catalog;
pub mod creation;
pub mod decide;
pub mod declaration;
pub mod delivery;
pub mod documents;
pub mod dossier;
pub mod fees;
pub mod identity;
pub mod index;
pub mod integrations;
pub mod lifecycle;
pub mod payload;
pub mod payment;
pub mod permissions;
pub mod problem;
pub mod queue;
pub mod search;
pub mod signin;
pub mod text;
pub mod units;
pub mod versions;
pub mod webhook;

pub use problem::{Problem, ProblemKind};
