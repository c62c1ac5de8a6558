//! Closed sets of domain words (roles, statuses, RAG ratings...) stored as text and written in
//! JSON as the same word. One macro keeps the word, the JSON, the OpenAPI schema and the column in
//! step: all four are derived from `as_str`, so the published document cannot name a value the
//! server would refuse or never send.

/// Declares an enum whose variants are written as the given words in JSON, in the OpenAPI
/// document and in the database.
#[macro_export]
macro_rules! stored_enum {
    (
        $(#[doc = $doc:literal])*
        pub enum $name:ident {
            $( $(#[doc = $variant_doc:literal])* $variant:ident => $word:literal ),+ $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $( $(#[doc = $variant_doc])* $variant ),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The words, in declaration order.
            pub const WORDS: &'static [&'static str] = &[$($word),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $word ),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == text)
                    .ok_or_else(|| format!("{text:?} is not a {}", stringify!($name)))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Words;

                impl serde::de::Visitor<'_> for Words {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(f, "one of {}", $name::WORDS.join(", "))
                    }

                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<$name, E> {
                        text.parse().map_err(|_| E::unknown_variant(text, $name::WORDS))
                    }
                }

                deserializer.deserialize_str(Words)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let summary: Vec<&str> = [$($doc),*].iter().map(|line: &&str| line.trim()).collect();
                let words: Vec<String> = [$(
                    (
                        $word,
                        [$($variant_doc),*].iter().map(|line: &&str| line.trim()).collect::<Vec<&str>>().join(" "),
                    )
                ),+]
                .iter()
                .filter(|(_, doc)| !doc.is_empty())
                .map(|(word, doc)| format!("- `{word}`: {doc}"))
                .collect();
                let mut description = summary.join(" ");
                if !words.is_empty() {
                    description = format!("{description}\n\n{}", words.join("\n"));
                }
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some($name::WORDS.iter().copied()))
                    .description(Some(description))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                Ok(String::from_sql(bytes)?.parse::<$name>()?)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;

    crate::stored_enum! {
        /// A sample.
        pub enum Sample {
            /// The first.
            OnTrack => "on_track",
            StartReview => "start-review",
        }
    }

    #[test]
    fn json_schema_and_column_use_the_same_words() {
        let RefOr::T(Schema::Object(schema)) = Sample::schema() else {
            panic!("an inline object schema");
        };
        let listed: Vec<serde_json::Value> = schema.enum_values.unwrap_or_default();
        let written: Vec<serde_json::Value> = Sample::ALL.iter().map(|s| serde_json::json!(s)).collect();
        assert_eq!(listed, written);
        assert_eq!(
            written,
            [serde_json::json!("on_track"), serde_json::json!("start-review")]
        );
        assert_eq!(
            serde_json::from_str::<Sample>("\"start-review\"").ok(),
            Some(Sample::StartReview)
        );
        let refused = serde_json::from_str::<Sample>("\"OnTrack\"")
            .err()
            .map(|e| e.to_string());
        assert!(refused.is_some_and(|m| m.starts_with("unknown variant `OnTrack`")));
        assert!(
            schema
                .description
                .is_some_and(|d| d.contains("- `on_track`: The first."))
        );
    }
}
