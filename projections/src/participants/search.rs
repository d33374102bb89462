//! What the participant list's search box matches, decided by the shape of
//! what the owner typed, so that every search is an index lookup:
//! - one letter: a name's initial (`김`), the only part of a name the list
//!   keeps unmasked;
//! - digits: the last four digits of the phone (`1234`) or the entry's
//!   sequence number, the part after the last dash (`7`, `007` and `0007`
//!   all find `EVT…-20261201-007`);
//! - anything else: a whole entry number, in any letter case.
//!
//! A fragment anywhere inside an entry number (`ILIKE '%…%'`) is not
//! matched: it cannot use an index, so it costs a scan of the campaign, and
//! its common fragments (the date, the campaign code) match every entry.

use sqlx::{Postgres, QueryBuilder};

/// A parsed search term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Search {
    Initial(String),
    Digits {
        /// Set when the term is exactly four digits.
        phone_last4: Option<String>,
        /// The sequence as entry numbers print it (at least three digits).
        sequence: Option<String>,
    },
    EntryNumber(String),
}

/// The longest sequence number searched for (entry numbers count per day).
const MAX_SEQUENCE_DIGITS: usize = 9;

impl Search {
    pub(super) fn parse(q: &str) -> Self {
        let q = q.trim();
        if q.chars().all(|c| c.is_ascii_digit()) {
            let phone_last4 = (q.len() == 4).then(|| q.to_string());
            let sequence = (q.len() <= MAX_SEQUENCE_DIGITS)
                .then(|| q.parse::<u32>().ok())
                .flatten()
                .filter(|n| *n > 0)
                .map(|n| format!("{n:03}"));
            return Self::Digits {
                phone_last4,
                sequence,
            };
        }
        let mut chars = q.chars();
        match (chars.next(), chars.next()) {
            (Some(initial), None) => Self::Initial(initial.to_string()),
            _ => Self::EntryNumber(q.to_uppercase()),
        }
    }

    /// Appends ` AND (…)` to a query over `participants`.
    pub(super) fn push_condition(&self, builder: &mut QueryBuilder<'_, Postgres>) {
        match self {
            Self::Initial(initial) => {
                builder
                    .push(" AND left(name_masked, 1) = ")
                    .push_bind(initial.clone());
            }
            Self::Digits {
                phone_last4,
                sequence,
            } => {
                builder.push(" AND (false");
                if let Some(last4) = phone_last4 {
                    builder.push(" OR phone_last4 = ").push_bind(last4.clone());
                }
                if let Some(sequence) = sequence {
                    builder
                        .push(" OR split_part(entry_number, '-', 3) = ")
                        .push_bind(sequence.clone());
                }
                builder.push(")");
            }
            Self::EntryNumber(number) => {
                builder
                    .push(" AND entry_number = ")
                    .push_bind(number.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_letter_is_an_initial() {
        assert_eq!(Search::parse("김"), Search::Initial("김".into()));
        assert_eq!(Search::parse(" a "), Search::Initial("a".into()));
    }

    #[test]
    fn four_digits_are_a_phone_ending_or_a_sequence() {
        assert_eq!(
            Search::parse("0003"),
            Search::Digits {
                phone_last4: Some("0003".into()),
                sequence: Some("003".into())
            }
        );
        assert_eq!(
            Search::parse("1234"),
            Search::Digits {
                phone_last4: Some("1234".into()),
                sequence: Some("1234".into())
            }
        );
    }

    #[test]
    fn other_digits_are_a_sequence_number() {
        for q in ["7", "07", "007"] {
            assert_eq!(
                Search::parse(q),
                Search::Digits {
                    phone_last4: None,
                    sequence: Some("007".into())
                },
                "{q}"
            );
        }
        assert_eq!(
            Search::parse("0"),
            Search::Digits {
                phone_last4: None,
                sequence: None
            }
        );
        assert_eq!(
            Search::parse("12345678901"),
            Search::Digits {
                phone_last4: None,
                sequence: None
            }
        );
    }

    #[test]
    fn anything_else_is_a_whole_entry_number() {
        assert_eq!(
            Search::parse("evt3f9a2c10-20251029-003"),
            Search::EntryNumber("EVT3F9A2C10-20251029-003".into())
        );
        assert_eq!(Search::parse("김철"), Search::EntryNumber("김철".into()));
    }
}
