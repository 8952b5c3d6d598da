//! Renderers: human (annotated snippets) and JSON (the versioned wire format).

pub mod human;
pub mod json;
