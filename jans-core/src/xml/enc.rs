//! XML Encryption 1.1 (W3C REC 2013-04-11) of one element to a recipient's RSA key, the
//! way SAML encrypts assertions (SAML 2.0 Core §2.3.4, §6): the element's octets under a
//! fresh AES-256-GCM key (§5.2.4: IV, then ciphertext and tag), the key transported with
//! RSAES-OAEP (`rsa-oaep-mgf1p`, §5.5.2: SHA-1 digest and MGF1, what every SP's library
//! decrypts) in an `EncryptedKey` inside the `EncryptedData`'s `KeyInfo`.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead as _, KeyInit as _};

use super::dsig::DSIG_NS;
use super::{Element, Limits, parse};
use crate::crypto::{CryptoProvider, DecryptionKey, OaepHash};
use crate::ctx::Random;
use crate::jose::Jwk;

/// The XML Encryption namespace.
pub const XENC_NS: &str = "http://www.w3.org/2001/04/xmlenc#";
/// `EncryptedData/@Type` of an element (§3.5.1).
pub const TYPE_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
/// AES-256-GCM (§5.2.4).
pub const AES256_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
/// RSAES-OAEP with SHA-1 and MGF1 with SHA-1 (§5.5.2).
pub const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
/// SHA-1, the OAEP digest of `rsa-oaep-mgf1p`.
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// Why encryption or decryption failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("XML encryption: {0}")]
pub struct EncError(pub &'static str);

fn xenc(name: &str) -> Element {
    Element::new("xenc", name, XENC_NS)
}

/// `element` encrypted to the RSA public key `recipient`: an `xenc:EncryptedData` (whose
/// scope the caller sets when placing it).
pub fn encrypt(
    element: &Element,
    recipient: &Jwk,
    provider: &dyn CryptoProvider,
    rng: &dyn Random,
) -> Result<Element, EncError> {
    let mut key = [0u8; 32];
    rng.fill(&mut key);
    let mut iv = [0u8; 12];
    rng.fill(&mut iv);
    let sealed = Aes256Gcm::new_from_slice(&key)
        .map_err(|_| EncError("content key"))?
        .encrypt(&iv.into(), element.to_xml().as_bytes())
        .map_err(|_| EncError("content encryption"))?;
    let wrapped = provider
        .rsa_oaep_encrypt(recipient, OaepHash::Sha1, &key, rng)
        .map_err(|_| EncError("the recipient's key does not take RSA-OAEP"))?;
    let mut value = iv.to_vec();
    value.extend_from_slice(&sealed);
    let cipher = |bytes: &[u8]| {
        xenc("CipherData").child(xenc("CipherValue").text(&crate::b64::encode_std(bytes)))
    };
    Ok(xenc("EncryptedData")
        .declare("xenc", XENC_NS)
        .attr("Type", TYPE_ELEMENT)
        .child(xenc("EncryptionMethod").attr("Algorithm", AES256_GCM))
        .child(
            Element::new("ds", "KeyInfo", DSIG_NS)
                .declare("ds", DSIG_NS)
                .child(
                    xenc("EncryptedKey")
                        .child(
                            xenc("EncryptionMethod")
                                .attr("Algorithm", RSA_OAEP_MGF1P)
                                .child(
                                    Element::new("ds", "DigestMethod", DSIG_NS)
                                        .attr("Algorithm", SHA1),
                                ),
                        )
                        .child(cipher(&wrapped)),
                ),
        )
        .child(cipher(&value)))
}

fn cipher_value(e: &Element) -> Result<Vec<u8>, EncError> {
    let text = e
        .only(XENC_NS, "CipherData")
        .and_then(|d| d.only(XENC_NS, "CipherValue"))
        .map(Element::text_content)
        .ok_or(EncError("no CipherValue"))?;
    crate::b64::decode_std_wrapped(&text).map_err(|_| EncError("CipherValue is not base64"))
}

fn method(e: &Element) -> Option<&str> {
    e.only(XENC_NS, "EncryptionMethod")
        .and_then(|m| m.get("Algorithm"))
}

/// The element inside `encrypted_data` (what [`encrypt`] made), with `key` — for SPs and
/// tests; the IdP itself never decrypts.
pub fn decrypt(
    encrypted_data: &Element,
    key: &dyn DecryptionKey,
    rng: &dyn Random,
) -> Result<Element, EncError> {
    if method(encrypted_data) != Some(AES256_GCM) {
        return Err(EncError("content encryption method"));
    }
    let ek = encrypted_data
        .only(DSIG_NS, "KeyInfo")
        .and_then(|k| k.only(XENC_NS, "EncryptedKey"))
        .ok_or(EncError("no EncryptedKey"))?;
    if method(ek) != Some(RSA_OAEP_MGF1P) {
        return Err(EncError("key transport method"));
    }
    let content_key = key
        .rsa_oaep_decrypt(OaepHash::Sha1, &cipher_value(ek)?, rng)
        .map_err(|_| EncError("key transport"))?;
    let value = cipher_value(encrypted_data)?;
    let (iv, sealed) = value.split_at_checked(12).ok_or(EncError("no IV"))?;
    let iv: [u8; 12] = iv.try_into().map_err(|_| EncError("no IV"))?;
    let plain = Aes256Gcm::new_from_slice(&content_key)
        .map_err(|_| EncError("content key"))?
        .decrypt(&iv.into(), sealed)
        .map_err(|_| EncError("content decryption"))?;
    let text = String::from_utf8(plain).map_err(|_| EncError("not UTF-8"))?;
    parse(&text, &Limits::default()).map_err(|_| EncError("not an element"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::crypto::{DecryptionKeyType, default_provider};
    use crate::testing::SeededRandom;
    use crate::xml::Scope;

    #[test]
    fn an_element_decrypts_to_itself_and_only_with_its_key() {
        let provider = default_provider();
        let rng = SeededRandom::new(3);
        let key = provider
            .generate_decryption_key(DecryptionKeyType::Rsa, &rng)
            .unwrap();
        let other = provider
            .generate_decryption_key(DecryptionKeyType::Rsa, &SeededRandom::new(4))
            .unwrap();
        let mut secret = Element::new("s", "Assertion", "urn:s")
            .declare("s", "urn:s")
            .attr("ID", "_a")
            .child(Element::new("s", "NameID", "urn:s").text("alice"));
        secret.rescope(&Scope::default());
        let mut sealed = encrypt(&secret, &key.public_jwk(), provider.as_ref(), &rng).unwrap();
        sealed.rescope(&Scope::default());
        assert!(!sealed.to_xml().contains("alice"));
        // Through its text form, as an SP receives it.
        let received = parse(&sealed.to_xml(), &Limits::default()).unwrap();
        assert_eq!(decrypt(&received, key.as_ref(), &rng).unwrap(), secret);
        assert!(decrypt(&received, other.as_ref(), &rng).is_err());
        let tampered = sealed
            .to_xml()
            .replacen("<xenc:CipherValue>", "<xenc:CipherValue>AAAA", 2);
        let tampered = parse(&tampered, &Limits::default()).unwrap();
        assert!(decrypt(&tampered, key.as_ref(), &rng).is_err());
    }
}
