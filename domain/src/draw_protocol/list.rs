//! The canonical entrant list (`docs/draw-protocol.md` §4): its order, its text, its hash, and
//! the strict parser that accepts nothing but that text. Shared by every protocol version.

use sha2::{Digest, Sha256};

use super::{DrawProtocolError, Entrant, MAX_ENTRANTS};

/// Largest sum of the weights of a list. A WEIGHTED draw reads one `next_u64` per unit of
/// weight, so this bounds its work (and keeps its keystream far below 2^32 ChaCha20 blocks);
/// for RANDOM, whose weights are all 1, it is the same bound as [`MAX_ENTRANTS`].
pub const MAX_TOTAL_WEIGHT: u64 = u32::MAX as u64;

/// Longest canonical list line: 64 hex digits, `,`, up to 10 decimal digits, `\n` (76 bytes).
/// The shortest is 67 bytes (a one-digit weight).
pub(super) const MAX_LINE: usize = 64 + 1 + 10 + 1;

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The frozen entrant list, sorted ascending by pid bytes, pids unique, weights ≥ 1, total
/// weight at most [`MAX_TOTAL_WEIGHT`].
///
/// Whether the weights suit the algorithm (RANDOM needs all 1) and whether there are enough
/// entrants for the winners are checked by the versions' `check_params` / `run`, which see the
/// parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CanonicalList {
    entrants: Vec<Entrant>,
}

impl CanonicalList {
    /// Sorts by pid and rejects duplicate pids, zero weights, more than [`MAX_ENTRANTS`] and a
    /// total weight above [`MAX_TOTAL_WEIGHT`]. The result does not depend on the order of
    /// `entrants`.
    pub fn new(mut entrants: Vec<Entrant>) -> Result<Self, DrawProtocolError> {
        if entrants.len() > MAX_ENTRANTS {
            return Err(DrawProtocolError::TooManyEntrants);
        }
        // Byte order of the pids; the big-endian u64 prefix settles almost every comparison.
        let prefix = |e: &Entrant| {
            let mut head = [0u8; 8];
            head.copy_from_slice(&e.pid[..8]);
            u64::from_be_bytes(head)
        };
        entrants.sort_unstable_by(|a, b| prefix(a).cmp(&prefix(b)).then_with(|| a.pid.cmp(&b.pid)));
        if let Some(pair) = entrants.windows(2).find(|w| w[0].pid == w[1].pid) {
            return Err(DrawProtocolError::DuplicatePid {
                pid: hex32(&pair[0].pid),
            });
        }
        if let Some(e) = entrants.iter().find(|e| e.weight == 0) {
            return Err(DrawProtocolError::ZeroWeight { pid: hex32(&e.pid) });
        }
        // At most 2^32 entrants of weight < 2^32: the sum fits in a u64.
        let total: u64 = entrants.iter().map(|e| u64::from(e.weight)).sum();
        if total > MAX_TOTAL_WEIGHT {
            return Err(DrawProtocolError::TotalWeightTooLarge);
        }
        Ok(Self { entrants })
    }

    /// Entrants in canonical order; ordering indices point into this slice.
    pub fn entrants(&self) -> &[Entrant] {
        &self.entrants
    }

    pub fn len(&self) -> usize {
        self.entrants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entrants.is_empty()
    }

    /// The sum of the weights (at most [`MAX_TOTAL_WEIGHT`]).
    pub fn total_weight(&self) -> u64 {
        self.entrants.iter().map(|e| u64::from(e.weight)).sum()
    }

    /// The canonical list text: `<pid lowercase hex>,<weight decimal>\n` per entrant.
    pub fn text(&self) -> String {
        let mut out = Vec::with_capacity(self.entrants.len() * (MAX_LINE - 8));
        let mut line = [0u8; MAX_LINE];
        for e in &self.entrants {
            let len = write_line(e, &mut line);
            out.extend_from_slice(&line[..len]);
        }
        // Only ASCII hex digits, ',', decimal digits and '\n' were written.
        String::from_utf8(out).unwrap_or_default()
    }

    /// `SHA-256(text())`, streamed line by line without building the text.
    pub fn hash(&self) -> [u8; 32] {
        const CHUNK: usize = 64 * MAX_LINE;
        let mut hasher = Sha256::new();
        let mut chunk = [0u8; CHUNK];
        let mut filled = 0;
        let mut line = [0u8; MAX_LINE];
        for e in &self.entrants {
            let len = write_line(e, &mut line);
            if filled + len > CHUNK {
                hasher.update(&chunk[..filled]);
                filled = 0;
            }
            chunk[filled..filled + len].copy_from_slice(&line[..len]);
            filled += len;
        }
        hasher.update(&chunk[..filled]);
        hasher.finalize().into()
    }

    /// Parses a canonical list text, accepting only exactly what [`CanonicalList::text`]
    /// produces: lowercase hex, no leading zeros, ascending unique pids, LF after every line,
    /// total weight within [`MAX_TOTAL_WEIGHT`]. The empty text is the empty list.
    pub fn parse_text(text: &str) -> Result<Self, DrawProtocolError> {
        if text.is_empty() {
            return Ok(Self::default());
        }
        let Some(body) = text.strip_suffix('\n') else {
            return Err(DrawProtocolError::MissingFinalNewline);
        };
        let mut entrants: Vec<Entrant> = Vec::with_capacity(text.len() / (MAX_LINE - 8));
        let mut total: u64 = 0;
        for (i, raw) in body.split('\n').enumerate() {
            let line = i + 1;
            let e =
                parse_line(raw.as_bytes()).ok_or(DrawProtocolError::MalformedListLine { line })?;
            if let Some(prev) = entrants.last() {
                if e.pid == prev.pid {
                    return Err(DrawProtocolError::DuplicatePid { pid: hex32(&e.pid) });
                }
                if e.pid < prev.pid {
                    return Err(DrawProtocolError::ListNotAscending { line });
                }
            }
            if e.weight == 0 {
                return Err(DrawProtocolError::ZeroWeight { pid: hex32(&e.pid) });
            }
            if entrants.len() == MAX_ENTRANTS {
                return Err(DrawProtocolError::TooManyEntrants);
            }
            total += u64::from(e.weight);
            if total > MAX_TOTAL_WEIGHT {
                return Err(DrawProtocolError::TotalWeightTooLarge);
            }
            entrants.push(e);
        }
        Ok(Self { entrants })
    }
}

/// Writes `<pid hex>,<weight>\n` into `buf`, returning the length (67 to 76).
fn write_line(e: &Entrant, buf: &mut [u8; MAX_LINE]) -> usize {
    for (i, byte) in e.pid.iter().enumerate() {
        buf[2 * i] = HEX_DIGITS[usize::from(byte >> 4)];
        buf[2 * i + 1] = HEX_DIGITS[usize::from(byte & 0x0f)];
    }
    buf[64] = b',';
    let mut digits = [0u8; 10];
    let mut n = e.weight;
    let mut count = 0;
    loop {
        digits[count] = b'0' + (n % 10) as u8;
        count += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for k in 0..count {
        buf[65 + k] = digits[count - 1 - k];
    }
    buf[65 + count] = b'\n';
    66 + count
}

/// Parses one line without its LF (66 to 75 bytes). `None` if it is not in canonical form
/// (weight 0 is returned as such so the caller can name the rule).
fn parse_line(line: &[u8]) -> Option<Entrant> {
    if line.len() < 66 || line.len() > MAX_LINE - 1 || line[64] != b',' {
        return None;
    }
    let pid = parse_hex32_bytes(&line[..64])?;
    let digits = &line[65..];
    if digits.len() > 1 && digits[0] == b'0' {
        return None;
    }
    let mut weight: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        weight = weight * 10 + u64::from(d - b'0');
    }
    let weight = u32::try_from(weight).ok()?;
    Some(Entrant { pid, weight })
}

/// Nibble value of each lowercase hex digit; 0xff for every other byte.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 16 {
        table[HEX_DIGITS[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Strict lowercase hex of exactly 32 bytes.
fn parse_hex32_bytes(hex_digits: &[u8]) -> Option<[u8; 32]> {
    if hex_digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex_digits.chunks_exact(2)) {
        let hi = HEX_VALUES[usize::from(pair[0])];
        let lo = HEX_VALUES[usize::from(pair[1])];
        if (hi | lo) & 0xf0 != 0 {
            return None;
        }
        *byte = (hi << 4) | lo;
    }
    Some(out)
}

/// Lowercase hex of 32 bytes (pids, hashes, seeds), as published.
pub fn hex32(bytes: &[u8; 32]) -> String {
    let mut digits = [0u8; 64];
    for (pair, byte) in digits.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX_DIGITS[usize::from(byte >> 4)];
        pair[1] = HEX_DIGITS[usize::from(byte & 0x0f)];
    }
    // Only ASCII hex digits were written, so this never falls back.
    std::str::from_utf8(&digits)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// Strict lowercase hex of exactly 32 bytes (the form every hash and pid is published in).
pub fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    parse_hex32_bytes(s.as_bytes())
}
