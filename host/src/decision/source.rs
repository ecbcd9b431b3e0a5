//! Who cast a vote: a built-in trigger or a plugin.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// Who cast a vote. Shown as `builtin:<name>` or `plugin:<name>`.
/// Ordered as their names read: built-ins first, then plugins, each by
/// name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A built-in trigger.
    Builtin(&'static str),
    /// A plugin, by its file name without `.wasm`.
    Plugin(Arc<str>),
}

impl Source {
    /// The plugin's name, for a plugin's vote.
    pub fn plugin(&self) -> Option<&str> {
        match self {
            Source::Plugin(name) => Some(name),
            Source::Builtin(_) => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Builtin(name) => write!(f, "builtin:{name}"),
            Source::Plugin(name) => write!(f, "plugin:{name}"),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl utoipa::PartialSchema for Source {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^(builtin|plugin):"))
            .description(Some(
                "Who cast the vote: `builtin:<trigger>` or `plugin:<file name without .wasm>`.",
            ))
            .examples([serde_json::json!("builtin:human_request")])
            .into()
    }
}

impl utoipa::ToSchema for Source {}
