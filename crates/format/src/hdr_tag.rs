//! The tag of an entry's histograms in `PREFIX_latency.hdr` (HdrHistogram interval log, `Tag=…`):
//! the runner writes with [`Entry::hdr_tag`], analyze reads with [`Entry::from_hdr_tag`].
//!
//! A tag may hold no space, comma, CR or LF, so:
//! - the Aggregated row is `Aggregated`;
//! - a request is its method and its name joined by `%20`, each percent-encoded: `%`, space,
//!   `,`, CR, LF and every non-ASCII byte become `%XX` (`GET%20/items`, `POST%20/a%2Cb`,
//!   `GET%20/caf%C3%A9`). The first `%20` is the separator, so a space inside the method (an HTTP
//!   method is a token and has none) is written `+` and a `+` of the method `%2B`.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet};

use crate::entry::{Entry, AGGREGATED};

/// The separator between the method and the name: an encoded space.
const SEPARATOR: &str = "%20";

/// What a name percent-encodes (non-ASCII bytes always are).
const NAME_SET: &AsciiSet = &AsciiSet::EMPTY
    .add(b'%')
    .add(b' ')
    .add(b',')
    .add(b'\r')
    .add(b'\n');

/// What a method percent-encodes: a name's set and `+`, which stands for a space.
const METHOD_SET: &AsciiSet = &NAME_SET.add(b'+');

/// Why a tag of `_latency.hdr` names no entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// Neither `Aggregated` nor `METHOD%20name`.
    #[error("tag {tag:?} is neither {AGGREGATED:?} nor METHOD%20name")]
    NoSeparator {
        /// The tag as read.
        tag: String,
    },
    /// A `%` not followed by two hexadecimal digits.
    #[error("tag {tag:?} has a '%' not followed by two hexadecimal digits")]
    BadEscape {
        /// The tag as read.
        tag: String,
    },
    /// The decoded bytes are not UTF-8.
    #[error("tag {tag:?} does not decode to UTF-8")]
    NotUtf8 {
        /// The tag as read.
        tag: String,
    },
}

impl Entry {
    /// The tag of this entry's histograms in `_latency.hdr` (see the [module](self) doc).
    pub fn hdr_tag(&self) -> String {
        match self {
            Entry::Aggregated => AGGREGATED.to_owned(),
            Entry::Request(key) => {
                let method = utf8_percent_encode(&key.method, METHOD_SET)
                    .to_string()
                    .replace(SEPARATOR, "+");
                let name = utf8_percent_encode(&key.name, NAME_SET);
                format!("{method}{SEPARATOR}{name}")
            }
        }
    }

    /// The entry whose histograms carry `tag` (the inverse of [`Entry::hdr_tag`]).
    pub fn from_hdr_tag(tag: &str) -> Result<Entry, TagError> {
        if tag == AGGREGATED {
            return Ok(Entry::Aggregated);
        }
        let bad_escape = tag.match_indices('%').any(|(at, _)| {
            let digits = tag.as_bytes().get(at + 1..at + 3);
            !digits.is_some_and(|d| d.iter().all(u8::is_ascii_hexdigit))
        });
        if bad_escape {
            return Err(TagError::BadEscape {
                tag: tag.to_owned(),
            });
        }
        let (method, name) = tag
            .split_once(SEPARATOR)
            .ok_or_else(|| TagError::NoSeparator {
                tag: tag.to_owned(),
            })?;
        let decode = |text: &str| {
            percent_decode_str(text)
                .decode_utf8()
                .map(|decoded| decoded.into_owned())
                .map_err(|_| TagError::NotUtf8 {
                    tag: tag.to_owned(),
                })
        };
        let method = decode(&method.replace('+', SEPARATOR))?;
        Ok(Entry::from_owned_row(method, decode(name)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::RequestKey;

    fn request(method: &str, name: &str) -> Entry {
        Entry::Request(RequestKey::new(method, name))
    }

    #[test]
    fn tags_read_back_as_their_entries() {
        let entries = [
            Entry::Aggregated,
            request("GET", "/items"),
            request("GET", "/item/[id]"),
            request("POST", "/search?q=a b,c"),
            request("GET", "/100%25 and 100% sure"),
            request("GET", "/line\r\nbreak"),
            request("GET", "Aggregated"),
            request("", "custom name"),
            request("MY VERB+1", "/a+b %20"),
            request("GET", "/café, naïve"),
            request("GET", ""),
        ];
        for entry in entries {
            let tag = entry.hdr_tag();
            assert!(
                !tag.contains([' ', ',', '\r', '\n']),
                "{entry:?} → {tag:?} holds a character a tag may not"
            );
            assert_eq!(Entry::from_hdr_tag(&tag), Ok(entry.clone()), "{tag:?}");
        }
    }

    #[test]
    fn tags_are_method_and_name_joined_by_an_encoded_space() {
        assert_eq!(Entry::Aggregated.hdr_tag(), "Aggregated");
        assert_eq!(request("GET", "/items").hdr_tag(), "GET%20/items");
        assert_eq!(
            request("POST", "/a b,c%\r\n").hdr_tag(),
            "POST%20/a%20b%2Cc%25%0D%0A"
        );
        assert_eq!(request("", "custom").hdr_tag(), "%20custom");
        assert_eq!(request("A B+", "/").hdr_tag(), "A+B%2B%20/");
    }

    #[test]
    fn a_request_named_aggregated_without_a_method_is_the_aggregated_row() {
        assert_eq!(Entry::from_hdr_tag("%20Aggregated"), Ok(Entry::Aggregated));
        assert_eq!(
            Entry::from_hdr_tag("GET%20Aggregated"),
            Ok(request("GET", "Aggregated"))
        );
    }

    #[test]
    fn tags_that_name_no_entry_are_errors() {
        assert!(matches!(
            Entry::from_hdr_tag("GET/items"),
            Err(TagError::NoSeparator { .. })
        ));
        assert!(matches!(
            Entry::from_hdr_tag("aggregated"),
            Err(TagError::NoSeparator { .. })
        ));
        for tag in ["GET%20/a%2", "GET%20/a%ZZ", "GET%2/a"] {
            assert!(
                matches!(Entry::from_hdr_tag(tag), Err(TagError::BadEscape { .. })),
                "{tag}"
            );
        }
        assert!(matches!(
            Entry::from_hdr_tag("GET%20/%FF"),
            Err(TagError::NotUtf8 { .. })
        ));
    }
}
