//! OpenAPI links: how one operation's answer feeds the next (a created campaign's id into
//! publish, an entry's receipt into the status check, a drawn winner's id into claim). They
//! document the API's flows and let a stateful tester (schemathesis `--stateful=links`) chain
//! create → publish → enter → list → end → draw → winners → claim.
//!
//! One table, kept here rather than spread over the handlers' annotations, so the flows read in
//! one place; the unit test below checks that every source response and target operation exist.

use serde_json::{json, Value};
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::link::Link;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::{OpenApi, RefOr};

/// `eventId` of the campaign a draft answer names.
const DRAFT_ID: &str = "$response.body#/eventDraftId";
/// `eventId` of an answer that names its campaign.
const EVENT_ID: &str = "$response.body#/eventId";
/// `eventId` of the first campaign of a list.
const LISTED_ID: &str = "$response.body#/events/0/eventId";
/// `eventId` of the request's own path.
const PATH_EVENT_ID: &str = "$request.path.eventId";

/// Where links start: an operation's (path, method) and one of its response statuses.
pub(super) type Source = (&'static str, HttpMethod, &'static str);

/// A link: name, target operation id, path/query parameters, and body fields to merge.
pub(super) struct LinkSpec {
    pub name: &'static str,
    pub operation_id: &'static str,
    pub parameters: &'static [(&'static str, &'static str)],
    pub body: Option<fn() -> Value>,
}

const fn link(
    name: &'static str,
    operation_id: &'static str,
    parameters: &'static [(&'static str, &'static str)],
) -> LinkSpec {
    LinkSpec {
        name,
        operation_id,
        parameters,
        body: None,
    }
}

/// A publication the server accepts whatever day it is (the entry window open until 2099, one
/// winner, no alternates), so that a client following the link gets an open campaign to enter.
fn sample_publication() -> Value {
    json!({
        "title": "Opening week coffee draw",
        "prize": "A coffee voucher",
        "startsAt": "2025-01-01T00:00:00Z",
        "endsAt": "2099-12-31T00:00:00Z",
        "announcementAt": "2099-12-31T12:00:00Z",
        "winnerCount": 1,
        "visitBonus": true,
        "alternateCount": 0,
        "claimDays": 7,
        "channels": ["NAVER"],
    })
}

/// The draw terms [`sample_publication`] fixed.
fn sample_draw() -> Value {
    json!({ "winnerCount": 1, "visitBonus": true })
}

/// Links per (path, method, status): the sensible next steps from each answer. A stateful
/// tester follows a response's links in name order and each step changes the campaign, so a
/// step that closes a door (end, erase) is linked only from where the flow has passed it.
pub(super) fn table() -> Vec<(Source, Vec<LinkSpec>)> {
    // Reads of a draft, and what its edit answer links to. Publishing is linked only from the
    // creation: a tester would otherwise publish the draft deep down a chain of edits, and the
    // publication the flow continues from would be refused as a second one.
    let draft_reads = || {
        vec![
            link("GetCampaign", "show", &[("eventId", DRAFT_ID)]),
            link("RecordCosts", "record_costs", &[("eventId", DRAFT_ID)]),
            link("GetAnalytics", "dashboard", &[("eventId", DRAFT_ID)]),
        ]
    };
    let mut created = draft_reads();
    created.extend([
        link("EditDraft", "edit", &[("eventId", DRAFT_ID)]),
        LinkSpec {
            body: Some(sample_publication),
            ..link("PublishCampaign", "publish", &[("eventId", DRAFT_ID)])
        },
    ]);
    // A complete entry on the channel of the sample publication (one per campaign: the
    // phone number is fixed, so a second one is the documented 409).
    let enter = LinkSpec {
        name: "Participate",
        operation_id: "participate",
        parameters: &[],
        body: Some(|| {
            json!({
                "eventId": EVENT_ID,
                "name": "홍길동",
                "phoneNumber": "010-1234-5678",
                "channel": "NAVER",
                "storeVisited": false,
                "storeVisitToken": null,
                "agreePrivacy": true,
            })
        }),
    };
    let status_check = LinkSpec {
        name: "CheckEntryStatus",
        operation_id: "entry_status",
        parameters: &[("eventId", EVENT_ID)],
        body: Some(|| {
            json!({
                "entryNumber": "$response.body#/entryNumber",
                "phoneNumber": "$request.body#/phoneNumber",
            })
        }),
    };
    let draw = LinkSpec {
        body: Some(sample_draw),
        ..link("DrawWinners", "draw_winners", &[("eventId", EVENT_ID)])
    };
    let first_winner: &[(&str, &str)] = &[
        ("eventId", PATH_EVENT_ID),
        ("participantId", "$response.body#/winners/0/participantId"),
    ];
    vec![
        (
            ("/api/v1/events/purposes", HttpMethod::Post, "200"),
            created,
        ),
        (
            ("/api/v1/events/{eventId}", HttpMethod::Patch, "200"),
            draft_reads(),
        ),
        (
            ("/api/v1/events/{eventId}/publish", HttpMethod::Post, "200"),
            vec![
                enter,
                link("GetCampaign", "show", &[("eventId", EVENT_ID)]),
                link(
                    "ListParticipants",
                    "list_participants",
                    &[("eventId", EVENT_ID)],
                ),
                link("ExportParticipants", "export_csv", &[("eventId", EVENT_ID)]),
                link("GetAnalytics", "dashboard", &[("eventId", EVENT_ID)]),
                link("RecordCosts", "record_costs", &[("eventId", EVENT_ID)]),
                link("GetStoreQr", "store_qr", &[("eventId", EVENT_ID)]),
            ],
        ),
        (
            ("/api/v1/participations", HttpMethod::Post, "201"),
            vec![
                status_check,
                link("GetCampaign", "show", &[("eventId", EVENT_ID)]),
                link(
                    "ListParticipants",
                    "list_participants",
                    &[("eventId", EVENT_ID)],
                ),
                link("EndCampaign", "end", &[("eventId", EVENT_ID)]),
            ],
        ),
        (
            ("/api/v1/events/{eventId}/end", HttpMethod::Post, "200"),
            vec![
                draw,
                link("GetCampaign", "show", &[("eventId", EVENT_ID)]),
                link("GetAnalytics", "dashboard", &[("eventId", EVENT_ID)]),
            ],
        ),
        (
            (
                "/api/v1/events/{eventId}/draw-winners",
                HttpMethod::Post,
                "200",
            ),
            vec![
                link("GetDraw", "show_draw", &[("eventId", EVENT_ID)]),
                link("GetEntrantList", "entrant_list", &[("eventId", EVENT_ID)]),
                link("GetWinners", "winners", &[("eventId", EVENT_ID)]),
                link(
                    "GetPublicWinners",
                    "public_winners",
                    &[("eventId", EVENT_ID)],
                ),
                link("GetWinnerContacts", "contacts", &[("eventId", EVENT_ID)]),
                link("ClaimPrize", "claim", first_winner),
                link("ForfeitPrize", "forfeit", first_winner),
                link("ErasePersonalData", "erase", &[("eventId", EVENT_ID)]),
            ],
        ),
        (
            ("/api/v1/events/{eventId}/winners", HttpMethod::Get, "200"),
            vec![
                link("ClaimPrize", "claim", first_winner),
                link("ForfeitPrize", "forfeit", first_winner),
                link("GetAccessLog", "access_log", &[("eventId", PATH_EVENT_ID)]),
            ],
        ),
        (
            ("/api/v1/events", HttpMethod::Get, "200"),
            vec![
                link("GetCampaign", "show", &[("eventId", LISTED_ID)]),
                link(
                    "ListParticipants",
                    "list_participants",
                    &[("eventId", LISTED_ID)],
                ),
                link("GetAnalytics", "dashboard", &[("eventId", LISTED_ID)]),
            ],
        ),
    ]
}

/// Adds the table's links to the document's responses.
pub(super) fn add(openapi: &mut OpenApi) {
    for ((path, method, status), links) in table() {
        let Some(response) = openapi
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| operation_mut(item, &method))
            .and_then(|operation| operation.responses.responses.get_mut(status))
        else {
            // The test below keeps the table and the handlers in step.
            continue;
        };
        let RefOr::T(response) = response else {
            continue;
        };
        for spec in links {
            response
                .links
                .insert(spec.name.to_owned(), RefOr::T(build(&spec)));
        }
    }
}

/// The link object. utoipa 5.5 serializes its `Link` fields in snake case (`operation_id`,
/// `request_body`), which no OpenAPI reader understands, so the two are written under their
/// OpenAPI names through the link's flattened extensions map instead.
fn build(spec: &LinkSpec) -> Link {
    let mut link = Link::builder();
    for (name, expression) in spec.parameters {
        link = link.parameter(*name, *expression);
    }
    let mut fields = vec![("operationId", Value::from(spec.operation_id))];
    if let Some(body) = spec.body {
        fields.push(("requestBody", body()));
    }
    link.extensions(Some(Extensions::from_iter(fields))).build()
}

pub(super) fn operation_mut<'a>(
    item: &'a mut utoipa::openapi::PathItem,
    method: &HttpMethod,
) -> Option<&'a mut Operation> {
    match method {
        HttpMethod::Get => item.get.as_mut(),
        HttpMethod::Post => item.post.as_mut(),
        HttpMethod::Patch => item.patch.as_mut(),
        HttpMethod::Put => item.put.as_mut(),
        HttpMethod::Delete => item.delete.as_mut(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use utoipa::OpenApi as _;

    /// Every operation id of the document, with how often it occurs.
    fn operation_ids(openapi: &OpenApi) -> BTreeMap<String, usize> {
        let mut ids = BTreeMap::new();
        for item in openapi.paths.paths.values() {
            let operations = [&item.get, &item.post, &item.patch, &item.put, &item.delete];
            for operation in operations.into_iter().flatten() {
                if let Some(id) = &operation.operation_id {
                    *ids.entry(id.clone()).or_insert(0) += 1;
                }
            }
        }
        ids
    }

    #[test]
    fn every_link_leaves_a_documented_response_for_a_unique_operation() {
        let mut doc = crate::openapi::ApiDoc::openapi();
        let ids = operation_ids(&doc);
        for (id, count) in &ids {
            assert_eq!(*count, 1, "operation id {id} is not unique");
        }
        for ((path, method, status), links) in table() {
            let item = doc.paths.paths.get_mut(path).expect(path);
            let operation = operation_mut(item, &method).expect(path);
            assert!(
                operation.responses.responses.contains_key(status),
                "{path} {status}"
            );
            for spec in links {
                assert!(ids.contains_key(spec.operation_id), "{}", spec.operation_id);
            }
        }
    }

    #[test]
    fn links_use_the_openapi_field_names() {
        let doc = serde_json::to_value(crate::openapi::ApiDoc::openapi()).unwrap();
        let enter = &doc["paths"]["/api/v1/events/{eventId}/publish"]["post"]["responses"]["200"]
            ["links"]["Participate"];
        assert_eq!(enter["operationId"], "participate", "{enter}");
        assert_eq!(enter["requestBody"]["eventId"], EVENT_ID, "{enter}");
        assert!(enter.get("operation_id").is_none(), "{enter}");
    }
}
