//! A database of the test's own beside `DATABASE_URL`, created empty and
//! dropped afterwards, even after a failure.

use sqlx::PgPool;
use uuid::Uuid;

/// A database of its own beside `DATABASE_URL`, dropped afterwards (even
/// after a failure).
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl ScratchDatabase {
    pub async fn create(admin_url: &str) -> Self {
        let name = format!("promo_scale_{}", Uuid::new_v4().simple());
        let admin = PgPool::connect(admin_url).await.expect("admin connection");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create the scratch database");
        admin.close().await;
        let url = promo_eventstore::store::url_for_database(admin_url, &name);
        Self {
            admin_url: admin_url.to_string(),
            name,
            url,
        }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop cannot await: a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                if let Ok(admin) = PgPool::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&admin)
                        .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}
