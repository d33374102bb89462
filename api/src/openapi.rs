//! The OpenAPI document, generated from the handlers' annotations (utoipa),
//! served at `/openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    analytics, campaigns, draws, health, participants, participations, personal_data, prizes,
    self_check, store_qr,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "promo: participation, verifiable draws and channel analytics", version = "1"),
    paths(
        campaigns::create_draft, campaigns::publish, campaigns::end, campaigns::show,
        campaigns::owned::list, campaigns::owned::edit,
        participations::participate,
        analytics::record_costs, analytics::dashboard,
        participants::list, participants::export::export_csv,
        draws::draw_winners, draws::show_draw, draws::entrant_list,
        prizes::winners, prizes::claim, prizes::forfeit, prizes::contacts::contacts,
        prizes::contacts::access_log,
        personal_data::erase,
        store_qr::store_qr, self_check::entry_status, self_check::public_winners,
        health::health, health::ready, health::metrics,
    ),
    components(schemas(enums::ChannelName, enums::ObjectiveName, enums::StatusName)),
    modifiers(&BearerAuth, &CommonResponses, &Links),
)]
pub struct ApiDoc;

mod common_responses;
mod links;

/// Adds the links between operations ([`links`]).
struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        links::add(openapi);
    }
}

/// Adds the answers every operation can give ([`common_responses`]).
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        common_responses::add(openapi);
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

pub mod enums;

#[cfg(test)]
mod tests {
    use super::ApiDoc;
    use serde_json::Value;
    use utoipa::OpenApi;

    fn document() -> Value {
        serde_json::to_value(ApiDoc::openapi()).unwrap()
    }

    #[test]
    fn bounds_enums_and_integer_parameters_are_stated() {
        let doc = document();
        let publish = &doc["components"]["schemas"]["PublishRequest"]["properties"];
        assert_eq!(publish["winnerCount"]["minimum"], 1);
        assert_eq!(publish["winnerCount"]["maximum"], 1000);
        assert_eq!(publish["alternateCount"]["maximum"], 100);
        assert_eq!(publish["claimDays"]["minimum"], 1);
        assert_eq!(publish["claimDays"]["maximum"], 90);
        let channels = &doc["components"]["schemas"]["ChannelName"]["enum"];
        assert!(channels.as_array().unwrap().contains(&"STORE_QR".into()));
        let participation = &doc["components"]["schemas"]["ParticipationRequest"];
        for field in ["eventId", "name", "phoneNumber", "channel"] {
            assert!(
                participation["required"]
                    .as_array()
                    .unwrap()
                    .contains(&field.into()),
                "{field}"
            );
        }
        let list = &doc["paths"]["/api/v1/events/{eventId}/participants"]["get"]["parameters"];
        let page = list
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "page")
            .unwrap();
        assert!(
            page["schema"]["type"].to_string().contains("integer"),
            "{page}"
        );
    }

    #[test]
    fn every_reference_resolves() {
        fn refs(value: &Value, found: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        found.push(r.clone());
                    }
                    map.values().for_each(|v| refs(v, found));
                }
                Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
                _ => {}
            }
        }
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        for r in found {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "unresolvable {r}"
            );
        }
    }

    #[test]
    fn every_body_answers_415_and_413_and_owner_endpoints_401() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let responses = &operation["responses"];
                if operation.get("requestBody").is_some() {
                    for status in ["400", "413", "415"] {
                        assert!(responses.get(status).is_some(), "{method} {path} {status}");
                    }
                }
                if operation.get("security").is_some() {
                    assert!(responses.get("401").is_some(), "{method} {path} 401");
                }
                assert!(responses.get("500").is_some(), "{method} {path} 500");
            }
        }
        let entries = &doc["paths"]["/api/v1/participations"]["post"]["responses"];
        assert!(entries.get("429").is_some());
    }
}
