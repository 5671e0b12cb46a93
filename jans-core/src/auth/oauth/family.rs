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
use crate::store::GrantKind;

/// Revoke every record of `family`: first the marker, then the records. Returns how many
/// records were deleted ([`crate::repo::Stores::revoke_family`]).
pub async fn revoke(auth: &AuthServer, family: &str, ctx: &Ctx) -> Result<usize, Error> {
    Ok(auth.stores().revoke_family(family, ctx.now).await?)
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
