//! The OpenAPI document, generated from the handlers' annotations (utoipa),
//! served at `/openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    analytics, campaigns, draws, health, participants, participations, personal_data, self_check,
    store_qr,
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
        draws::draw_winners, draws::winners, draws::show_draw, draws::entrant_list,
        personal_data::erase,
        store_qr::store_qr, self_check::entry_status, self_check::public_winners,
        health::health, health::ready, health::metrics,
    ),
    modifiers(&BearerAuth, &CommonResponses),
)]
pub struct ApiDoc;

mod common_responses;

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

/// Schema-only enums: the values the server accepts where the request types
/// take text (so that a wrong value gets a Korean message naming the field).
pub mod enums {
    #![allow(dead_code, clippy::upper_case_acronyms)]
    use serde::Serialize;
    use utoipa::ToSchema;

    /// An entry channel.
    #[derive(Serialize, ToSchema)]
    pub enum ChannelName {
        URIDONGNETV,
        GINITV,
        RINGOBIZ,
        INSTAGRAM,
        NAVER,
        KAKAO,
        #[serde(rename = "STORE_QR")]
        StoreQr,
    }

    /// A campaign objective.
    #[derive(Serialize, ToSchema)]
    pub enum ObjectiveName {
        #[serde(rename = "신규 고객 유치")]
        NewCustomers,
        #[serde(rename = "재방문 유도")]
        Revisits,
        #[serde(rename = "매출 증대")]
        Sales,
        #[serde(rename = "인지도 향상")]
        Awareness,
    }

    /// A campaign status filter.
    #[derive(Serialize, ToSchema)]
    pub enum StatusName {
        DRAFT,
        ACTIVE,
        ENDED,
    }
}
