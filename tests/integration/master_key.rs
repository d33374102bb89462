//! Campaign secrets wrapped by a master key kept outside the database: a
//! database copy alone opens nothing, rows from before wrapping are wrapped
//! at start, a rotation re-wraps every row, and an erased key stays erased.

use promo_api::BuildOptions;
use promo_domain::privacy::{self, CampaignSecret, SealedPersonalData};
use promo_eventstore::secrets::{master_key::WRAPPED_LEN, MasterKey, MasterKeys, SecretStore};
use promo_tests::{master_keys, TestApp, TestEnv};
use serde_json::Value;
use uuid::Uuid;

async fn sealed_entry(pool: &sqlx::PgPool) -> (Uuid, SealedPersonalData) {
    let payload: Value = sqlx::query_scalar(
        "SELECT payload FROM events WHERE event_type = 'ParticipantRegistered' LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let inner = &payload["ParticipantRegistered"];
    (
        inner["participantId"].as_str().unwrap().parse().unwrap(),
        serde_json::from_value(inner["personalData"].clone()).unwrap(),
    )
}

async fn row(pool: &sqlx::PgPool, campaign: Uuid) -> (Vec<u8>, Option<Vec<u8>>, Option<String>) {
    sqlx::query_as(
        "SELECT draw_seed, data_secret, key_id FROM campaign_secrets WHERE campaign_id = $1",
    )
    .bind(campaign)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_database_row_holds_no_usable_key_without_the_master_key() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    let (status, body) = app
        .enter(campaign, "홍길동", "010-3141-5926", "KAKAO", false)
        .await;
    assert_eq!(status, 201, "{body}");
    let (participant, sealed) = sealed_entry(&app.pool).await;

    let (seed, data, key_id) = row(&app.pool, campaign).await;
    let data = data.expect("live");
    assert_eq!((seed.len(), data.len()), (WRAPPED_LEN, WRAPPED_LEN));
    assert_eq!(key_id.as_deref(), Some(master_keys().current.id()));
    // No 32 bytes of the row open the entry; another master key opens nothing.
    for window in data.windows(32).chain(seed.windows(32)) {
        let guess = CampaignSecret(window.try_into().unwrap());
        assert!(privacy::open(&guess.data_key(), participant, &sealed).is_err());
    }
    let stranger = MasterKey::generate().unwrap();
    assert!(stranger.unwrap(campaign, "data_secret", &data).is_err());
    // With the master key it opens.
    let secret = promo_tests::unwrapped_data_secret(&app.pool, campaign)
        .await
        .unwrap();
    let opened = privacy::open(&secret.data_key(), participant, &sealed).unwrap();
    assert_eq!(opened.name, "홍길동");
    app.stop().await;
}

#[tokio::test]
async fn rows_from_before_are_wrapped_and_a_rotation_rewraps_every_row() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let campaign = app.active_campaign("owner").await;
    app.stop().await;
    // A row as the service wrote it before wrapping: 32 plain bytes, no key id.
    let legacy = Uuid::new_v4();
    let pool = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    sqlx::query(
        "INSERT INTO campaign_secrets (campaign_id, draw_seed, data_secret) VALUES ($1, $2, $3)",
    )
    .bind(legacy)
    .bind(vec![1u8; 32])
    .bind(vec![2u8; 32])
    .execute(&pool)
    .await
    .unwrap();
    let before = promo_tests::unwrapped_data_secret(&pool, campaign)
        .await
        .unwrap();

    // Rotation: the new key current, the old one previous; start re-wraps.
    let old = master_keys().current;
    let new = MasterKey::generate().unwrap();
    let rotating = MasterKeys {
        current: new.clone(),
        previous: Some(old.clone()),
    };
    let mut config = env.config();
    config.master_keys = Some(rotating);
    let app = TestApp::spawn_with(&env, config, BuildOptions::default()).await;
    app.stop().await;
    for id in [campaign, legacy] {
        let (seed, data, key_id) = row(&pool, id).await;
        assert_eq!(key_id.as_deref(), Some(new.id()), "{id}");
        assert_eq!(seed.len(), WRAPPED_LEN);
        assert!(old
            .unwrap(id, "data_secret", data.as_ref().unwrap())
            .is_err());
    }
    let (_, data, _) = row(&pool, campaign).await;
    assert_eq!(
        new.unwrap(campaign, "data_secret", &data.unwrap()).unwrap(),
        before.0
    );
    let (seed, data, _) = row(&pool, legacy).await;
    assert_eq!(new.unwrap(legacy, "draw_seed", &seed).unwrap(), [1u8; 32]);
    assert_eq!(
        new.unwrap(legacy, "data_secret", &data.unwrap()).unwrap(),
        [2u8; 32]
    );

    // After the rotation the old key is not needed, and alone it opens nothing.
    let store = SecretStore::new(pool.clone(), MasterKeys::new(new));
    assert!(store.get(campaign).await.unwrap().unwrap().data.is_some());
    let stale = SecretStore::new(pool.clone(), MasterKeys::new(old));
    assert!(stale.get(campaign).await.is_err());
    pool.close().await;
}

#[tokio::test]
async fn an_erased_key_is_not_resurrected_by_a_later_read() {
    let env = TestEnv::new().await;
    let pool = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    promo_eventstore::store::migrate(&pool).await.unwrap();
    let store = SecretStore::new(pool.clone(), master_keys());
    let campaign = Uuid::new_v4();
    assert!(store.ensure(campaign).await.unwrap().data.is_some());
    assert!(
        store.get(campaign).await.unwrap().unwrap().data.is_some(),
        "cached"
    );
    assert!(store.shred(campaign).await.unwrap());
    assert!(store.get(campaign).await.unwrap().unwrap().data.is_none());
    assert!(store.ensure(campaign).await.unwrap().data.is_none());
    // Another process that still had it cached reads the row again after the TTL;
    // a fresh store sees it gone at once.
    let other = SecretStore::new(pool.clone(), master_keys());
    assert!(other.get(campaign).await.unwrap().unwrap().data.is_none());
    let (_, data, _) = row(&pool, campaign).await;
    assert_eq!(data, None);
    pool.close().await;
}
