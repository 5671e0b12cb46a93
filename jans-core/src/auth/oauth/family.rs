//! Grant families: everything issued from one authorization (its code, access tokens,
//! refresh tokens) shares a family, so that a replayed code (RFC 6749 §4.1.2), a reused
//! refresh token (RFC 9700 §4.14.2) or a revoked refresh token (RFC 7009 §2.1) ends all of
//! it at once.
//!
//! Revocation races with issuance: the request that took a code may still be storing its
//! tokens when a replay of the same code revokes the family. So [`revoke`] leaves a marker
//! before deleting, and a grant that issued into a family calls [`settle`] after storing:
//! whichever of the two runs last deletes the tokens, in every interleaving.

use crate::auth::AuthServer;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::store::{GrantKind, GrantRecord, StoreError};

/// How long a revoked family's marker stays: far longer than any request that took a code
/// or refresh token of the family can take to store what it issues.
const MARKER_LIFETIME: u64 = 600;

/// Revoke every record of `family`: first the marker, then the records. Returns how many
/// records were deleted.
pub async fn revoke(auth: &AuthServer, family: &str, ctx: &Ctx) -> Result<usize, Error> {
    if family.is_empty() {
        return Ok(0);
    }
    let grants = &auth.stores().grants;
    let marker = GrantRecord::bare(ctx.now, ctx.now.saturating_add(MARKER_LIFETIME));
    match grants
        .insert(GrantKind::RevokedFamily, family, &marker, ctx.now)
        .await
    {
        // Conflict: revoked already; delete again all the same.
        Ok(()) | Err(StoreError::Conflict) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(grants.remove_family(family).await?)
}

/// After storing tokens in `family`: if the family was revoked meanwhile (a racing replay
/// of the code or refresh token this request took), delete what was just stored. Returns
/// whether it was.
pub async fn settle(auth: &AuthServer, family: &str, ctx: &Ctx) -> Result<bool, Error> {
    let grants = &auth.stores().grants;
    if family.is_empty()
        || grants
            .get(GrantKind::RevokedFamily, family, ctx.now)
            .await?
            .is_none()
    {
        return Ok(false);
    }
    let n = grants.remove_family(family).await?;
    tracing::warn!(
        revoked = n,
        "tokens issued into a family revoked meanwhile were revoked"
    );
    Ok(true)
}
