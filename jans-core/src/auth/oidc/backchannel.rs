//! OIDC Back-Channel Logout 1.0: telling every client of an ended session, from a durable
//! queue, never inside the user's request.
//!
//! Logging out queues one delivery per client of the session that registered a
//! `backchannel_logout_uri` (a record in the grant store, durable like every acknowledged
//! write: a restart does not drop it) and answers the user at once. The host runs
//! [`crate::Engine::deliver_logouts`] in the background — when woken by the engine (see
//! [`crate::EngineBuilder::on_background_work`]) and periodically — which POSTs the due
//! deliveries concurrently, each with a logout token signed at sending time, and retries
//! failures with exponential backoff. A slow or hanging client delays only its own
//! delivery (the host's HTTP client bounds each attempt in time).

use serde::{Deserialize, Serialize};

use crate::auth::AuthServer;
use crate::auth::authn::session::Session;
use crate::ctx::{Ctx, UnixTime};
use crate::error::Error;
use crate::store::{GrantData, GrantKind, GrantRecord};

/// Attempts per delivery before it is dropped (§2.8 lets the OP give up).
pub const MAX_ATTEMPTS: u32 = 8;
/// How long a delivery is kept trying, seconds.
pub const DELIVERY_WINDOW: u64 = 3600;
/// Deliveries sent at once by one pass.
const BATCH: usize = 32;
/// Longest wait between two attempts, seconds.
const MAX_BACKOFF: u64 = 300;

/// One queued delivery: to whom, about which session — or, with `notification`, a CIBA
/// ping or push (OpenID CIBA Core §10.2, §10.3) sent by the same queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The client's `backchannel_logout_uri` (or `backchannel_client_notification_endpoint`).
    pub uri: String,
    /// The `sub` the client knows the user by (pairwise or public).
    #[serde(default)]
    pub sub: String,
    /// The ended session's `sid`.
    #[serde(default)]
    pub sid: String,
    /// A JSON notification instead of a logout token: bearer and body sealed under the
    /// master key (a push carries tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<SealedNotification>,
    /// Attempts made so far.
    pub attempts: u32,
    /// Not before this instant.
    pub next_at: UnixTime,
}

impl GrantData for Delivery {
    const MEMBER: Option<&'static str> = Some("delivery");
}

/// A CIBA notification waiting in the queue, sealed (DESIGN.md §6: no token in clear at
/// rest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedNotification {
    /// The client's `client_notification_token`, sealed.
    pub bearer: String,
    /// The JSON body, sealed.
    pub body: String,
}

const NOTIFICATION_AAD: &[u8] = b"jans-ciba-notification";

/// Queue a JSON notification (a CIBA ping or push) to `uri` of `client_id`, sent like the
/// logout deliveries: in the background, retried with backoff. Durable when it returns.
pub(crate) async fn enqueue_notification(
    auth: &AuthServer,
    client_id: &str,
    uri: &str,
    bearer: &str,
    body: &serde_json::Value,
    ctx: &Ctx,
) -> Result<(), Error> {
    let seal = |v: &[u8]| {
        auth.secret_box()
            .seal(v, NOTIFICATION_AAD, ctx.rng.as_ref())
    };
    let body = serde_json::to_vec(body).map_err(|e| Error::Internal(e.to_string()))?;
    let delivery = Delivery {
        uri: uri.to_owned(),
        sub: String::new(),
        sid: String::new(),
        notification: Some(SealedNotification {
            bearer: seal(bearer.as_bytes())?,
            body: seal(&body)?,
        }),
        attempts: 0,
        next_at: ctx.now,
    };
    queue(auth, client_id, &delivery, ctx).await?;
    auth.wake_background();
    Ok(())
}

/// Put `delivery` to `client_id` in the queue, durably.
async fn queue(
    auth: &AuthServer,
    client_id: &str,
    delivery: &Delivery,
    ctx: &Ctx,
) -> Result<(), Error> {
    let mut record =
        GrantRecord::bare(ctx.now, ctx.now.saturating_add(DELIVERY_WINDOW)).with(delivery)?;
    record.client_id = client_id.to_owned();
    auth.stores()
        .grants
        .insert(
            GrantKind::LogoutDelivery,
            &ctx.random_token(16),
            &record,
            ctx.now,
        )
        .await?;
    Ok(())
}

/// What one [`crate::Engine::deliver_logouts`] pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Acknowledged with a 2xx.
    pub sent: usize,
    /// Refused with a 4xx (final, §2.8) or dropped after the last attempt.
    pub dropped: usize,
    /// Failed and queued again.
    pub retrying: usize,
    /// When the earliest delivery still queued is due, if any is.
    pub next_due: Option<UnixTime>,
}

/// Queue a delivery for every client of `session` with a `backchannel_logout_uri`;
/// returns how many. Durable when it returns.
pub(crate) async fn enqueue(
    auth: &AuthServer,
    session: &Session,
    ctx: &Ctx,
) -> Result<usize, Error> {
    let mut queued = 0;
    for client_id in &session.clients {
        let Some(client) = auth.client(client_id).await? else {
            continue;
        };
        let Some(uri) = client.metadata.backchannel_logout_uri.clone() else {
            continue;
        };
        let delivery = Delivery {
            uri,
            sub: auth.subject_for(&client, &session.user_inum),
            sid: session.sid.clone(),
            notification: None,
            attempts: 0,
            next_at: ctx.now,
        };
        queue(auth, &client.client_id, &delivery, ctx).await?;
        queued += 1;
    }
    if queued > 0 {
        auth.wake_background();
    }
    Ok(queued)
}

/// Seconds to wait after the `n`th failed attempt (from 0): 1, 2, 4, ... at most
/// [`MAX_BACKOFF`].
fn backoff(n: u32) -> u64 {
    1u64.checked_shl(n).unwrap_or(u64::MAX).min(MAX_BACKOFF)
}

/// How an attempt ended.
enum Outcome {
    Sent,
    Refused(u16),
    Failed(String),
}

impl AuthServer {
    /// Send the back-channel logout deliveries that are due (at most a batch per call,
    /// concurrently). On shared stores one node at a time delivers (a lease); `None` when
    /// another node is delivering now.
    pub async fn deliver_logouts(&self, ctx: &Ctx) -> Result<Option<DeliveryReport>, Error> {
        self.with_lease("logout-delivery", ctx, async || self.deliver_due(ctx).await)
            .await
    }

    async fn deliver_due(&self, ctx: &Ctx) -> Result<DeliveryReport, Error> {
        let grants = &self.stores().grants;
        let mut report = DeliveryReport::default();
        let mut due = Vec::new();
        // Deliveries waiting out a backoff are read too (and skipped), so the window is wide:
        // a due one behind them is still found.
        for (key, record) in grants
            .scan(GrantKind::LogoutDelivery, ctx.now, 16 * BATCH)
            .await?
        {
            let Ok(delivery) = record.read::<Delivery>() else {
                grants.remove(GrantKind::LogoutDelivery, &key).await?;
                continue;
            };
            if delivery.next_at > ctx.now || due.len() >= BATCH {
                let at = delivery.next_at.max(ctx.now);
                report.next_due = Some(report.next_due.map_or(at, |n| n.min(at)));
                continue;
            }
            due.push((key, record, delivery));
        }
        let outcomes = crate::concurrent::join_all(
            due.iter()
                .map(|(_, record, delivery)| self.attempt(&record.client_id, delivery, ctx))
                .collect(),
        )
        .await;
        for ((key, record, mut delivery), outcome) in due.into_iter().zip(outcomes) {
            grants.remove(GrantKind::LogoutDelivery, &key).await?;
            let client_id = record.client_id.clone();
            match outcome {
                Outcome::Sent => report.sent += 1,
                Outcome::Refused(status) => {
                    // §2.8: a 4xx answer is final; retrying will not help.
                    tracing::warn!(%client_id, status, "back-channel logout refused");
                    report.dropped += 1;
                }
                Outcome::Failed(why) => {
                    delivery.attempts += 1;
                    delivery.next_at = ctx
                        .now
                        .saturating_add(backoff(delivery.attempts.saturating_sub(1)));
                    if delivery.attempts >= MAX_ATTEMPTS || delivery.next_at >= record.expires_at {
                        tracing::warn!(%client_id, attempts = delivery.attempts, error = %why, "back-channel logout given up");
                        report.dropped += 1;
                        continue;
                    }
                    tracing::info!(%client_id, attempt = delivery.attempts, error = %why, "back-channel logout failed; will retry");
                    let record = record.with(&delivery)?;
                    grants
                        .insert(GrantKind::LogoutDelivery, &key, &record, ctx.now)
                        .await?;
                    report.retrying += 1;
                    report.next_due = Some(
                        report
                            .next_due
                            .map_or(delivery.next_at, |n| n.min(delivery.next_at)),
                    );
                }
            }
        }
        Ok(report)
    }

    /// One POST of a freshly signed logout token (§2.4) to the client, or of its CIBA
    /// notification.
    async fn attempt(&self, client_id: &str, delivery: &Delivery, ctx: &Ctx) -> Outcome {
        let config = self.config();
        if let Some(n) = &delivery.notification {
            let open = |v: &str| self.secret_box().open(v, NOTIFICATION_AAD);
            let (Ok(bearer), Ok(body)) = (open(&n.bearer), open(&n.body)) else {
                return Outcome::Refused(0);
            };
            let bearer = String::from_utf8_lossy(&bearer).into_owned();
            let policy = crate::outbound::AddressPolicy::of(&config);
            return outcome(
                client_id,
                self.http()
                    .post_json(&delivery.uri, &bearer, &body, &policy)
                    .await,
            );
        }
        let client = match self.client(client_id).await {
            Ok(Some(c)) => c,
            Ok(None) => return Outcome::Refused(404),
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let alg = client
            .metadata
            .id_token_signed_response_alg
            .unwrap_or(config.default_signature_algorithm);
        let ring = self.keys().ring();
        let Some(signer) = ring.signer(alg) else {
            return Outcome::Failed(format!("no signing key for {alg}"));
        };
        let claims = serde_json::json!({
            "iss": config.issuer,
            "sub": delivery.sub,
            "aud": client.client_id,
            "iat": ctx.now,
            "exp": ctx.now + 120,
            "jti": ctx.random_token(16),
            "sid": delivery.sid,
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        });
        let token = match serde_json::to_vec(&claims)
            .map_err(|e| e.to_string())
            .and_then(|p| {
                signer
                    .sign("logout+jwt", &p, ctx.rng.as_ref())
                    .map_err(|e| e.to_string())
            }) {
            Ok(t) => t,
            Err(e) => return Outcome::Failed(e),
        };
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("logout_token", &token)
            .finish();
        let policy = crate::outbound::AddressPolicy::of(&config);
        outcome(
            client_id,
            self.http().post_form(&delivery.uri, &body, &policy).await,
        )
    }
}

/// How a POST ended: a 2xx is sent, a 4xx (not 429) or a refused address final, the rest
/// retried.
fn outcome(
    client_id: &str,
    sent: Result<crate::outbound::HttpResponse, crate::outbound::HttpError>,
) -> Outcome {
    match sent {
        Ok(r) if (200..300).contains(&r.status) => Outcome::Sent,
        Ok(r) if (400..500).contains(&r.status) && r.status != 429 => Outcome::Refused(r.status),
        Ok(r) => Outcome::Failed(format!("status {}", r.status)),
        Err(crate::outbound::HttpError::Refused(why)) => {
            tracing::warn!(%client_id, %why, "back-channel URI refused");
            Outcome::Refused(0)
        }
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(
            (0..12).map(backoff).collect::<Vec<_>>(),
            [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
        );
        assert_eq!(backoff(200), MAX_BACKOFF);
    }
}
