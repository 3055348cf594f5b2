//! The encoding of every server function's response: JSON, decoded in the browser from text.
//!
//! Why not server_fn's own `Json` output: it decodes with `serde_json::from_slice`, while a
//! resource hydrated from the page decodes the same type with `serde_json::from_str`
//! (leptos' `JsonSerdeCodec`). serde_json's deserializer is generic over its reader, so every
//! type read both ways was compiled twice into the wasm bundle. Decoding responses from text
//! too leaves one copy. The bytes on the wire are unchanged (`application/json`).

use serde::{de::DeserializeOwned, Serialize};
use server_fn::codec::Post;
use server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};

/// JSON like server_fn's `JsonEncoding`, decoded through `&str`.
pub struct TextJsonEncoding;

/// A server function's response as JSON: `#[server(output = JsonOut, ...)]`.
pub type JsonOut = Post<TextJsonEncoding>;

impl ContentType for TextJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for TextJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for TextJsonEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for TextJsonEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text =
            std::str::from_utf8(&bytes).map_err(<serde_json::Error as serde::de::Error>::custom)?;
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_bytes_that_are_not_text() {
        let bytes = TextJsonEncoding::encode(&vec!["é".to_string(), "b".into()]).unwrap();
        let back: Vec<String> = TextJsonEncoding::decode(bytes).unwrap();
        assert_eq!(back, ["é", "b"]);
        let bad =
            <TextJsonEncoding as Decodes<Vec<String>>>::decode(Bytes::from_static(b"[\"\xff\"]"));
        assert!(
            bad.unwrap_err().to_string().contains("utf-8"),
            "names the encoding problem"
        );
    }
}
