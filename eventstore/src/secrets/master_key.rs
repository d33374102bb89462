//! The key-encryption key ("master key") that wraps every row of
//! `campaign_secrets`, kept outside the database (`PROMO_MASTER_KEY` or a
//! 0600 file), so a database backup alone opens nothing.
//!
//! A wrapped secret is `nonce (12) ‖ AES-256-GCM ciphertext+tag (32+16)`,
//! with the campaign id and the column name as associated data (a wrapped
//! value moved to another row or column does not open). Each row records the
//! id of the key that wrapped it (`key_id`: the first 8 bytes of SHA-256 of
//! the key, hex), so a rotation knows which rows still need re-wrapping.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{random_bytes, SecretsError};

/// Length of a wrapped 32-byte secret.
pub const WRAPPED_LEN: usize = 12 + 32 + 16;

/// One master key.
#[derive(Clone)]
pub struct MasterKey {
    key: [u8; 32],
    id: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

impl MasterKey {
    pub fn new(key: [u8; 32]) -> Self {
        let id = hex::encode(&Sha256::digest(key)[..8]);
        Self { key, id }
    }

    /// Parses 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, SecretsError> {
        let bytes = hex::decode(text.trim()).map_err(|_| SecretsError::BadMasterKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SecretsError::BadMasterKey)?;
        Ok(Self::new(key))
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self, SecretsError> {
        Ok(Self::new(random_bytes::<32>()?))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.key)
    }

    /// The key's id, recorded beside each row it wrapped.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&self.key).into())
    }

    /// Wraps `secret` of `column` of the campaign's row.
    pub fn wrap(
        &self,
        campaign_id: Uuid,
        column: &str,
        secret: &[u8; 32],
    ) -> Result<Vec<u8>, SecretsError> {
        let nonce = random_bytes::<12>()?;
        let aad = associated_data(campaign_id, column);
        let sealed = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .map_err(|_| SecretsError::Corrupt)?;
        let mut wrapped = nonce.to_vec();
        wrapped.extend_from_slice(&sealed);
        Ok(wrapped)
    }

    /// Opens what [`MasterKey::wrap`] made for the same row and column.
    pub fn unwrap(
        &self,
        campaign_id: Uuid,
        column: &str,
        wrapped: &[u8],
    ) -> Result<[u8; 32], SecretsError> {
        if wrapped.len() != WRAPPED_LEN {
            return Err(SecretsError::Corrupt);
        }
        let aad = associated_data(campaign_id, column);
        let opened = self
            .cipher()
            .decrypt(
                Nonce::from_slice(&wrapped[..12]),
                Payload {
                    msg: &wrapped[12..],
                    aad: &aad,
                },
            )
            .map_err(|_| SecretsError::WrongMasterKey)?;
        opened.try_into().map_err(|_| SecretsError::Corrupt)
    }
}

fn associated_data(campaign_id: Uuid, column: &str) -> Vec<u8> {
    let mut aad = b"promo/campaign-secret/v1/".to_vec();
    aad.extend_from_slice(campaign_id.as_bytes());
    aad.extend_from_slice(column.as_bytes());
    aad
}

/// The current master key and, during a rotation, the previous one: rows
/// still wrapped by the previous key are read with it and re-wrapped.
#[derive(Debug, Clone)]
pub struct MasterKeys {
    pub current: MasterKey,
    pub previous: Option<MasterKey>,
}

impl MasterKeys {
    pub fn new(current: MasterKey) -> Self {
        Self {
            current,
            previous: None,
        }
    }

    /// The key whose id is `id`, if it is one of these.
    pub fn by_id(&self, id: &str) -> Option<&MasterKey> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|k| k.id() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_secret_opens_only_with_its_key_row_and_column() {
        let key = MasterKey::generate().unwrap();
        let other = MasterKey::generate().unwrap();
        let (campaign, secret) = (Uuid::new_v4(), [7u8; 32]);
        let wrapped = key.wrap(campaign, "data_secret", &secret).unwrap();
        assert_eq!(wrapped.len(), WRAPPED_LEN);
        assert!(!wrapped.windows(32).any(|w| w == secret));
        assert_eq!(
            key.unwrap(campaign, "data_secret", &wrapped).unwrap(),
            secret
        );
        assert!(other.unwrap(campaign, "data_secret", &wrapped).is_err());
        assert!(key.unwrap(Uuid::new_v4(), "data_secret", &wrapped).is_err());
        assert!(key.unwrap(campaign, "draw_seed", &wrapped).is_err());
        assert_eq!(MasterKey::from_hex(&key.to_hex()).unwrap().id(), key.id());
        assert!(MasterKey::from_hex("abcd").is_err());
        assert_ne!(key.id(), other.id());
    }
}
