//! Entrant identity as typed input: parse, don't validate. A value of
//! [`PhoneNumber`] or [`EntrantName`] is always valid and normalised, and knows
//! how to show itself masked.

use unicode_normalization::UnicodeNormalization;

/// Why an entrant's input was refused; the API names the field from the variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EntrantInputError {
    #[error("이름은 2자 이상이어야 합니다")]
    NameTooShort,
    #[error("이름은 50자 이하여야 합니다")]
    NameTooLong,
    #[error("이름에 사용할 수 없는 문자가 있습니다")]
    NameHasControlCharacters,
    #[error("010-1234-5678 형식의 휴대폰 번호를 입력해 주세요")]
    PhoneNotKoreanMobile,
}

/// A Korean mobile number stored as 010XXXXXXXX (or a legacy 01X with 7-8 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts `010-1234-5678`, `01012345678`, `010 1234 5678`, `010.1234.5678`,
    /// `+82 10-1234-5678`, `+82-10-1234-5678`, `+82 (0)10 1234 5678` and `82 10...`.
    pub fn parse(input: &str) -> Result<Self, EntrantInputError> {
        let trimmed = input.trim();
        if trimmed.len() > 32 {
            return Err(EntrantInputError::PhoneNotKoreanMobile);
        }
        let (international, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(12);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(EntrantInputError::PhoneNotKoreanMobile),
            }
        }
        let national = if international || digits.starts_with("82") && digits.len() >= 11 {
            let Some(after_cc) = digits.strip_prefix("82") else {
                return Err(EntrantInputError::PhoneNotKoreanMobile);
            };
            // "+82 (0)10..." keeps the trunk zero; "+82 10..." drops it.
            if after_cc.starts_with('0') {
                after_cc.to_string()
            } else {
                format!("0{after_cc}")
            }
        } else {
            digits
        };
        if is_korean_mobile(&national) {
            Ok(PhoneNumber(national))
        } else {
            Err(EntrantInputError::PhoneNotKoreanMobile)
        }
    }

    /// Digits only, e.g. `01012345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `010-****-5678`: the prefix and the last four digits only.
    pub fn masked(&self) -> String {
        format!("{}-****-{}", &self.0[..3], self.last4())
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// `010-1234-5678` (a 10-digit legacy number: `011-123-4567`): the full
    /// number as a person reads it, for the owner delivering a prize.
    pub fn formatted(&self) -> String {
        let (prefix, rest) = self.0.split_at(3);
        let (middle, last) = rest.split_at(rest.len() - 4);
        format!("{prefix}-{middle}-{last}")
    }

    /// E.164, `+821012345678`: the national number without its trunk zero,
    /// after the country code, for the notification gateway.
    pub fn e164(&self) -> String {
        format!("+82{}", &self.0[1..])
    }
}

fn is_korean_mobile(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    let prefix_ok = bytes.len() >= 3 && &bytes[..2] == b"01" && b"016789".contains(&bytes[2]);
    let length_ok = match &digits.get(..3) {
        Some("010") => bytes.len() == 11,
        _ => bytes.len() == 10 || bytes.len() == 11,
    };
    prefix_ok && length_ok && bytes.iter().all(u8::is_ascii_digit)
}

/// A participant's name, NFC-normalised and trimmed, 2 to 50 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrantName(String);

impl EntrantName {
    pub fn parse(input: &str) -> Result<Self, EntrantInputError> {
        // NFC first: a name typed on a device that sends decomposed Hangul
        // (NFD jamo) must count and compare the same as its composed form.
        let name: String = input.trim().nfc().collect();
        if name.chars().any(char::is_control) {
            return Err(EntrantInputError::NameHasControlCharacters);
        }
        match name.chars().count() {
            0..=1 => Err(EntrantInputError::NameTooShort),
            2..=50 => Ok(EntrantName(name)),
            _ => Err(EntrantInputError::NameTooLong),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `김**`: the first character, then one `*` per remaining character.
    pub fn masked(&self) -> String {
        mask_name(&self.0)
    }
}

/// Masks any stored name the same way [`EntrantName::masked`] does.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_common_korean_mobile_formats() {
        for input in [
            "010-1234-5678",
            "01012345678",
            "010 1234 5678",
            "010.1234.5678",
            "+82 10-1234-5678",
            "+82-10-1234-5678",
            "+821012345678",
            "+82 (0)10 1234 5678",
            "82 10 1234 5678",
            "  010-1234-5678  ",
        ] {
            let phone = PhoneNumber::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(phone.as_str(), "01012345678", "{input}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_korean_mobile_number() {
        for input in [
            "",
            "02-123-4567",
            "010-1234-567",
            "010-1234-56789",
            "+1 415 555 0100",
            "010-1234-567a",
            "０１０-1234-5678",
            "+82 2 1234 5678",
            "010--1234--5678--------------------------",
        ] {
            assert_eq!(
                PhoneNumber::parse(input),
                Err(EntrantInputError::PhoneNotKoreanMobile),
                "{input}"
            );
        }
    }

    #[test]
    fn masks_phone_and_name_as_the_owner_sees_them() {
        assert_eq!(
            PhoneNumber::parse("010-1234-5678").unwrap().masked(),
            "010-****-5678"
        );
        assert_eq!(EntrantName::parse("김철수").unwrap().masked(), "김**");
        assert_eq!(EntrantName::parse("Kim").unwrap().masked(), "K**");
    }

    #[test]
    fn shows_the_full_number_to_the_owner_and_in_e164_to_the_gateway() {
        let phone = PhoneNumber::parse("+82 10-1234-5678").unwrap();
        assert_eq!(phone.formatted(), "010-1234-5678");
        assert_eq!(phone.e164(), "+821012345678");
        let legacy = PhoneNumber::parse("011-123-4567").unwrap();
        assert_eq!(legacy.formatted(), "011-123-4567");
        assert_eq!(legacy.e164(), "+82111234567");
    }

    #[test]
    fn names_are_nfc_normalised_so_decomposed_hangul_counts_as_composed() {
        let nfd = "\u{1100}\u{1175}\u{11B7}\u{110E}\u{1165}\u{11AF}"; // 김철 in jamo
        let name = EntrantName::parse(nfd).unwrap();
        assert_eq!(name.as_str(), "김철");
        assert_eq!(name.masked(), "김*");
    }

    #[test]
    fn name_length_and_content_rules() {
        assert_eq!(
            EntrantName::parse("김"),
            Err(EntrantInputError::NameTooShort)
        );
        assert_eq!(
            EntrantName::parse("  "),
            Err(EntrantInputError::NameTooShort)
        );
        assert_eq!(
            EntrantName::parse(&"가".repeat(51)),
            Err(EntrantInputError::NameTooLong)
        );
        assert_eq!(
            EntrantName::parse("김\u{0}수"),
            Err(EntrantInputError::NameHasControlCharacters)
        );
    }
}
