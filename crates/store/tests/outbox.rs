//! The outbox on every test database: an event of a subscribed unit writes
//! its deliveries in its own transaction (a refused action writes none),
//! claims lease entries so two workers never hold one at once, and failed
//! entries come back later or die and are retried by a person.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::lifecycle::Role;
use motcua_store::testing::{databases, open_seeded, submit_online};
use motcua_store::{ActionRequest, Actor, NewUser, Store};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const UNIT: &str = "30112";
const OTHER_UNIT: &str = "28261";

fn now() -> OffsetDateTime {
    datetime!(2026-03-02 08:00 +7)
}

async fn submit(store: &Store, unit: &str, at: OffsetDateTime) -> String {
    submit_online(store, unit, at).await.expect("submit")
}

#[tokio::test]
async fn events_of_subscribed_units_are_delivered_through_the_outbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("databases") {
        let store = open_seeded(&db).await.expect("store");
        let receptionist = NewUser {
            username: "tiepnhan".into(),
            full_name: "Lê Tiếp Nhận".into(),
            password_hash: "x".into(),
            roles: vec![Role::Receptionist],
            units: vec![UNIT.into()],
            province_code: None,
        };
        store.create_user(&receptionist, now()).await.expect("user");
        let staff = store
            .user_by_username("tiepnhan")
            .await
            .expect("read")
            .expect("user");

        // Nobody subscribed: nothing is written.
        submit(&store, UNIT, now()).await;
        assert_eq!(store.outbox_depth(None).await.expect("depth").pending, 0);

        let bad = store
            .add_webhook(UNIT, "ftp://x", "n0", "admin", now())
            .await;
        assert!(bad.is_err(), "an address that is not http(s) is refused");
        let hook = store
            .add_webhook(UNIT, "http://127.0.0.1:9/hook", "n1", "admin", now())
            .await
            .expect("subscribe");
        store
            .add_webhook(OTHER_UNIT, "http://127.0.0.1:9/other", "n2", "admin", now())
            .await
            .expect("subscribe another unit");

        let at = now() + Duration::minutes(1);
        let code = submit(&store, UNIT, at).await;
        let first = format!("webhook:{}:{code}:1", hook.id);
        let entry = store
            .outbox_entry(&first)
            .await
            .expect("read")
            .expect("the submission's delivery");
        assert_eq!((entry.state.as_str(), entry.attempts), ("pending", 0));
        assert!(
            entry
                .payload
                .contains(&format!("\"dossier_code\":\"{code}\""))
        );
        assert!(entry.payload.contains("\"action\":\"submit\""));
        assert!(
            !entry.payload.contains("Mai") && !entry.payload.contains("087188001234"),
            "no personal data: {}",
            entry.payload
        );

        // A refused action writes no delivery.
        let stale = ActionRequest {
            action: "receive".into(),
            version: 99,
            ..ActionRequest::default()
        };
        let actor = Actor::Staff(staff.clone());
        assert!(store.act(&code, &stale, &actor, at).await.is_err());
        assert_eq!(store.outbox_depth(None).await.expect("depth").pending, 1);
        let receive = ActionRequest {
            action: "receive".into(),
            version: 1,
            ..ActionRequest::default()
        };
        store
            .act(&code, &receive, &actor, at + Duration::minutes(1))
            .await
            .expect("receive");
        assert_eq!(store.outbox_depth(None).await.expect("depth").pending, 2);
        let of = |u| store.outbox_depth(Some(u));
        assert_eq!(of(UNIT).await.expect("depth").pending, 2);
        assert_eq!(of(OTHER_UNIT).await.expect("depth").pending, 0, "per unit");

        // Two workers claiming at once never hold the same entry.
        let t = at + Duration::minutes(2);
        let lease = t + Duration::seconds(60);
        let a = store.outbox_claim(t, lease, 10).await.expect("claim");
        let b = store.outbox_claim(t, lease, 10).await.expect("claim");
        assert_eq!(a.len(), 2);
        assert!(b.is_empty(), "leased entries are not handed out twice");
        // A worker that died: after its lease the entries come back.
        let again = store
            .outbox_claim(lease, lease + Duration::seconds(60), 10)
            .await
            .expect("claim after the lease");
        assert_eq!(again.len(), 2);
        store
            .outbox_delivered(again[0].id, lease)
            .await
            .expect("delivered");
        store
            .outbox_failed(again[1].id, "HTTP 500", Some(lease + Duration::seconds(30)))
            .await
            .expect("failed");
        let d = store.outbox_depth(None).await.expect("depth");
        assert_eq!((d.pending, d.dead), (1, 0));
        assert!(
            store
                .outbox_claim(
                    lease + Duration::seconds(29),
                    lease + Duration::seconds(90),
                    10
                )
                .await
                .expect("claim")
                .is_empty(),
            "not before its next attempt"
        );
        let back = store
            .outbox_claim(
                lease + Duration::seconds(30),
                lease + Duration::seconds(90),
                10,
            )
            .await
            .expect("claim");
        assert_eq!((back.len(), back[0].attempts), (1, 1));
        store
            .outbox_failed(back[0].id, "HTTP 500", None)
            .await
            .expect("dead");
        let dead = store.outbox_dead(Some(UNIT), 10).await.expect("dead");
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].last_error.as_deref(), Some("HTTP 500"));
        assert!(
            store
                .outbox_dead(Some(OTHER_UNIT), 10)
                .await
                .expect("dead")
                .is_empty()
        );
        assert!(
            !store
                .outbox_retry(dead[0].id, Some(OTHER_UNIT), lease)
                .await
                .expect("retry"),
            "another unit's admin cannot retry it"
        );
        assert!(
            store
                .outbox_retry(dead[0].id, Some(UNIT), lease)
                .await
                .expect("retry")
        );
        assert_eq!(store.outbox_depth(None).await.expect("depth").pending, 1);

        // A stopped subscription gets nothing more.
        assert!(store.stop_webhook(hook.id).await.expect("stop"));
        let later = submit(&store, UNIT, at + Duration::minutes(5)).await;
        assert!(
            store
                .outbox_entry(&format!("webhook:{}:{later}:1", hook.id))
                .await
                .expect("read")
                .is_none()
        );
    }
}
