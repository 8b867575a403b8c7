//! API key tokens: `ssk_` + 32 random bytes in base62 (43 characters) + a
//! 6-character base62 CRC32 of those 43, so a secret scanner, or our own API,
//! tells a well-formed key from a typo without a database lookup.

use crate::server::crypto::sha256_hex;
use rand::RngCore;

/// What every key starts with.
pub const TOKEN_PREFIX: &str = "ssk_";
const BODY_CHARS: usize = 43;
const CHECKSUM_CHARS: usize = 6;
/// The whole token's length: 4 + 43 + 6.
pub const TOKEN_CHARS: usize = TOKEN_PREFIX.len() + BODY_CHARS + CHECKSUM_CHARS;
/// How many characters after `ssk_` the list shows to identify a key.
pub const VISIBLE_PREFIX_CHARS: usize = 8;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why text is not a key we could have issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenProblem {
    NotOurs,
    WrongLength,
    BadCharacter,
    Checksum,
}

/// A full API key. Never `Debug`-printed, never serialized: the plaintext
/// leaves the server once, in the create or rotate response.
pub struct ApiToken(String);

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiToken({}…, redacted)", self.visible_prefix())
    }
}

impl ApiToken {
    /// A new key from the OS generator.
    pub fn generate() -> ApiToken {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let body = base62_fixed(&bytes, BODY_CHARS);
        let checksum = checksum_of(&body);
        ApiToken(format!("{TOKEN_PREFIX}{body}{checksum}"))
    }

    /// Accepts only a well-formed key with a matching checksum.
    pub fn parse(text: &str) -> Result<ApiToken, TokenProblem> {
        let rest = text
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(TokenProblem::NotOurs)?;
        if text.len() != TOKEN_CHARS {
            return Err(TokenProblem::WrongLength);
        }
        if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(TokenProblem::BadCharacter);
        }
        let (body, checksum) = rest.split_at(BODY_CHARS);
        if base62_decode(body).is_none_or(|value| value.len() > 32) {
            return Err(TokenProblem::BadCharacter);
        }
        if checksum_of(body) != checksum {
            return Err(TokenProblem::Checksum);
        }
        Ok(ApiToken(text.to_string()))
    }

    /// The value to hand to the client, exactly once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database stores.
    pub fn hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }

    /// The first characters after `ssk_`, shown in the list to tell keys apart.
    pub fn visible_prefix(&self) -> &str {
        &self.0[TOKEN_PREFIX.len()..TOKEN_PREFIX.len() + VISIBLE_PREFIX_CHARS]
    }
}

fn checksum_of(body: &str) -> String {
    base62_fixed(
        &crc32fast::hash(body.as_bytes()).to_be_bytes(),
        CHECKSUM_CHARS,
    )
}

/// Big-endian bytes as base62, left-padded with '0' to `width` digits.
fn base62_fixed(bytes: &[u8], width: usize) -> String {
    let mut number: Vec<u8> = bytes.to_vec();
    let mut digits = Vec::with_capacity(width);
    while number.iter().any(|&b| b != 0) {
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 62) as u8;
            remainder = value % 62;
        }
        digits.push(ALPHABET[remainder as usize]);
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8_lossy(&digits).into_owned()
}

/// Base62 text as big-endian bytes without leading zeros; `None` on a bad digit.
fn base62_decode(text: &str) -> Option<Vec<u8>> {
    let mut number: Vec<u8> = Vec::new();
    for c in text.bytes() {
        let digit = ALPHABET.iter().position(|&a| a == c)? as u32;
        let mut carry = digit;
        for byte in number.iter_mut().rev() {
            let value = u32::from(*byte) * 62 + carry;
            *byte = (value & 0xff) as u8;
            carry = value >> 8;
        }
        while carry > 0 {
            number.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    Some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_shape() {
        let token = ApiToken::generate();
        let text = token.expose();
        assert_eq!(text.len(), TOKEN_CHARS);
        assert_eq!(TOKEN_CHARS, 53);
        assert!(text.starts_with("ssk_"));
        assert!(text[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(token.visible_prefix(), &text[4..12]);
        assert_ne!(text, ApiToken::generate().expose());
    }

    #[test]
    fn generated_keys_parse_back_to_the_same_hash() {
        for _ in 0..200 {
            let token = ApiToken::generate();
            let parsed = ApiToken::parse(token.expose()).unwrap();
            assert_eq!(parsed.hash(), token.hash());
        }
    }

    #[test]
    fn base62_round_trips_and_pads() {
        let cases: [&[u8]; 5] = [
            &[0],
            &[1],
            &[255, 255],
            &[1, 0, 0, 0, 0],
            &[0xde, 0xad, 0xbe, 0xef],
        ];
        for bytes in cases {
            let text = base62_fixed(bytes, 12);
            assert_eq!(text.len(), 12);
            let decoded = base62_decode(&text).unwrap();
            let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
            assert_eq!(decoded, trimmed, "{bytes:?} -> {text}");
        }
        assert_eq!(base62_fixed(&[61], 2), "0z");
        assert_eq!(base62_fixed(&[62], 2), "10");
        let max = base62_fixed(&[0xff; 32], BODY_CHARS);
        assert_eq!(max.len(), BODY_CHARS, "32 bytes always fit in 43 digits");
        assert_eq!(base62_decode(&max).unwrap(), vec![0xff; 32]);
        assert!(base62_decode("abc-").is_none());
    }

    #[test]
    fn the_checksum_is_a_known_crc32() {
        // CRC-32 (IEEE) of "123456789" is 0xCBF43926 = 3421780262.
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
        let mut value = 3_421_780_262u64;
        let mut expected = Vec::new();
        while value > 0 {
            expected.push(ALPHABET[(value % 62) as usize]);
            value /= 62;
        }
        while expected.len() < 6 {
            expected.push(b'0');
        }
        expected.reverse();
        assert_eq!(checksum_of("123456789").as_bytes(), expected.as_slice());
    }

    #[test]
    fn mangled_keys_are_refused_without_a_lookup() {
        let good = ApiToken::generate().expose().to_string();
        // One character changed anywhere after the prefix breaks the checksum.
        for position in [4, 20, 46, 47, 52] {
            let mut bytes = good.clone().into_bytes();
            bytes[position] = if bytes[position] == b'a' { b'b' } else { b'a' };
            let mangled = String::from_utf8(bytes).unwrap();
            assert!(
                matches!(ApiToken::parse(&mangled), Err(TokenProblem::Checksum)),
                "{position}"
            );
        }
        assert_eq!(ApiToken::parse("").err(), Some(TokenProblem::NotOurs));
        assert_eq!(
            ApiToken::parse(&good[4..]).err(),
            Some(TokenProblem::NotOurs)
        );
        assert_eq!(
            ApiToken::parse("SSK_abc").err(),
            Some(TokenProblem::NotOurs)
        );
        assert_eq!(
            ApiToken::parse(&good[..52]).err(),
            Some(TokenProblem::WrongLength)
        );
        assert_eq!(
            ApiToken::parse(&format!("{good}x")).err(),
            Some(TokenProblem::WrongLength)
        );
        let mut with_dash = good.clone();
        with_dash.replace_range(10..11, "-");
        assert_eq!(
            ApiToken::parse(&with_dash).err(),
            Some(TokenProblem::BadCharacter)
        );
        let mut non_ascii = good[..51].to_string();
        non_ascii.push('é');
        assert_eq!(
            ApiToken::parse(&non_ascii).err(),
            Some(TokenProblem::BadCharacter)
        );
        // 43 'z's is more than 256 bits.
        let too_big = format!("ssk_{}", "z".repeat(43));
        let too_big = format!("{too_big}{}", checksum_of(&too_big[4..]));
        assert_eq!(
            ApiToken::parse(&too_big).err(),
            Some(TokenProblem::BadCharacter)
        );
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let token = ApiToken::generate();
        let printed = format!("{token:?}");
        assert!(!printed.contains(&token.expose()[12..]));
        assert!(printed.contains("redacted"));
    }
}
