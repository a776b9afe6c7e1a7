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
pub mod serve;
pub mod view;

use axum::Router;
use axum::http::{HeaderValue, header};
use motcua_app::jobs::JobsView;
use motcua_app::metrics::Metrics;
use motcua_app::{Config, SharedClock};
use motcua_store::Store;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// What every handler shares: the store, the clock (handlers never read the
/// wall clock) and the configuration.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: SharedClock,
    pub config: Arc<Config>,
    /// Requests and latencies, read on the metrics listener.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// A state on the system clock with the default configuration of the
    /// store's data (tests, tools).
    pub fn new(store: Store) -> Self {
        AppState {
            store,
            clock: motcua_app::clock::system(),
            config: Arc::new(Config::for_data_dir(std::path::PathBuf::from("."))),
            metrics: Arc::default(),
        }
    }

    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// The limits of the configuration; requests in flight at shutdown get
    /// the configured grace.
    pub fn limits(&self) -> limits::Limits {
        let mut l = limits::Limits::from_settings(&self.config.limits);
        l.connections.drain = self.config.shutdown_grace;
        l
    }
}

/// The whole application as one router, with the configured limits.
pub fn router(state: AppState) -> Router {
    let limits = state.limits();
    router_with(state, limits)
}

/// The same, with the given limits.
pub fn router_with(state: AppState, limits: limits::Limits) -> Router {
    let metrics = state.metrics.clone();
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .fallback(pages::fallback)
        .layer(axum::middleware::from_fn(pages::remember_ctx))
        .layer(axum::middleware::from_fn(move |req, next| {
            count(metrics.clone(), req, next)
        }))
        // Personal data must not stay in browser or proxy caches; static
        // assets say otherwise themselves.
        .layer(axum::middleware::from_fn(no_store))
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
        // The path only: queries carry lookup keys and file names.
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &axum::http::Request<axum::body::Body>| {
                    tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
                },
            ),
        )
        .with_state(state)
}

/// Count every answered request with its time (no path: they carry codes).
async fn count(
    metrics: Arc<Metrics>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = req.method().as_str().to_string();
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    metrics.record(&method, resp.status().as_u16(), started.elapsed());
    resp
}

/// The metrics listener's application: `GET /metrics` in Prometheus text,
/// and `/healthz`. Served on its own address, never to the public.
pub fn metrics_router(state: AppState, jobs: JobsView) -> Router {
    use axum::routing::get;
    Router::new()
        .route("/healthz", get(pages::healthz))
        .route(
            "/metrics",
            get(
                move |axum::extract::State(s): axum::extract::State<AppState>| {
                    let jobs = jobs.clone();
                    async move {
                        let depth = match s.store.outbox_depth(None).await {
                            Ok(d) => d,
                            Err(e) => {
                                tracing::warn!(error = %e, "outbox depth unreadable");
                                Default::default()
                            }
                        };
                        let body = s.metrics.render(&depth, &jobs.snapshot(), s.now());
                        (
                            [(
                                header::CONTENT_TYPE,
                                "text/plain; version=0.0.4; charset=utf-8",
                            )],
                            body,
                        )
                    }
                },
            ),
        )
        .with_state(state)
}

/// Personal data must not stay in browser or proxy caches: every API answer,
/// the citizen's lookup and submission pages, and the officers' dossier
/// pages (the dossier, its receipt, forms and result) are `no-store`
/// (documents set it themselves).
async fn no_store(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = req.uri().path();
    let personal = path.starts_with("/api/")
        || path.starts_with("/tra-cuu")
        || path.starts_with("/nop/")
        || path.starts_with("/can-bo/ho-so/");
    let mut resp = next.run(req).await;
    if personal && !resp.headers().contains_key(header::CACHE_CONTROL) {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// Serve until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits();
    serve_with(listener, state, limits, shutdown).await
}

/// Serve with the given limits until `shutdown` resolves.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: limits::Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let conns = limits.connections;
    serve::run(listener, router_with(state, limits), conns, shutdown).await
}
