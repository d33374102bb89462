//! Personal data protection primitives (pure functions, keys passed in):
//! per-campaign key derivation, the pseudonymous entrant id (a keyed hash of
//! the normalised phone) and authenticated encryption of name and phone.
//!
//! Events never carry a plaintext name or phone number. They carry a
//! [`SealedPersonalData`] encrypted under the campaign's data key, so
//! destroying that one key (crypto-shredding) erases every copy at once: in
//! the event store, in JetStream and in any backup.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// The campaign's root secret (32 random bytes made outside the domain).
/// Two independent keys are derived from it, one per purpose.
#[derive(Clone)]
pub struct CampaignSecret(pub [u8; 32]);

impl std::fmt::Debug for CampaignSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CampaignSecret(..)")
    }
}

impl CampaignSecret {
    /// Key for the pseudonymous entrant id.
    pub fn pid_key(&self) -> [u8; 32] {
        derive(&self.0, b"promo/pid/v1")
    }

    /// Key for sealing personal data.
    pub fn data_key(&self) -> [u8; 32] {
        derive(&self.0, b"promo/pii/v1")
    }

    /// Key for the store-visit tokens of the in-store QR code
    /// ([`crate::store_visit`]); independent of the other two.
    pub fn store_visit_key(&self) -> [u8; 32] {
        derive(&self.0, b"promo/store-visit/v1")
    }
}

fn derive(secret: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// The pseudonymous entrant id: HMAC-SHA256(pid key, campaign id ‖ phone).
/// Used as the participation aggregate id (so the store's primary key makes a
/// second entry impossible) and as the draw's entrant id.
pub fn pseudonymous_id(pid_key: &[u8; 32], campaign_id: Uuid, normalised_phone: &str) -> [u8; 32] {
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(pid_key).expect("HMAC takes keys of any length");
    mac.update(campaign_id.as_bytes());
    mac.update(normalised_phone.as_bytes());
    mac.finalize().into_bytes().into()
}

/// What is sealed: the entrant's name and normalised phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalData {
    pub name: String,
    pub phone: String,
}

/// AES-256-GCM ciphertext with its nonce, base64 on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SealedPersonalData {
    pub nonce: String,
    pub ciphertext: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("sealed personal data is malformed")]
    Malformed,
    #[error("sealed personal data does not open with this key")]
    WrongKeyOrTampered,
}

/// Seals personal data. `nonce` must be fresh random bytes for every call;
/// `participant_id` is bound as associated data so a ciphertext cannot be
/// moved onto another participant.
pub fn seal(
    data_key: &[u8; 32],
    nonce: [u8; 12],
    participant_id: Uuid,
    data: &PersonalData,
) -> SealedPersonalData {
    let cipher = Aes256Gcm::new(data_key.into());
    let plaintext = serde_json::to_vec(data).expect("PersonalData always serialises");
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &plaintext,
                aad: participant_id.as_bytes(),
            },
        )
        .expect("AES-GCM encryption of a small buffer cannot fail");
    SealedPersonalData {
        nonce: BASE64.encode(nonce),
        ciphertext: BASE64.encode(ciphertext),
    }
}

pub fn open(
    data_key: &[u8; 32],
    participant_id: Uuid,
    sealed: &SealedPersonalData,
) -> Result<PersonalData, SealError> {
    let nonce = BASE64
        .decode(&sealed.nonce)
        .map_err(|_| SealError::Malformed)?;
    let ciphertext = BASE64
        .decode(&sealed.ciphertext)
        .map_err(|_| SealError::Malformed)?;
    if nonce.len() != 12 {
        return Err(SealError::Malformed);
    }
    let cipher = Aes256Gcm::new(data_key.into());
    let plaintext = cipher
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: participant_id.as_bytes(),
            },
        )
        .map_err(|_| SealError::WrongKeyOrTampered)?;
    serde_json::from_slice(&plaintext).map_err(|_| SealError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> CampaignSecret {
        CampaignSecret([7; 32])
    }

    #[test]
    fn sealed_data_opens_only_with_its_key_and_participant() {
        let pid = Uuid::from_u128(1);
        let data = PersonalData {
            name: "김철수".into(),
            phone: "01012345678".into(),
        };
        let sealed = seal(&secret().data_key(), [1; 12], pid, &data);
        assert!(!sealed.ciphertext.contains("0101234"));
        assert_eq!(open(&secret().data_key(), pid, &sealed), Ok(data));
        assert_eq!(
            open(&CampaignSecret([8; 32]).data_key(), pid, &sealed),
            Err(SealError::WrongKeyOrTampered)
        );
        assert_eq!(
            open(&secret().data_key(), Uuid::from_u128(2), &sealed),
            Err(SealError::WrongKeyOrTampered)
        );
    }

    #[test]
    fn pseudonymous_id_depends_on_key_campaign_and_phone() {
        let key = secret().pid_key();
        let a = pseudonymous_id(&key, Uuid::from_u128(1), "01012345678");
        assert_eq!(a, pseudonymous_id(&key, Uuid::from_u128(1), "01012345678"));
        assert_ne!(a, pseudonymous_id(&key, Uuid::from_u128(2), "01012345678"));
        assert_ne!(a, pseudonymous_id(&key, Uuid::from_u128(1), "01012345679"));
        assert_ne!(
            a,
            pseudonymous_id(&[0; 32], Uuid::from_u128(1), "01012345678")
        );
        assert_ne!(secret().pid_key(), secret().data_key());
        assert_ne!(secret().store_visit_key(), secret().data_key());
        assert_ne!(secret().store_visit_key(), secret().pid_key());
    }
}
