//! JSON API under /api/v1.

mod calendar;
mod catalog;
mod dossiers;
mod forms;
mod index;
pub mod results;
mod session;
mod users;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post, put};

pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/provinces", get(catalog::provinces))
        .route("/api/v1/units", get(catalog::units))
        .route("/api/v1/units/{code}/hours", put(calendar::set_hours))
        .route("/api/v1/procedures", get(catalog::procedures))
        .route("/api/v1/procedures/{code}", get(catalog::procedure))
        .route(
            "/api/v1/session",
            post(session::login).delete(session::logout),
        )
        .route("/api/v1/me", get(session::me))
        .route(
            "/api/v1/users/{username}/sign-in-failures",
            get(users::sign_in_failures).delete(users::clear_sign_in_failures),
        )
        .route(
            "/api/v1/uploads",
            post(dossiers::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/api/v1/dossiers",
            post(dossiers::submit).get(dossiers::list),
        )
        .route(
            "/api/v1/counter/dossiers",
            post(dossiers::create_at_counter),
        )
        .route("/api/v1/dossiers/{code}", get(dossiers::show))
        .route("/api/v1/dossiers/{code}/actions", post(dossiers::act))
        .route("/api/v1/dossiers/{code}/forms/{form}", get(forms::form))
        .route(
            "/api/v1/dossiers/{code}/result",
            post(results::post)
                .get(results::get)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/v1/documents/{id}", get(dossiers::document))
        .route("/api/v1/register", get(forms::register))
        .route("/api/v1/lookup/{code}", get(dossiers::lookup))
        .route("/api/v1/lookup/{code}/actions", post(dossiers::citizen_act))
        .route("/api/v1/lookup/{code}/result", get(results::lookup))
        .route(
            "/api/v1/verify",
            post(results::verify).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/v1/index", get(index::ranking))
        .route("/api/v1/index/units/{code}", get(index::unit))
        .route("/api/v1/calendar/due", get(calendar::due))
        .route("/api/v1/calendar/holidays", get(calendar::holidays))
        .route("/api/v1/calendar/lunar", get(calendar::lunar))
        .route("/api/v1/calendar/overrides", get(calendar::overrides))
        .route(
            "/api/v1/calendar/overrides/{date}",
            put(calendar::put_override).delete(calendar::delete_override),
        )
        .fallback(not_found)
}

async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON,
    )
}

async fn not_found(uri: axum::http::Uri) -> crate::error::ApiError {
    motcua_domain::Problem::not_found("not_found", format!("Không có đường dẫn {}", uri.path()))
        .into()
}
