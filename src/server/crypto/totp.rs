//! Time-based one-time passwords (RFC 6238) for authenticator apps, and the
//! QR code that carries a new secret to the user's phone.

use qrcode::{Color, EcLevel, QrCode};
use rand::RngCore;
use std::fmt::Write;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

/// Number of digits in the codes users type.
pub const TOTP_DIGITS: usize = 6;
/// Length of one time step in seconds.
pub const TOTP_STEP_SECS: u64 = 30;
/// Issuer name shown by authenticator apps.
pub const ISSUER: &str = "StatusStack";

const SECRET_LEN: usize = 20;
// The QR specification asks for four light modules around the symbol.
const QUIET_ZONE: usize = 4;

/// 160-bit TOTP secret.
#[derive(Clone)]
pub struct TotpSecret([u8; SECRET_LEN]);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(redacted)")
    }
}

impl TotpSecret {
    /// A fresh random secret from the operating system's generator.
    pub fn generate() -> TotpSecret {
        let mut bytes = [0u8; SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    /// The secret held in `bytes`, or `None` unless it is exactly 20 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Option<TotpSecret> {
        let array: [u8; SECRET_LEN] = bytes.try_into().ok()?;
        Some(TotpSecret(array))
    }

    /// The raw secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret in RFC 4648 base32: uppercase, unpadded, 32 characters.
    pub fn base32(&self) -> String {
        Secret::Raw(self.0.to_vec()).to_encoded().to_string()
    }

    /// The base32 secret in groups of four characters separated by single spaces,
    /// for typing into an authenticator by hand.
    pub fn grouped(&self) -> String {
        let encoded = self.base32();
        let mut out = String::with_capacity(encoded.len() + encoded.len() / 4);
        for (index, ch) in encoded.chars().enumerate() {
            if index > 0 && index % 4 == 0 {
                out.push(' ');
            }
            out.push(ch);
        }
        out
    }
}

/// The time step that `unix_secs` falls into.
pub fn step_at(unix_secs: u64) -> u64 {
    unix_secs / TOTP_STEP_SECS
}

/// The code of `digits` digits for time step `step` (HMAC-SHA-1), via totp-rs.
///
/// `digits` is clamped to 1..=9, the range whose modulus fits the 31-bit
/// truncated HMAC value.
pub fn code_at_step(secret: &[u8], step: u64, digits: usize) -> String {
    // A one-second period makes the "time" totp-rs divides by the period equal
    // to the step itself, so no multiplication can overflow.
    let digits = digits.clamp(1, 9);
    TOTP::new_unchecked(Algorithm::SHA1, digits, 0, 1, secret.to_vec()).generate(step)
}

/// The time step in {step-1, step, step+1} whose 6-digit code equals `code`
/// (compared in constant time), or `None`. Nothing wider than ±1 step is accepted.
///
/// When two steps in the window share the code, the current step wins, then the
/// previous one.
pub fn matching_step(secret: &TotpSecret, code: &str, unix_secs: u64) -> Option<u64> {
    if code.len() != TOTP_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = step_at(unix_secs);
    let candidates = [Some(step), step.checked_sub(1), step.checked_add(1)];
    let mut found = None;
    // Every candidate is computed and compared so the timing does not reveal
    // which step matched.
    for candidate in candidates.into_iter().flatten() {
        let expected = code_at_step(secret.as_bytes(), candidate, TOTP_DIGITS);
        let equal: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        if equal && found.is_none() {
            found = Some(candidate);
        }
    }
    found
}

/// The `otpauth://` URI that enrols `secret` for `email` in an authenticator app:
/// `otpauth://totp/StatusStack:<percent-encoded email>?secret=<BASE32>&issuer=StatusStack&algorithm=SHA1&digits=6&period=30`.
pub fn otpauth_uri(secret: &TotpSecret, email: &str) -> String {
    format!(
        "otpauth://totp/{issuer}:{label}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECS}",
        issuer = percent_encode(ISSUER),
        label = percent_encode(email),
        secret = secret.base32(),
    )
}

/// Encodes every byte except the RFC 3986 unreserved characters as `%XX`.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The QR code of `text` (error correction level M) as an inline `<svg>` element:
/// black modules on a white background with a quiet zone, a `viewBox` and
/// `width="100%" height="100%"` so it scales crisply with CSS,
/// `shape-rendering="crispEdges"`, and `role="img" aria-label="QR code"`.
pub fn qr_svg(text: &str) -> anyhow::Result<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| anyhow::anyhow!("Failed to encode the QR code: {e}"))?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET_ZONE;

    let mut svg = format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}""#,
            r#" width="100%" height="100%" shape-rendering="crispEdges""#,
            r#" role="img" aria-label="QR code">"#,
            r##"<rect width="{size}" height="{size}" fill="#fff"/>"##,
            r##"<path fill="#000" d=""##,
        ),
        size = size,
    );
    for (y, row) in colors.chunks(width.max(1)).enumerate() {
        // Runs of dark modules become one rectangle each, which keeps the path short.
        let mut x = 0;
        while x < row.len() {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < row.len() && row[x] == Color::Dark {
                x += 1;
            }
            let _ = write!(
                svg,
                "M{} {}h{}v1h-{}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE,
                x - start,
                x - start
            );
        }
    }
    svg.push_str(r#""/></svg>"#);
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    fn secret() -> TotpSecret {
        TotpSecret::from_bytes(RFC_SECRET).unwrap()
    }

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let vectors: [(u64, &str); 6] = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, expected) in vectors {
            assert_eq!(
                code_at_step(RFC_SECRET, step_at(time), 8),
                expected,
                "T = {time}"
            );
        }
    }

    #[test]
    fn six_digit_code_is_the_last_six_of_the_eight_digit_one() {
        assert_eq!(code_at_step(RFC_SECRET, step_at(59), 6), "287082");
        assert_eq!(
            code_at_step(RFC_SECRET, step_at(1_111_111_109), 6),
            "081804"
        );
    }

    #[test]
    fn skew_window_accepts_one_step_either_side_and_no_more() {
        let secret = secret();
        let now = 1_700_000_015;
        let step = step_at(now);
        for candidate in [step - 1, step, step + 1] {
            let code = code_at_step(secret.as_bytes(), candidate, TOTP_DIGITS);
            assert_eq!(matching_step(&secret, &code, now), Some(candidate));
        }
        // Fixed secret and time, so these codes are known not to collide with
        // any code inside the window.
        for candidate in [step - 2, step + 2] {
            let code = code_at_step(secret.as_bytes(), candidate, TOTP_DIGITS);
            assert_eq!(matching_step(&secret, &code, now), None);
        }
    }

    #[test]
    fn step_zero_has_no_previous_step() {
        let secret = secret();
        let code = code_at_step(secret.as_bytes(), 0, TOTP_DIGITS);
        assert_eq!(matching_step(&secret, &code, 10), Some(0));
        let next = code_at_step(secret.as_bytes(), 1, TOTP_DIGITS);
        assert_eq!(matching_step(&secret, &next, 10), Some(1));
        let max = code_at_step(secret.as_bytes(), step_at(u64::MAX), TOTP_DIGITS);
        assert_eq!(
            matching_step(&secret, &max, u64::MAX),
            Some(step_at(u64::MAX))
        );
    }

    #[test]
    fn malformed_codes_are_refused() {
        let secret = secret();
        let now = 59;
        let good = code_at_step(secret.as_bytes(), step_at(now), TOTP_DIGITS);
        assert_eq!(matching_step(&secret, &good, now), Some(step_at(now)));
        let eight = code_at_step(secret.as_bytes(), step_at(now), 8);
        for bad in [
            "",
            "28708",
            "2870820",
            eight.as_str(),
            "28708a",
            " 287082",
            "287 082",
            "-28708",
            "２８７０８２",
        ] {
            assert_eq!(matching_step(&secret, bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_round_trips_and_groups_in_fours() {
        let secret = TotpSecret::generate();
        let encoded = secret.base32();
        assert_eq!(encoded.len(), 32);
        assert!(
            encoded
                .chars()
                .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
        );
        let decoded = Secret::Encoded(encoded.clone()).to_bytes().unwrap();
        assert_eq!(decoded, secret.as_bytes());

        let grouped = secret.grouped();
        assert_eq!(grouped.len(), 39);
        let groups: Vec<&str> = grouped.split(' ').collect();
        assert_eq!(groups.len(), 8);
        assert!(groups.iter().all(|g| g.len() == 4));
        assert_eq!(grouped.replace(' ', ""), encoded);

        assert_eq!(
            TotpSecret::from_bytes(RFC_SECRET).unwrap().base32(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(
            TotpSecret::from_bytes(RFC_SECRET).unwrap().grouped(),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
    }

    #[test]
    fn from_bytes_requires_exactly_twenty_bytes() {
        assert!(TotpSecret::from_bytes(&[0; 19]).is_none());
        assert!(TotpSecret::from_bytes(&[0; 21]).is_none());
        assert!(TotpSecret::from_bytes(&[]).is_none());
        assert_eq!(
            TotpSecret::from_bytes(&[7; 20]).unwrap().as_bytes(),
            &[7; 20]
        );
    }

    #[test]
    fn generated_secrets_differ_and_debug_is_redacted() {
        let a = TotpSecret::generate();
        let b = TotpSecret::generate();
        assert_ne!(a.as_bytes(), b.as_bytes());
        let shown = format!("{a:?}");
        assert_eq!(shown, "TotpSecret(redacted)");
        assert!(!shown.contains(&a.base32()));
    }

    #[test]
    fn otpauth_uri_has_the_expected_format() {
        let secret = secret();
        let uri = otpauth_uri(&secret, "ann+2fa@example.com");
        assert_eq!(
            uri,
            "otpauth://totp/StatusStack:ann%2B2fa%40example.com\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=StatusStack&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(percent_encode("a-b.c_d~e é"), "a-b.c_d~e%20%C3%A9");
    }

    #[test]
    fn qr_svg_is_an_inline_scalable_svg() {
        let uri = otpauth_uri(&secret(), "ann+2fa@example.com");
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("viewBox"));
        assert!(svg.contains(r#"shape-rendering="crispEdges""#));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-label="QR code""#));
        assert!(!svg.contains("<?xml"));
        let open_tag = &svg[..svg.find('>').unwrap()];
        assert!(open_tag.contains(r#"width="100%" height="100%""#));
        assert_eq!(open_tag.matches("width=").count(), 1);
        assert_eq!(open_tag.matches("height=").count(), 1);

        let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).unwrap();
        let size = code.width() + 2 * QUIET_ZONE;
        assert!(svg.contains(&format!(r#"viewBox="0 0 {size} {size}""#)));
        assert!(svg.contains("M4 4h7v1h-7z"), "top-left finder pattern row");
    }

    #[test]
    fn qr_svg_path_draws_exactly_the_dark_modules() {
        let uri = otpauth_uri(&secret(), "ann+2fa@example.com");
        let svg = qr_svg(&uri).unwrap();
        let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).unwrap();
        let width = code.width();
        let size = width + 2 * QUIET_ZONE;
        let mut drawn = vec![false; size * size];
        let start = svg.find(r#" d=""#).unwrap() + 4;
        let end = start + svg[start..].find('"').unwrap();
        for segment in svg[start..end].split('z').filter(|s| !s.is_empty()) {
            let (x, rest) = segment.strip_prefix('M').unwrap().split_once(' ').unwrap();
            let (y, rest) = rest.split_once('h').unwrap();
            let (run, _) = rest.split_once('v').unwrap();
            let (x, y, run): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), run.parse().unwrap());
            for dx in 0..run {
                assert!(!drawn[y * size + x + dx], "module drawn twice");
                drawn[y * size + x + dx] = true;
            }
        }
        for y in 0..size {
            for x in 0..size {
                let inside = (QUIET_ZONE..QUIET_ZONE + width).contains(&x)
                    && (QUIET_ZONE..QUIET_ZONE + width).contains(&y);
                let dark = inside && code[(x - QUIET_ZONE, y - QUIET_ZONE)] == Color::Dark;
                assert_eq!(drawn[y * size + x], dark, "module ({x}, {y})");
            }
        }
    }

    #[test]
    fn qr_svg_rejects_text_too_long_for_a_qr_code() {
        assert!(qr_svg(&"x".repeat(5000)).is_err());
    }
}
