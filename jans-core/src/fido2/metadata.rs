//! The FIDO2 server's metadata (MDS3, [`super::mds`]): loaded from what the host read out
//! of the configured folders, fetched from `metadataServers` through the outbound client
//! at each BLOB's `nextUpdate` (from the engine's tick, never a user's request), reported by
//! Janssen's trust diagnostics endpoints (`/trust/mds/health`, `/trust/attestation/config`).

use std::sync::{Arc, PoisonError, RwLockReadGuard, RwLockWriteGuard};

use serde_json::{Value, json};

use super::Fido2Server;
use super::attestation::Verified;
use super::mds::blob::{self, Anchors, Blob};
use super::mds::crl::{Crl, MAX_CRL_LEN};
use super::mds::trust;
use super::mds::{self, MdsError, Metadata, Sources, State, expired, format_date};
use crate::config::fido2::AttestationMode;
use crate::ctx::{Ctx, UnixTime};
use crate::error::webauthn::{Fido2Error, Fido2ErrorCode};
use crate::outbound::AddressPolicy;

/// Most CRL distribution points fetched for one certificate.
const MAX_CRL_POINTS: usize = 2;

/// What a registration records of its attestation's trust.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// `attestationTrusted`.
    pub trusted: bool,
    /// `attestationProblem`: the `JFS_*` code and why.
    pub problem: Option<String>,
    /// `authenticatorName`: the model's name in the metadata.
    pub authenticator_name: Option<String>,
}

/// The source name of the BLOB loaded from `mdsTocsFolder`.
const FOLDER: &str = "folder";

impl Fido2Server {
    fn mds_read(&self) -> RwLockReadGuard<'_, State> {
        self.metadata.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn mds_write(&self) -> RwLockWriteGuard<'_, State> {
        self.metadata
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The metadata in force.
    pub fn metadata(&self) -> Arc<Metadata> {
        self.mds_read().current.clone()
    }

    /// Load what the host read from the folders (replacing what an earlier load gave; BLOBs
    /// fetched by URL stay). Returns the problems found, one line per refused file: a file
    /// that fails is skipped, never fatal.
    pub fn load_metadata(&self, sources: &Sources, ctx: &Ctx) -> Vec<String> {
        let config = self.config();
        let disabled = config.fido2_configuration.disable_metadata_service;
        let provider = self.provider();
        let (roots, crls, mut problems) = mds::mds_anchors(&sources.mds_certs);
        let (statements, p) = if disabled {
            (Vec::new(), Vec::new())
        } else {
            mds::statements(&sources.statements)
        };
        problems.extend(p);
        let (authenticator_roots, p) = mds::certificates(&sources.authenticator_certs);
        problems.extend(p);
        let (newest, p) = if disabled {
            (None, Vec::new())
        } else {
            let anchors = Anchors {
                roots: &roots,
                crls: &crls,
                require_crls: false,
            };
            mds::newest_blob(&sources.blobs, anchors, ctx.now, provider.as_ref())
        };
        problems.extend(p);
        let mut st = self.mds_write();
        st.local = mds::Local {
            roots,
            crls,
            statements,
            authenticator_roots,
        };
        st.blobs.remove(FOLDER);
        if let Some(b) = newest {
            st.blobs.insert(FOLDER.to_owned(), b);
        }
        st.rebuild();
        problems
    }

    /// Fetch the BLOBs of `metadataServers` when due: at the start, at the `nextUpdate` of
    /// the BLOBs in force, and `metadataRefreshInterval` after a failure. Each BLOB's chain
    /// must lead to a root of `mdsCertsFolder` (or the FIDO Alliance's) and every chain
    /// certificate that names a CRL distribution point needs its current CRL (fetched too);
    /// a BLOB that is not newer than the one in force is ignored (MDS3 §3.1.8 step 6).
    /// Whether anything was fetched.
    pub async fn refresh_metadata(&self, ctx: &Ctx) -> bool {
        let config = self.config();
        let f = &config.fido2_configuration;
        if f.disable_metadata_service || f.metadata_servers.is_empty() {
            return false;
        }
        let (roots, mut crls) = {
            let st = self.mds_read();
            if st.next_fetch > ctx.now {
                return false;
            }
            (st.local.roots.clone(), st.local.crls.clone())
        };
        let roots = if roots.is_empty() {
            mds::builtin(mds::FIDO_MDS_ROOT_PEM)
        } else {
            roots
        };
        let policy = AddressPolicy::of(&config);
        let mut fetched = Vec::new();
        let mut first_error = None;
        for server in &f.metadata_servers {
            match self
                .fetch_blob(&server.url, &roots, &mut crls, &policy, ctx.now)
                .await
            {
                Ok(b) => fetched.push((server.url.clone(), b)),
                Err(e) => {
                    tracing::warn!(url = %server.url, error = %e, "FIDO metadata was not refreshed");
                    first_error.get_or_insert(format!("{}: {e}", server.url));
                }
            }
        }
        let mut st = self.mds_write();
        for (url, b) in fetched {
            if let Some(old) = st.blobs.get(&url)
                && b.no <= old.no
            {
                if b.no < old.no {
                    first_error.get_or_insert(format!("{url}: {}", MdsError::NotNewer(b.no)));
                }
                continue;
            }
            st.blobs.insert(url, b);
        }
        let retry = ctx.now.saturating_add(f.metadata_refresh_interval);
        st.next_fetch = match &first_error {
            Some(_) => retry,
            None => {
                st.last_success = Some(ctx.now);
                f.metadata_servers
                    .iter()
                    .filter_map(|s| st.blobs.get(&s.url))
                    .map(|b| b.next_update)
                    .min()
                    .filter(|n| *n > ctx.now)
                    .unwrap_or(retry)
            }
        };
        st.last_error = first_error;
        st.rebuild();
        true
    }

    /// One BLOB from `url`, with the CRLs its chain names.
    async fn fetch_blob(
        &self,
        url: &str,
        roots: &[crate::x509::Certificate],
        crls: &mut Vec<Crl>,
        policy: &AddressPolicy,
        now: UnixTime,
    ) -> Result<Blob, MdsError> {
        let get = async |url: &str, limit: usize| -> Result<Vec<u8>, MdsError> {
            let resp = self
                .http()
                .get_large(url, policy, limit)
                .await
                .map_err(|e| MdsError::Fetch(e.to_string()))?;
            if resp.status != 200 {
                return Err(MdsError::Fetch(format!("{url} answered {}", resp.status)));
            }
            Ok(resp.body)
        };
        let body = get(url, blob::MAX_BLOB_BYTES).await?;
        for cert in blob::signing_chain(&body)? {
            for point in cert
                .crl_distribution_points()
                .into_iter()
                .take(MAX_CRL_POINTS)
            {
                // A CRL that cannot be had leaves the chain without one: refused below.
                match get(&point, MAX_CRL_LEN).await.and_then(|b| Crl::parse(&b)) {
                    Ok(c) => crls.push(c),
                    Err(e) => tracing::warn!(url = %point, error = %e, "CRL not fetched"),
                }
            }
        }
        let anchors = Anchors {
            roots,
            crls,
            require_crls: true,
        };
        let b = blob::verify(&body, anchors, now, self.provider().as_ref())?;
        if expired(b.next_update, now) {
            return Err(MdsError::Expired);
        }
        Ok(b)
    }

    /// §7.1 steps 22–24 for a registration, per `attestationMode`: what the registration
    /// records (nothing judged when disabled), or the refusal in `enforced` mode.
    pub(crate) fn attestation_verdict(
        &self,
        fmt: &str,
        verified: &Verified,
        aaguid: &str,
        now: UnixTime,
    ) -> Result<Verdict, crate::error::Error> {
        let mode = self.config().fido2_configuration.attestation_mode;
        if mode == AttestationMode::Disabled {
            return Ok(Verdict::default());
        }
        let j = trust::judge(
            &self.metadata(),
            trust::Subject {
                fmt,
                verified,
                aaguid,
            },
            now,
            self.provider().as_ref(),
        );
        let problem = j.problem.map(|(code, why)| format!("{code}: {why}"));
        if mode == AttestationMode::Enforced
            && let Some(p) = problem
        {
            return Err(Fido2Error::new(Fido2ErrorCode::AttestationNotTrusted, p).into());
        }
        Ok(Verdict {
            trusted: j.trusted,
            problem,
            authenticator_name: j.description,
        })
    }

    /// Janssen's `GET /trust/mds/health`: the status (`UP`, `DOWN` — answered with 503 —
    /// or `DISABLED`) and the metadata in force.
    pub fn metadata_health(&self, now: UnixTime) -> (u16, Value) {
        let config = self.config();
        let f = &config.fido2_configuration;
        let st = self.mds_read();
        let md = &st.current;
        let next_update = md.next_update();
        let blob_expired = next_update.is_none_or(|n| now >= n);
        let status = if f.disable_metadata_service {
            "DISABLED"
        } else if md.is_empty() || next_update.is_some_and(|n| expired(n, now)) {
            "DOWN"
        } else {
            "UP"
        };
        let mut body = json!({
            "status": status,
            "metadataServiceDisabled": f.disable_metadata_service,
            "tocEntryCount": md.len(),
            "blobExpired": blob_expired,
            "metadataServers": f.metadata_servers.iter().map(|s| json!({
                "url": s.url,
                "rootCertConfigured": !st.local.roots.is_empty(),
            })).collect::<Vec<_>>(),
            "blobs": md.blobs.iter().map(|(source, b)| json!({
                "source": source,
                "no": b.no,
                "nextUpdate": format_date(b.next_update),
                "entries": b.entries,
            })).collect::<Vec<_>>(),
            "timestamp": mds::format_datetime(now),
        });
        if let Some(o) = body.as_object_mut() {
            if let Some(n) = next_update {
                o.insert("nextUpdate".into(), format_date(n).into());
            }
            if let Some(t) = st.last_success {
                o.insert(
                    "lastSuccessfulRefresh".into(),
                    mds::format_datetime(t).into(),
                );
            }
            if let Some(e) = &st.last_error {
                o.insert("lastRefreshError".into(), e.clone().into());
            }
        }
        (if status == "DOWN" { 503 } else { 200 }, body)
    }

    /// Janssen's `GET /trust/attestation/config`.
    pub fn attestation_config(&self) -> Value {
        let config = self.config();
        let f = &config.fido2_configuration;
        let mode = serde_json::to_value(f.attestation_mode).unwrap_or(Value::Null);
        json!({
            "attestationMode": mode,
            "attestationModeRecognized": true,
            "unattestedAuthenticatorsAllowed": f.attestation_mode != AttestationMode::Enforced,
            "enterpriseAttestation": false,
            "metadataServiceDisabled": f.disable_metadata_service,
            "appleRootCaPresent": !mds::builtin(mds::APPLE_WEBAUTHN_ROOT_PEM).is_empty(),
            "enabledFidoAlgorithms": f.enabled_fido_algorithms,
            "hints": f.hints,
        })
    }
}
