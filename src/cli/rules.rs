//! `oidc-doctor rules [NAME]`: the rule catalogue, one rule's documentation, and
//! `--write-docs DIR` to regenerate `docs/rules/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{Cli, CliError, Format, print};
use crate::report::{self, rule_doc};
use crate::rules::{self, RuleMeta};

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A rule name: print that rule's documentation.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Write every rule's documentation page to DIR/<name>.md (regenerates
    /// docs/rules), removing generated pages of rules that no longer exist.
    #[arg(long, value_name = "DIR", conflicts_with = "name")]
    pub write_docs: Option<PathBuf>,
}

pub fn run(args: &RulesArgs, cli: &Cli) -> Result<ExitCode, CliError> {
    super::require_format(cli, "rules", &[Format::Human, Format::Json])?;
    if let Some(dir) = &args.write_docs {
        let (written, removed) = write_docs(dir).map_err(CliError::new)?;
        eprintln!(
            "wrote {written} rule pages to {}{}",
            dir.display(),
            if removed.is_empty() {
                String::new()
            } else {
                format!("; removed {}", removed.join(", "))
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let selected: Vec<&'static RuleMeta> = match &args.name {
        Some(name) => vec![lookup(name)?],
        None => rules::ALL.to_vec(),
    };
    match (cli.format, &args.name) {
        (Format::Json, _) => print(&report::json::rules(&selected)),
        (_, Some(_)) => print(&rule_doc::markdown(selected[0])),
        (_, None) => print(&table(&selected)),
    }
    Ok(ExitCode::SUCCESS)
}

/// A rule by name, or a usage error suggesting the nearest name.
fn lookup(name: &str) -> Result<&'static RuleMeta, CliError> {
    if let Some(r) = rules::by_name(name) {
        return Ok(r);
    }
    let nearest = rules::ALL
        .iter()
        .map(|r| (strsim::levenshtein(name, r.name), r.name))
        .min()
        .map(|(_, n)| n);
    Err(CliError::new(match nearest {
        Some(n) => {
            format!("unknown rule `{name}`; did you mean `{n}`? (`oidc-doctor rules` lists them)")
        }
        None => format!("unknown rule `{name}`"),
    }))
}

fn table(list: &[&RuleMeta]) -> String {
    let w_name = list.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let w_cat = list
        .iter()
        .map(|r| rule_doc::category_name(r.category).len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut out = format!(
        "{:w_name$}  {:w_cat$}  {:8}  SUMMARY\n",
        "NAME", "CATEGORY", "SEVERITY"
    );
    for r in list {
        out.push_str(&format!(
            "{:w_name$}  {:w_cat$}  {:8}  {}\n",
            r.name,
            rule_doc::category_name(r.category),
            r.severity.as_str(),
            r.summary
        ));
    }
    out.push_str(&format!(
        "\n{} rules. `oidc-doctor rules NAME` prints a rule's documentation.\n",
        list.len()
    ));
    out
}

/// Writes every page; removes `*.md` files in `dir` that carry the generated
/// marker but document no registered rule. Returns (written, removed names).
pub fn write_docs(dir: &Path) -> Result<(usize, Vec<String>), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for r in rules::ALL {
        let path = dir.join(format!("{}.md", r.name));
        std::fs::write(&path, rule_doc::doc_page(r))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let mut removed = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".md"))
        else {
            continue;
        };
        if rules::by_name(stem).is_some() {
            continue;
        }
        let generated = std::fs::read_to_string(&path)
            .is_ok_and(|t| t.lines().take(5).any(|l| l == rule_doc::GENERATED_MARKER));
        if generated {
            std::fs::remove_file(&path)
                .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            removed.push(format!("{stem}.md"));
        }
    }
    removed.sort();
    Ok((rules::ALL.len(), removed))
}
