//! Subject identifiers (OIDC Core §8): public (the user's `inum`) or pairwise per sector.
//!
//! Pairwise identifiers follow Janssen's `algorithmic` type:
//! `sub = base64url(HMAC-SHA256(key, sectorIdentifier + localAccountId + salt))`, with
//! `pairwiseCalculationKey` and `pairwiseCalculationSalt`, where `localAccountId` is the
//! user's `inum`, or `inum + client_id` unless `shareSubjectIdBetweenClientsWithSameSectorId`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// OIDC Core §8.1: the sector identifier is the host of the `sector_identifier_uri`, or of
/// the client's single redirect URI host. `None` when it cannot be determined (several
/// redirect hosts and no `sector_identifier_uri`, which registration must refuse).
pub fn sector_identifier(
    sector_identifier_uri: Option<&str>,
    redirect_uris: &[String],
) -> Option<String> {
    let host = |u: &str| url::Url::parse(u).ok()?.host_str().map(str::to_owned);
    if let Some(s) = sector_identifier_uri {
        return host(s);
    }
    let mut hosts = redirect_uris.iter().filter_map(|u| host(u));
    let first = hosts.next()?;
    hosts.all(|h| h == first).then_some(first)
}

/// Janssen's algorithmic pairwise subject.
pub fn pairwise(sector: &str, local_account_id: &str, key: &[u8], salt: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(sector.as_bytes());
    mac.update(local_account_id.as_bytes());
    mac.update(salt.as_bytes());
    crate::b64::encode(&mac.finalize().into_bytes())
}

impl crate::auth::AuthServer {
    /// The `sub` a client sees for a user (OIDC Core §8): the `inum`, or for a `pairwise`
    /// client Janssen's algorithmic pairwise identifier for the client's sector.
    pub fn subject_for(&self, client: &crate::repo::client::Client, user_inum: &str) -> String {
        if client.metadata.subject_type.as_deref() != Some("pairwise") {
            return user_inum.to_owned();
        }
        let config = self.config();
        let sector = sector_identifier(
            client.metadata.sector_identifier_uri.as_deref(),
            &client.metadata.redirect_uris,
        )
        .unwrap_or_else(|| client.client_id.clone());
        let local = if config.share_subject_id_between_clients_with_same_sector_id {
            user_inum.to_owned()
        } else {
            format!("{user_inum}{}", client.client_id)
        };
        let key: &[u8] = if config.pairwise_calculation_key.is_empty() {
            &self.pairwise_key
        } else {
            config.pairwise_calculation_key.as_bytes()
        };
        pairwise(&sector, &local, key, &config.pairwise_calculation_salt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sector_rules() {
        let one = vec![
            "https://rp.example.com/cb".to_owned(),
            "https://rp.example.com/cb2".to_owned(),
        ];
        assert_eq!(
            sector_identifier(None, &one).as_deref(),
            Some("rp.example.com")
        );
        let two = vec![
            "https://a.example.com/cb".to_owned(),
            "https://b.example.com/cb".to_owned(),
        ];
        assert_eq!(sector_identifier(None, &two), None);
        assert_eq!(
            sector_identifier(Some("https://sector.example.org/uris.json"), &two).as_deref(),
            Some("sector.example.org")
        );
        assert_eq!(sector_identifier(None, &[]), None);
    }

    #[test]
    fn pairwise_is_stable_and_separates_sectors_and_users() {
        let a = pairwise("rp.example.com", "inum-1", b"key", "salt");
        assert_eq!(a, pairwise("rp.example.com", "inum-1", b"key", "salt"));
        assert_eq!(a.len(), 43);
        assert_ne!(a, pairwise("other.example.com", "inum-1", b"key", "salt"));
        assert_ne!(a, pairwise("rp.example.com", "inum-2", b"key", "salt"));
        assert_ne!(a, pairwise("rp.example.com", "inum-1", b"key2", "salt"));
        assert_ne!(a, pairwise("rp.example.com", "inum-1", b"key", "salt2"));
        // RFC 4231 test case 2 shape: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        assert_eq!(
            pairwise("what do ya ", "want for ", b"Jefe", "nothing?"),
            crate::b64::encode(&[
                0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
                0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9,
                0x64, 0xec, 0x38, 0x43
            ])
        );
    }
}
