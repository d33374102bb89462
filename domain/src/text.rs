//! Free text as people type it (store names, titles, prizes, search words):
//! one rule for every text field. Control characters (NUL, the other C0
//! controls, DEL and the C1 controls) are refused; tab and line breaks are
//! the only controls with a meaning in text and are kept. A NUL would
//! otherwise reach Postgres, which cannot store it in `text`.

/// Why a text is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("control character U+{0:04X}")]
    ControlCharacter(u32),
}

impl TextError {
    /// The Korean reason shown to the user.
    pub fn reason_ko(&self) -> &'static str {
        match self {
            Self::ControlCharacter(_) => "제어 문자(NUL 등)는 쓸 수 없습니다",
        }
    }
}

/// Whether `c` is a control character text may not hold.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Checks one text value.
pub fn check(text: &str) -> Result<(), TextError> {
    match text.chars().find(|c| is_forbidden_control(*c)) {
        Some(c) => Err(TextError::ControlCharacter(u32::from(c))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_refused_and_whitespace_and_hangul_kept() {
        for ok in [
            "",
            "우리동네 빵집",
            "1층\n2층\t창가\r\n",
            "café ☕ \u{200B}\u{FEFF}",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok:?}");
        }
        for (bad, code) in [
            ("a\0b", 0),
            ("\u{1}", 1),
            ("\u{1b}[31m", 0x1b),
            ("x\u{7f}", 0x7f),
            ("\u{85}", 0x85),
            ("\u{9f}", 0x9f),
        ] {
            assert_eq!(
                check(bad),
                Err(TextError::ControlCharacter(code)),
                "{bad:?}"
            );
        }
    }
}
