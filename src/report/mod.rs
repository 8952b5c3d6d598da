//! Renderers: human (annotated snippets), JSON (the versioned wire format), SARIF
//! and GitLab Code Quality, and rule documentation pages.

pub mod check;
pub mod decode;
pub mod explain;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod probe;
pub mod rule_doc;
pub mod sarif;
pub mod terminal;
