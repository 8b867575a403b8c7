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
