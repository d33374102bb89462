//! Entry channels: where a customer saw the promotion before entering.

use serde::{Deserialize, Serialize};

/// The entry path a participant came through. Wire names are pinned by the SPEC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Channel {
    /// 우리동네TV, the local cable channel.
    Uridongnetv,
    /// 지니TV.
    Ginitv,
    /// 링고비즈 landing pages.
    Ringobiz,
    Instagram,
    /// Naver Blog.
    Naver,
    /// KakaoTalk.
    Kakao,
    /// In-store QR code.
    StoreQr,
}

impl Channel {
    pub const ALL: [Channel; 7] = [
        Channel::Uridongnetv,
        Channel::Ginitv,
        Channel::Ringobiz,
        Channel::Instagram,
        Channel::Naver,
        Channel::Kakao,
        Channel::StoreQr,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Uridongnetv => "URIDONGNETV",
            Channel::Ginitv => "GINITV",
            Channel::Ringobiz => "RINGOBIZ",
            Channel::Instagram => "INSTAGRAM",
            Channel::Naver => "NAVER",
            Channel::Kakao => "KAKAO",
            Channel::StoreQr => "STORE_QR",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_roundtrip_through_serde_and_parse() {
        for c in Channel::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Channel::parse("WEB"), None);
    }
}
