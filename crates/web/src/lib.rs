//! The HTTP face of motcua: the JSON API under `/api/v1` (documented at
//! `/api/openapi.json`) and the pages. Handlers are thin: parse, authorize,
//! call the store, render.

pub mod api;
pub mod auth;
pub mod documents;
pub mod error;
pub mod extract;
pub mod limits;
pub mod pages;
pub mod results;
pub mod view;

use axum::Router;
use axum::http::{HeaderValue, header};
use motcua_store::Store;
use std::net::SocketAddr;
use tower_http::set_header::SetResponseHeaderLayer;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
}

/// The whole application as one router, with the limits of the environment.
pub fn router(state: AppState) -> Router {
    router_with(state, limits::Limits::from_env())
}

/// The same, with the given limits.
pub fn router_with(state: AppState, limits: limits::Limits) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        // Cross-site form posts are refused (Sec-Fetch-Site / Origin checks).
        .layer(tower_http::csrf::CsrfLayer::new())
        .layer(axum::Extension(std::sync::Arc::new(limits)))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serve until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, limits::Limits::from_env(), shutdown).await
}

/// Serve with the given limits until `shutdown` resolves.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: limits::Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router_with(state, limits).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
