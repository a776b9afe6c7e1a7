//! The outbox worker against the webhook receiver simulator, on every test
//! database: signed deliveries, retries with back-off on 5xx, death after
//! the last attempt, stopped subscriptions, and a receiver holding another
//! secret seeing the signature fail.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_app::clock::ManualClock;
use motcua_app::outbox::{HttpWebhook, OutboxWorker, Pass};
use motcua_app::sim::webhook_receiver::{Behaviour, WebhookReceiverSimulator};
use motcua_domain::webhook::MAX_ATTEMPTS;
use motcua_store::Store;
use motcua_store::testing::{databases, open_seeded, submit_online};
use std::sync::Arc;
use std::time::Duration;
use time::macros::datetime;

const UNIT: &str = "30112";

async fn submit(store: &Store, clock: &ManualClock) -> String {
    use motcua_app::Clock;
    submit_online(store, UNIT, clock.now())
        .await
        .expect("submit")
}

#[tokio::test]
async fn deliveries_are_signed_retried_and_given_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("databases") {
        let store = open_seeded(&db).await.expect("store");
        let clock = Arc::new(ManualClock::new(datetime!(2026-03-02 08:00 +7)));
        let sim = WebhookReceiverSimulator::start("127.0.0.1:0")
            .await
            .expect("simulator");
        let (hook, secret) = motcua_app::webhooks::subscribe(
            &store,
            UNIT,
            &sim.url(),
            "admin",
            datetime!(2026-03-02 08:00 +7),
        )
        .await
        .expect("subscribe");
        assert!(secret.starts_with("whsec_"));
        sim.set_secret(&secret);
        let worker = OutboxWorker {
            store: store.clone(),
            clock: clock.clone(),
            webhooks: Arc::new(HttpWebhook::new(Duration::from_secs(5)).expect("client")),
            lease: Duration::from_secs(60),
            batch: 20,
        };

        // Delivered, signed, with its delivery id.
        let code = submit(&store, &clock).await;
        let pass = worker.run_once().await.expect("pass");
        assert_eq!(
            pass,
            Pass {
                delivered: 1,
                failed: 0,
                dead: 0
            }
        );
        let got = sim.received();
        assert_eq!(got.len(), 1);
        assert!(got[0].signature_ok, "the simulator verifies the signature");
        let key = format!("webhook:{}:{code}:1", hook.id);
        assert_eq!(got[0].delivery_id.as_deref(), Some(key.as_str()));
        assert!(got[0].body.contains("\"action\":\"submit\""));
        let entry = store
            .outbox_entry(&key)
            .await
            .expect("read")
            .expect("entry");
        assert_eq!((entry.state.as_str(), entry.attempts), ("done", 1));

        // A 503: tried again after the back-off, not before.
        sim.then(Behaviour::Status(503));
        let code = submit(&store, &clock).await;
        let key = format!("webhook:{}:{code}:1", hook.id);
        assert_eq!(worker.run_once().await.expect("pass").failed, 1);
        let entry = store
            .outbox_entry(&key)
            .await
            .expect("read")
            .expect("entry");
        assert_eq!(entry.last_error.as_deref(), Some("HTTP 503"));
        assert_eq!(worker.run_once().await.expect("pass"), Pass::default());
        clock.advance(time::Duration::seconds(40));
        assert_eq!(worker.run_once().await.expect("pass").delivered, 1);

        // Failing every time: dead after the last attempt, listed for a person.
        for _ in 0..MAX_ATTEMPTS {
            sim.then(Behaviour::Status(500));
        }
        let code = submit(&store, &clock).await;
        let key = format!("webhook:{}:{code}:1", hook.id);
        let mut dead = 0;
        for _ in 0..MAX_ATTEMPTS {
            dead += worker.run_once().await.expect("pass").dead;
            clock.advance(time::Duration::hours(8));
        }
        assert_eq!(dead, 1);
        let entry = store
            .outbox_entry(&key)
            .await
            .expect("read")
            .expect("entry");
        assert_eq!(
            (entry.state.as_str(), entry.attempts),
            ("dead", i64::from(MAX_ATTEMPTS))
        );
        assert_eq!(
            store.outbox_dead(Some(UNIT), 10).await.expect("dead").len(),
            1
        );

        // A receiver holding another secret sees the signature fail.
        sim.set_secret("whsec_not-the-right-one");
        submit(&store, &clock).await;
        worker.run_once().await.expect("pass");
        let last = sim.received().pop().expect("delivery");
        assert!(!last.signature_ok);

        // A stopped subscription: what was written for it dies at once.
        submit(&store, &clock).await;
        store.stop_webhook(hook.id).await.expect("stop");
        let before = sim.received().len();
        assert_eq!(worker.run_once().await.expect("pass").dead, 1);
        assert_eq!(
            sim.received().len(),
            before,
            "nothing sent to a stopped subscription"
        );
    }
}
