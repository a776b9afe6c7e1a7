//! JSON API under /api/v1. The router and the OpenAPI document served at
//! /api/openapi.json come from the same declarations: each handler's
//! `#[utoipa::path]` and the request and response types it names.

mod calendar;
mod catalog;
mod dossiers;
mod forms;
mod index;
pub mod results;
mod session;
mod users;

use crate::AppState;
use crate::error::ErrorBody;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToResponse};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "motcua API",
        version = "1",
        description = "JSON API of motcua, the software of commune public-service centers (Trung tâm Phục vụ hành chính công).

Citizens find procedures, submit dossiers and follow them; staff receive, process, approve and return them; the working calendar computes statutory due dates.

Errors always have the shape `{\"error\":{\"code\",\"message\",\"field\"}}` (see the `Error` schema): `code` is a stable machine code, `message` Vietnamese text for people, `field` the input at fault or null. Bad input never gives a 500.

Staff authenticate with the session from POST /api/v1/session: the `motcua_session` cookie (browsers) or `Authorization: Bearer <token>` (API clients). Instants are RFC 3339 in Vietnam time (+07:00).",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    servers((url = "/", description = "This server.")),
    tags(
        (name = "catalog", description = "Units and procedures (đơn vị hành chính, thủ tục hành chính)."),
        (name = "session", description = "Staff sign-in (đăng nhập cán bộ)."),
        (name = "dossiers", description = "Submission, intake and processing of dossiers (hồ sơ)."),
        (name = "public", description = "What a citizen does with the code and lookup key (tra cứu)."),
        (name = "calendar", description = "Working calendar and due dates (lịch làm việc, ngày hẹn trả)."),
        (name = "meta", description = "This document."),
        (name = "documents", description = "Official documents as PDF: forms of Circular 01/2018/TT-VPCP and the dossier register (mẫu văn bản, sổ theo dõi)."),
        (name = "results", description = "Electronic results signed by the unit, and their verification (kết quả điện tử, xác minh)."),
        (name = "index", description = "Service index of Decision 766/QĐ-TTg."),
    ),
    components(responses(Unauthorized, BadJson, JsonExpected, BadQuery)),
    modifiers(&SecuritySchemes),
)]
struct ApiDoc;

/// How staff prove who they are: the bearer token or the session cookie.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The `token` from POST /api/v1/session."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "sessionCookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "Set by POST /api/v1/session (HttpOnly, SameSite=Lax, 12 hours).",
            ))),
        );
    }
}

/// An error answer shared by many operations, described once.
fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(ErrorBody::schema()))
                .build(),
        )
        .into()
}

macro_rules! shared_error {
    ($name:ident, $description:literal) => {
        pub struct $name;
        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
                (stringify!($name), error_response($description))
            }
        }
    };
}

shared_error!(
    Unauthorized,
    "Not signed in, or the session expired (chưa đăng nhập) — codes: `unauthorized`"
);
shared_error!(
    BadJson,
    "The body is not JSON (400), or not JSON of the expected shape (422, `invalid_json`); field `body` — codes: `malformed_json`, `invalid_json`, `bad_body`"
);
shared_error!(
    JsonExpected,
    "The request has no `Content-Type: application/json`; field `body` — codes: `json_expected`"
);
shared_error!(
    BadQuery,
    "A query parameter could not be read; field `query` — codes: `bad_query`"
);

/// The router and its document, from one list of handlers.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(openapi))
        .routes(routes!(catalog::provinces))
        .routes(routes!(catalog::units))
        .routes(routes!(calendar::set_hours))
        .routes(routes!(catalog::procedures))
        .routes(routes!(catalog::procedure))
        .routes(routes!(session::login, session::logout))
        .routes(routes!(session::me))
        .routes(routes!(
            users::sign_in_failures,
            users::clear_sign_in_failures
        ))
        .routes(routes!(dossiers::upload).layer(DefaultBodyLimit::disable()))
        .routes(routes!(dossiers::submit, dossiers::list))
        .routes(routes!(dossiers::create_at_counter))
        .routes(routes!(dossiers::show))
        .routes(routes!(dossiers::act))
        .routes(routes!(forms::form))
        .routes(routes!(results::post, results::get).layer(DefaultBodyLimit::disable()))
        .routes(routes!(dossiers::document))
        .routes(routes!(forms::register))
        .routes(routes!(dossiers::lookup))
        .routes(routes!(dossiers::citizen_act))
        .routes(routes!(results::lookup))
        .routes(routes!(results::verify).layer(DefaultBodyLimit::disable()))
        .routes(routes!(index::ranking))
        .routes(routes!(index::unit))
        .routes(routes!(index::score))
        .routes(routes!(catalog::declaration))
        .routes(routes!(calendar::due))
        .routes(routes!(calendar::holidays))
        .routes(routes!(calendar::lunar))
        .routes(routes!(calendar::overrides))
        .routes(routes!(calendar::put_override, calendar::delete_override))
}

pub fn routes() -> Router<AppState> {
    let (router, _) = api().split_for_parts();
    router
}

/// The OpenAPI document of the API, as the router declares it.
pub fn document() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

/// The document as served, serialized once.
static DOCUMENT_JSON: LazyLock<Result<String, String>> =
    LazyLock::new(|| document().to_json().map_err(|e| e.to_string()));

#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi",
    tag = "meta",
    summary = "This document",
    description = "The OpenAPI 3.1 description of the API (tài liệu API), generated from the server's own routes and request and response types.",
    responses(
        (status = 200, description = "This document.", body = Object),
    ),
)]
async fn openapi() -> Response {
    match DOCUMENT_JSON.as_ref() {
        Ok(json) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            json.clone(),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "the OpenAPI document does not serialize");
            crate::error::internal_error()
        }
    }
}

/// An address under `/api/` that nothing answers (the site's fallback sends it here).
pub(crate) fn not_found(uri: &axum::http::Uri) -> crate::error::ApiError {
    motcua_domain::Problem::not_found("not_found", format!("Không có đường dẫn {}", uri.path()))
        .into()
}
