//! Partial updates: telling a field sent as `null` (clear it) from one left out (keep it).

use serde::{Deserialize, Deserializer};

/// For `#[serde(default, deserialize_with = "present")] field: Option<Option<T>>`: `None` when
/// the field is absent, `Some(None)` when it is `null`, `Some(Some(v))` otherwise.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
