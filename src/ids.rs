//! Ids and URL parts as the browser sends them back and gets them: every id
//! is a UUID (v7) in text; query components are percent-encoded.

/// Whether `text` has the canonical UUID shape (8-4-4-4-12 hex digits).
pub fn is_uuid_shaped(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Percent-encodes a query component (keeps `/` readable in `?next=` paths).
pub fn encode_query_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Whether `text` is a path on this site, safe to send a browser to: it
/// starts with one `/`, and neither it nor its percent-decoded form starts
/// with `//` or `/\` (another host) or holds a backslash or a control
/// character (tabs and newlines that browsers drop, turning `/\t/x` into `//x`).
pub fn is_local_path(text: &str) -> bool {
    let safe = |path: &str| {
        path.starts_with('/')
            && !path.starts_with("//")
            && !path.chars().any(|c| c.is_control() || c == '\\')
    };
    safe(text) && safe(&percent_decoded(text))
}

/// `text` with every `%XX` replaced by its byte (invalid UTF-8 replaced).
fn percent_decoded(text: &str) -> String {
    String::from_utf8_lossy(&percent_decode_bytes(text.as_bytes())).into_owned()
}

/// `bytes` with every `%XX` replaced by its byte; a malformed escape stays
/// as it is.
pub fn percent_decode_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_components_are_percent_encoded() {
        assert_eq!(
            encode_query_component("/settings/security?a=b&c"),
            "/settings/security%3Fa%3Db%26c"
        );
    }

    #[test]
    fn only_paths_on_this_site_are_local() {
        for good in [
            "/",
            "/settings/security",
            "/login?next=%2Fsettings",
            "/a/%2F/b",
        ] {
            assert!(is_local_path(good), "{good}");
        }
        for bad in [
            "",
            "//evil.example/",
            "/\\evil.example",
            "/%2F%2Fevil.example",
            "/%5Cevil.example",
            "https://evil.example/",
            "evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%09/evil.example",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn only_the_canonical_shape_passes() {
        assert!(is_uuid_shaped("0190f3a2-7b1c-7d4e-8f00-0123456789AB"));
        for bad in [
            "",
            "0190f3a2-7b1c-7d4e-8f00-0123456789abc",
            "0190f3a2x7b1c-7d4e-8f00-0123456789ab",
            "0190f3a2-7b1c-7d4e-8f00-0123456789aé",
        ] {
            assert!(!is_uuid_shaped(bad), "{bad}");
        }
    }
}
