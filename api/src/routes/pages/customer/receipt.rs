//! The entry receipt carried from the entry form's POST to the completion
//! page (`/e/{id}` → 303 → `/e/{id}/done?…`), so a refresh never enters twice
//! and the page needs no lookup in a read model that may not have the entry
//! yet. The query is signed with [`Auth::mac`] (purpose `entry-receipt`, bound
//! to the campaign), so nobody can make the page show a number they did not get.

use uuid::Uuid;

use crate::auth::Auth;

const PURPOSE: &str = "entry-receipt";

/// What the completion page shows of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryReceipt {
    pub entry_number: String,
    pub bonus_entries: u8,
    /// The entrant's id in the draw's entrant list, once entries return it.
    pub entrant_id: Option<String>,
}

impl EntryReceipt {
    fn message(&self, campaign_id: Uuid) -> String {
        format!(
            "{campaign_id}\n{}\n{}\n{}",
            self.entry_number,
            self.bonus_entries,
            self.entrant_id.as_deref().unwrap_or("")
        )
    }

    /// `/e/{id}/done?n=…&b=…[&r=…]&s=…`.
    pub fn done_url(&self, auth: &Auth, campaign_id: Uuid) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("n", &self.entry_number);
        query.append_pair("b", &self.bonus_entries.to_string());
        if let Some(entrant_id) = &self.entrant_id {
            query.append_pair("r", entrant_id);
        }
        query.append_pair(
            "s",
            &auth.mac(PURPOSE, self.message(campaign_id).as_bytes()),
        );
        format!("/e/{campaign_id}/done?{}", query.finish())
    }

    /// The receipt of a `done` query, if its signature holds.
    pub fn from_query(auth: &Auth, campaign_id: Uuid, pairs: &[(String, String)]) -> Option<Self> {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let receipt = EntryReceipt {
            entry_number: get("n")?.to_string(),
            bonus_entries: get("b")?.parse().ok()?,
            entrant_id: get("r").map(str::to_string),
        };
        auth.verify_mac(PURPOSE, receipt.message(campaign_id).as_bytes(), get("s")?)
            .then_some(receipt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(url: &str) -> Vec<(String, String)> {
        let query = url.split_once('?').unwrap().1;
        crate::routes::extract::form_fields(query.as_bytes())
    }

    #[test]
    fn a_receipt_survives_the_redirect_and_refuses_tampering() {
        let auth = Auth::new("receipt-secret-0123456789");
        let campaign = Uuid::from_u128(7);
        let receipt = EntryReceipt {
            entry_number: "EVT7-20261201-001".into(),
            bonus_entries: 3,
            entrant_id: None,
        };
        let url = receipt.done_url(&auth, campaign);
        assert!(url.starts_with(
            "/e/00000000-0000-0000-0000-000000000007/done?n=EVT7-20261201-001&b=3&s="
        ));
        assert_eq!(
            EntryReceipt::from_query(&auth, campaign, &pairs(&url)),
            Some(receipt.clone())
        );
        let forged = url.replace("b=3", "b=9");
        assert_eq!(
            EntryReceipt::from_query(&auth, campaign, &pairs(&forged)),
            None
        );
        assert_eq!(
            EntryReceipt::from_query(&auth, Uuid::from_u128(8), &pairs(&url)),
            None,
            "bound to its campaign"
        );
        let with_id = EntryReceipt {
            entrant_id: Some("ab12".into()),
            ..receipt
        };
        let url = with_id.done_url(&auth, campaign);
        assert_eq!(
            EntryReceipt::from_query(&auth, campaign, &pairs(&url)),
            Some(with_id)
        );
    }
}
