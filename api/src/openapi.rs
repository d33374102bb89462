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
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

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
