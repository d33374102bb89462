//! Schema-only enums: the values the server accepts where the request types
//! take text (so that a wrong value gets a Korean message naming the field).

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
