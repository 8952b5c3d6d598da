//! A rule's documentation page, rendered from its declaration ([`RuleMeta`]).
//!
//! One renderer for `oidc-doctor rules NAME`, `docs/rules/NAME.md` and SARIF's
//! `help.markdown`, so the three never disagree.

use std::fmt::Write as _;

use crate::finding::Category;
use crate::rules::RuleMeta;

/// The line every generated page (`docs/rules/NAME.md`) carries under its title;
/// `rules --write-docs` only removes files that have it.
pub const GENERATED_MARKER: &str = "<!-- Generated from the rule's declaration in src/rules/ by `cargo run -- rules --write-docs docs/rules`. Edit the declaration, not this file. -->";

/// Where a rule's page lives, as an absolute URL (SARIF requires one): in the
/// repository Cargo.toml names (`repository = …`), else in the published crate's
/// sources on docs.rs, pinned to this version.
pub fn doc_url(name: &str) -> String {
    let repo = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    if repo.is_empty() {
        format!(
            "https://docs.rs/crate/{}/{}/source/docs/rules/{name}.md",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION")
        )
    } else {
        format!("{repo}/blob/main/docs/rules/{name}.md")
    }
}

/// The tool's home page for SARIF's `informationUri`.
pub fn information_uri() -> &'static str {
    match (env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")) {
        (r, _) if !r.is_empty() => r,
        (_, h) if !h.is_empty() => h,
        _ => concat!("https://crates.io/crates/", env!("CARGO_PKG_NAME")),
    }
}

pub fn category_name(c: Category) -> &'static str {
    match c {
        Category::Correctness => "correctness",
        Category::Security => "security",
        Category::Connectivity => "connectivity",
        Category::Hygiene => "hygiene",
    }
}

/// The file `docs/rules/NAME.md`: [`markdown`] with [`GENERATED_MARKER`] under
/// the title.
pub fn doc_page(r: &RuleMeta) -> String {
    let md = markdown(r);
    match md.split_once("\n\n") {
        Some((title, rest)) => format!("{title}\n\n{GENERATED_MARKER}\n\n{rest}"),
        None => md,
    }
}

/// The rule's documentation in Markdown (`oidc-doctor rules NAME`, SARIF help).
pub fn markdown(r: &RuleMeta) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# `{}`\n", r.name);
    let _ = writeln!(o, "{}\n", sentence(r.summary));
    let _ = writeln!(o, "| property | value |");
    let _ = writeln!(o, "|---|---|");
    let _ = writeln!(o, "| category | {} |", category_name(r.category));
    let _ = writeln!(o, "| default severity | {} |", r.severity.as_str());
    let aws = r
        .aws_error
        .map(|e| code_span(&e.replace('|', "\\|")))
        .unwrap_or_else(|| "none".to_string());
    let _ = writeln!(o, "| AWS error | {aws} |\n");
    let _ = writeln!(o, "## Why it matters\n");
    let _ = writeln!(o, "{}\n", r.explanation.trim());
    let _ = writeln!(o, "## Example\n");
    let _ = writeln!(o, "Reported:\n");
    let _ = writeln!(o, "{}\n", fenced(r.bad));
    let _ = writeln!(o, "Fixed:\n");
    let _ = writeln!(o, "{}\n", fenced(r.good));
    let _ = writeln!(o, "## Fix\n");
    let _ = writeln!(o, "{}\n", sentence(r.fix));
    let _ = writeln!(o, "## Configuration\n");
    let _ = writeln!(
        o,
        "Change the severity or turn the rule off in `.oidc-doctor.toml`:\n"
    );
    let _ = writeln!(
        o,
        "```toml\n[rules]\n{} = \"{}\"  # \"error\", \"warning\", \"info\" or \"off\"\n```",
        r.name,
        r.severity.as_str()
    );
    o
}

/// The page as plain text (SARIF `help.text`).
pub fn text(r: &RuleMeta) -> String {
    let mut o = format!("{}\n\n{}\n", sentence(r.summary), r.explanation.trim());
    if let Some(e) = r.aws_error {
        let _ = write!(o, "\nAWS error: {e}\n");
    }
    let _ = write!(
        o,
        "\nReported:\n{}\n\nFixed:\n{}\n\nFix: {}\n",
        r.bad,
        r.good,
        sentence(r.fix)
    );
    o
}

/// First letter up, final full stop.
pub fn sentence(s: &str) -> String {
    let s = s.trim();
    let mut chars = s.chars();
    let mut out: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with(['.', '!', '?', ':']) {
        out.push('.');
    }
    out
}

/// A code block fenced with more backticks than the code contains in a row.
fn fenced(code: &str) -> String {
    let fence = "`".repeat(longest_run(code, '`').max(2) + 1);
    format!("{fence}json\n{}\n{fence}", code.trim_end())
}

fn code_span(s: &str) -> String {
    let ticks = "`".repeat(longest_run(s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for ch in s.chars() {
        cur = if ch == c { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_the_code() {
        assert_eq!(fenced("a"), "```json\na\n```");
        assert_eq!(fenced("x ```` y"), "`````json\nx ```` y\n`````");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(sentence("do this"), "Do this.");
        assert_eq!(sentence("Done."), "Done.");
    }

    #[test]
    fn every_rule_renders_with_its_properties() {
        for r in crate::rules::ALL {
            let md = markdown(r);
            assert!(md.starts_with(&format!("# `{}`\n", r.name)));
            assert!(md.contains(&format!("| default severity | {} |", r.severity.as_str())));
            assert!(md.contains(r.bad.trim_end()) && md.contains(r.good.trim_end()));
            assert!(doc_page(r).contains(GENERATED_MARKER));
        }
    }
}
