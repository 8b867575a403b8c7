//! The JSON every server function answers with, read in the browser the way
//! Leptos reads a resource's hydration data: from text (`serde_json::from_str`).
//!
//! The wire format is server_fn's own `Json` (`application/json`, written with
//! `serde_json::to_vec`). Only the reading differs: server_fn reads answers
//! from bytes (`from_slice`) while resources read theirs from a string, so
//! every type a page both hydrates and fetches had its whole deserializer
//! compiled into the Wasm twice, once per reader. Reading both from text
//! compiles it once.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{Serialize, de::DeserializeOwned};

/// JSON, read from text. `#[server(output = crate::codec::Json)]`.
pub type Json = Post<JsonText>;

/// The encoding behind [`Json`]; also the encoding of [`crate::error::AppError`].
pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        // Not UTF-8 is not JSON either; serde_json says so in its own error.
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            serde_json::Error::io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the answer is not UTF-8 text",
            ))
        })?;
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_it_writes_and_refuses_what_is_not_text() {
        let bytes = <JsonText as Encodes<Vec<String>>>::encode(&vec!["a\u{e9}".to_string()])
            .map_err(|e| e.to_string());
        let Ok(bytes) = bytes else {
            panic!("encoding failed: {bytes:?}");
        };
        let back: Result<Vec<String>, _> = <JsonText as Decodes<Vec<String>>>::decode(bytes);
        assert_eq!(back.ok(), Some(vec!["a\u{e9}".to_string()]));
        let not_text: Result<Vec<String>, _> =
            <JsonText as Decodes<Vec<String>>>::decode(Bytes::from_static(b"[\"\xff\"]"));
        let message = not_text.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("not UTF-8"), "{message}");
    }
}
