//! A float written as the shortest decimal text that reads back to the same bits, so a merge
//! sees exactly the times and sums a shard measured.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An `f64` serialized as a string (Rust's shortest round-trip form) and parsed back exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExactF64(pub f64);

impl Serialize for ExactF64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for ExactF64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ExactText)
    }
}

/// Reads the text of an [`ExactF64`] where it lies (a merge reads millions of them).
struct ExactText;

impl serde::de::Visitor<'_> for ExactText {
    type Value = ExactF64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a number as a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ExactF64, E> {
        text.parse::<f64>()
            .ok()
            .filter(|value| value.is_finite())
            .map(ExactF64)
            .ok_or_else(|| E::custom(format!("expected a number, got {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_back_to_the_same_bits() {
        for value in [1_765_000_000.123_456_7_f64, 0.1 + 0.2, 3.0, 1e-9] {
            let text = serde_json::to_string(&ExactF64(value)).unwrap_or_default();
            let back: ExactF64 = serde_json::from_str(&text).unwrap_or(ExactF64(f64::NAN));
            assert_eq!(back.0.to_bits(), value.to_bits(), "{text}");
        }
        assert!(serde_json::from_str::<ExactF64>("\"x\"").is_err());
    }
}
