//! How the browser reads JSON: every server function's response (`JsonOut`) and every page's
//! data hydrated from the HTML (`ValueJson`, through `pages::resource`) go through `from_text`.
//!
//! Why: serde_json's parser is generic over the type it fills, so each type read in the browser
//! got a whole JSON parser compiled in for it, twice when it was read both from a response
//! (server_fn's `Json`: `from_slice`) and from the page (leptos' `JsonSerdeCodec`: `from_str`).
//! `from_text` parses into a `serde_json::Value` once, with one parser, then fills the type from
//! that tree, which needs only the type's field matching. The wasm bundle is smaller by the
//! difference; the bytes on the wire are unchanged (`application/json`), and the extra pass over
//! a page's data costs microseconds.

use leptos::server::codee::{Decoder, Encoder};
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
        from_text(text)
    }
}

/// Reads JSON text into `T` through one `serde_json::Value` (see the module's comment).
pub fn from_text<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    T::deserialize(value)
}

/// A page's data, serialised into the HTML on the server and read back by `from_text` when the
/// page hydrates: leptos' `JsonSerdeCodec` with the browser's side going through `from_text`.
pub struct ValueJson;

impl<T: Serialize> Encoder<T> for ValueJson {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(val: &T) -> Result<String, Self::Error> {
        serde_json::to_string(val)
    }
}

impl<T: DeserializeOwned> Decoder<T> for ValueJson {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(val: &str) -> Result<T, Self::Error> {
        from_text(val)
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

    /// Reading through `Value` must give exactly what reading directly gives, for the shapes our
    /// types use: nested structs with dates and floats, internally tagged and unit enums,
    /// `Result` with an error enum, integers past 2^53 and floats at the edges of precision.
    #[test]
    fn reading_through_a_value_equals_reading_directly() {
        use crate::domain::fixtures::complete_brief;
        use crate::domain::verdict::Verdict;
        use crate::error::AppError;

        fn same<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: T) {
            let text = serde_json::to_string(&value).unwrap();
            let direct: T = serde_json::from_str(&text).unwrap();
            let through: T = from_text(&text).unwrap();
            assert_eq!(through, direct, "{text}");
            assert_eq!(through, value, "{text}");
            let page: T = <ValueJson as Decoder<T>>::decode(&text).unwrap();
            assert_eq!(page, value);
        }
        same(complete_brief());
        same(vec![Verdict::Ship { arm: "B".into() }, Verdict::Invalid]);
        same(Result::<u64, AppError>::Ok(u64::MAX));
        same(Result::<u64, AppError>::Err(AppError::Conflict(
            "changed".into(),
        )));
        same(vec![
            0.1 + 0.2,
            1e-300,
            -2.5e300,
            f64::MIN_POSITIVE,
            9_007_199_254_740_993.0,
        ]);
        same(vec![i64::MIN, (1 << 53) + 1]);
        assert!(
            from_text::<Verdict>("{\"kind\": \"ship\"").is_err(),
            "bad JSON is an error"
        );
    }
}
