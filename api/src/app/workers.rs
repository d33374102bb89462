//! The background side of a worker instance: the relay, the projectors and
//! the jobs that call use cases, started together and stopped by one token.

use super::*;

/// The background side of a worker instance: the relay, the projectors,
/// and the jobs that call use cases.
pub(super) struct Workers {
    pub(super) app: Arc<App>,
    pub(super) jetstream: async_nats::jetstream::Context,
    pub(super) names: EventStreamNames,
    pub(super) relay_wakeup: Arc<Notify>,
    pub(super) cancel: CancellationToken,
}

impl Workers {
    pub(super) fn spawn(
        self,
        config: &Config,
        sender: Arc<dyn NotificationSender>,
    ) -> anyhow::Result<Vec<JoinHandle<()>>> {
        let app = &self.app;
        let mut tasks = vec![tokio::spawn(
            Relay {
                pool: app.pool.clone(),
                jetstream: self.jetstream.clone(),
                names: self.names.clone(),
                wakeup: self.relay_wakeup.clone(),
                metrics: app.metrics.clone(),
            }
            .run(self.cancel.child_token()),
        )];
        tasks.push(tokio::spawn(
            DistributionConsumer {
                app: app.clone(),
                jetstream: self.jetstream.clone(),
                names: self.names.clone(),
            }
            .run(self.cancel.child_token()),
        ));
        for projection in read_models(&app.secrets, sender) {
            tasks.push(tokio::spawn(
                Projector {
                    pool: app.pool.clone(),
                    jetstream: self.jetstream.clone(),
                    names: self.names.clone(),
                    projection,
                    metrics: app.metrics.clone(),
                }
                .run(self.cancel.child_token()),
            ));
        }
        if let Some(settings) = config.channel_stats.clone() {
            let collector = Collector::new(app.clone(), settings)?;
            tasks.push(tokio::spawn(collector.run(self.cancel.child_token())));
        }
        tasks.push(tokio::spawn(retention::run(
            app.clone(),
            config.pii_retention,
            config.pii_retention_sweep,
            self.cancel.child_token(),
        )));
        tasks.push(tokio::spawn(claim_deadline::run(
            app.clone(),
            config.prize_delivery.claim_deadline_sweep,
            self.cancel.child_token(),
        )));
        if let Some(settings) = config.prize_delivery.notify.clone() {
            let delivery = Delivery::new(app.clone(), settings)?;
            tasks.push(tokio::spawn(delivery.run(self.cancel.child_token())));
        }
        Ok(tasks)
    }
}
