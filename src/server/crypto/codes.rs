//! One-time codes: backup codes for a lost authenticator, and SMS codes.

use rand::Rng;
use std::collections::HashSet;

/// Unambiguous lowercase alphabet for backup codes (no 0/o, 1/l/i).
pub const BACKUP_CODE_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// How many backup codes one batch holds.
pub const BACKUP_CODE_COUNT: usize = 10;
/// Characters in one backup code.
pub const BACKUP_CODE_LEN: usize = 10;

/// A freshly generated one-time code (backup or SMS) in plaintext.
pub struct OneTimeCode(String);

impl std::fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimeCode(redacted)")
    }
}

impl OneTimeCode {
    /// The code in plaintext, to show the user once or to hash for storage.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Ten distinct backup codes, each 10 characters drawn uniformly from
/// [`BACKUP_CODE_ALPHABET`] with the operating system's generator.
pub fn generate_backup_codes() -> Vec<OneTimeCode> {
    let mut rng = rand::rngs::OsRng;
    let mut seen = HashSet::with_capacity(BACKUP_CODE_COUNT);
    let mut codes = Vec::with_capacity(BACKUP_CODE_COUNT);
    while codes.len() < BACKUP_CODE_COUNT {
        // gen_range samples without modulo bias.
        let code: String = (0..BACKUP_CODE_LEN)
            .map(|_| char::from(BACKUP_CODE_ALPHABET[rng.gen_range(0..BACKUP_CODE_ALPHABET.len())]))
            .collect();
        // A repeat is astronomically unlikely, but two equal codes would let one
        // redemption look like two.
        if seen.insert(code.clone()) {
            codes.push(OneTimeCode(code));
        }
    }
    codes
}

/// A uniformly random 6-digit SMS code, leading zeros kept.
pub fn generate_sms_code() -> OneTimeCode {
    let value: u32 = rand::rngs::OsRng.gen_range(0..1_000_000);
    OneTimeCode(format!("{value:06}"))
}

/// Splits a code in two halves with a hyphen for display: "abcdefghjk" → "abcde-fghjk".
///
/// Codes shorter than two characters are returned unchanged; an odd-length
/// code gets the longer half first.
pub fn display_backup_code(code: &str) -> String {
    let count = code.chars().count();
    if count < 2 {
        return code.to_string();
    }
    let split = code
        .char_indices()
        .nth(count.div_ceil(2))
        .map_or(code.len(), |(index, _)| index);
    let (first, second) = code.split_at(split);
    format!("{first}-{second}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_codes_have_the_right_count_length_and_alphabet() {
        let codes = generate_backup_codes();
        assert_eq!(codes.len(), BACKUP_CODE_COUNT);
        for code in &codes {
            assert_eq!(code.expose().len(), BACKUP_CODE_LEN);
            assert!(
                code.expose()
                    .bytes()
                    .all(|b| BACKUP_CODE_ALPHABET.contains(&b)),
                "{}",
                code.expose()
            );
        }
    }

    #[test]
    fn alphabet_has_no_ambiguous_characters() {
        assert_eq!(BACKUP_CODE_ALPHABET.len(), 31);
        for ambiguous in b"01ilo" {
            assert!(!BACKUP_CODE_ALPHABET.contains(ambiguous));
        }
        let unique: HashSet<&u8> = BACKUP_CODE_ALPHABET.iter().collect();
        assert_eq!(unique.len(), BACKUP_CODE_ALPHABET.len());
    }

    #[test]
    fn backup_codes_in_one_batch_are_distinct() {
        let codes = generate_backup_codes();
        let unique: HashSet<&str> = codes.iter().map(OneTimeCode::expose).collect();
        assert_eq!(unique.len(), codes.len());
    }

    #[test]
    fn backup_codes_use_the_whole_alphabet() {
        // 100 batches give 10,000 characters; each of the 31 symbols is
        // expected ~323 times, so missing one would mean a broken sampler.
        let mut seen = HashSet::new();
        for _ in 0..100 {
            for code in generate_backup_codes() {
                seen.extend(code.expose().bytes());
            }
        }
        assert_eq!(seen.len(), BACKUP_CODE_ALPHABET.len());
    }

    #[test]
    fn sms_code_is_six_ascii_digits() {
        for _ in 0..200 {
            let code = generate_sms_code();
            assert_eq!(code.expose().len(), 6);
            assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn debug_is_redacted() {
        let code = generate_sms_code();
        let shown = format!("{code:?}");
        assert_eq!(shown, "OneTimeCode(redacted)");
        assert!(!shown.contains(code.expose()));
    }

    #[test]
    fn display_format_splits_in_halves() {
        assert_eq!(display_backup_code("abcdefghjk"), "abcde-fghjk");
        assert_eq!(display_backup_code("abcde"), "abc-de");
        assert_eq!(display_backup_code("ab"), "a-b");
        assert_eq!(display_backup_code("a"), "a");
        assert_eq!(display_backup_code(""), "");
        for code in generate_backup_codes() {
            let shown = display_backup_code(code.expose());
            assert_eq!(shown.len(), BACKUP_CODE_LEN + 1);
            assert_eq!(shown.as_bytes()[5], b'-');
            assert_eq!(shown.replace('-', ""), code.expose());
        }
    }
}
