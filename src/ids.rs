//! Ids as the browser sends them back: every id is a UUID (v7) in text.

/// Whether `text` has the canonical UUID shape (8-4-4-4-12 hex digits).
pub fn is_uuid_shaped(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
