//! JSON paths into stored payloads, for the few SQL statements that read
//! event fields without decoding each event (the draw's frozen list over a
//! million registrations, set-based replay). cqrs-es stores an event enum
//! externally tagged: `{"ParticipantRegistered": {...camelCase fields}}`.
//! The tests below hold these paths against the decoder.

/// `event_type` of a registration.
pub const REGISTERED_TYPE: &str = "ParticipantRegistered";

/// The body of a `ParticipantRegistered` payload, as a SQL expression.
pub const REGISTERED: &str = "payload -> 'ParticipantRegistered'";

/// Field names inside [`REGISTERED`].
pub mod registered {
    pub const CAMPAIGN_ID: &str = "campaignId";
    pub const PARTICIPANT_ID: &str = "participantId";
    pub const PID: &str = "pid";
    pub const ENTRY_NUMBER: &str = "entryNumber";
    pub const BONUS_ENTRIES: &str = "bonusEntries";
    pub const CHANNEL: &str = "channel";
    pub const STORE_VISITED: &str = "storeVisited";
    pub const REGISTERED_AT: &str = "registeredAt";
    pub const PERSONAL_DATA: &str = "personalData";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode, DomainEvent, CURRENT_VERSION};
    use promo_domain::participation::ParticipationEvent;

    /// A registration as cqrs-es stores it, and the same read through the
    /// paths above.
    #[test]
    fn the_sql_paths_read_what_the_decoder_reads() {
        let payload = serde_json::json!({ REGISTERED_TYPE: {
            "participantId": "00000000-0000-0000-0000-000000000007",
            "campaignId": "00000000-0000-0000-0000-000000000001",
            "pid": "ab".repeat(32),
            "entryNumber": "EVT00000001-20251101-001",
            "channel": "NAVER",
            "storeVisited": true,
            "bonusEntries": 3,
            "agreeMarketing": false,
            "personalData": {"nonce": "AAAAAAAAAAAAAAAA", "ciphertext": "AA=="},
            "registeredAt": "2025-11-01T00:00:00Z"
        }});
        let decoded = decode(
            "Participation",
            REGISTERED_TYPE,
            CURRENT_VERSION,
            &payload.to_string(),
        );
        let Ok(DomainEvent::Participation(ParticipationEvent::ParticipantRegistered {
            participant_id,
            campaign_id,
            pid,
            entry_number,
            bonus_entries,
            store_visited,
            registered_at,
            ..
        })) = decoded
        else {
            panic!("does not decode: {decoded:?}");
        };
        let body = &payload[REGISTERED_TYPE];
        let field = |name: &str| body[name].clone();
        assert_eq!(field(registered::CAMPAIGN_ID), campaign_id.to_string());
        assert_eq!(
            field(registered::PARTICIPANT_ID),
            participant_id.to_string()
        );
        assert_eq!(field(registered::PID), pid);
        assert_eq!(field(registered::ENTRY_NUMBER), entry_number);
        assert_eq!(field(registered::BONUS_ENTRIES), bonus_entries);
        assert_eq!(field(registered::STORE_VISITED), store_visited);
        assert_eq!(field(registered::CHANNEL), "NAVER");
        assert!(field(registered::PERSONAL_DATA).is_object());
        assert_eq!(
            field(registered::REGISTERED_AT)
                .as_str()
                .unwrap()
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
            registered_at
        );
        assert_eq!(REGISTERED, format!("payload -> '{REGISTERED_TYPE}'"));
    }
}
