//! The documentation cannot rot: the README's set-up command runs for real (its
//! second command, `./scripts/test.sh`, is what `.ci/run` runs verbatim), and every
//! `oidc-doctor …` example in a code block of README.md, docs/*.md and the
//! commands' `--help` examples is accepted by the real command-line definitions.

mod common;

use clap::Parser;
use common::{oidc_doctor, root};
use oidc_doctor::cli::Cli;

/// The fenced code blocks of a Markdown text, as lines.
fn code_lines(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    let mut pending = String::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
            continue;
        }
        if !inside {
            continue;
        }
        // Shell continuation lines.
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        out.push(std::mem::take(&mut pending));
    }
    out
}

/// Splits a shell command line into words: quotes group, `$VAR` and `${VAR}` stay as
/// text (a placeholder value), and everything after a comment, pipe or redirection
/// is dropped.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, '#' | '|' | '>' | '<') if !started => break,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

fn examples_in(text: &str) -> Vec<Vec<String>> {
    code_lines(text)
        .iter()
        .map(|l| l.trim().trim_start_matches("$ ").to_string())
        .filter(|l| l.starts_with("oidc-doctor "))
        .map(|l| shell_words(&l))
        .collect()
}

#[test]
fn every_documented_example_parses_with_the_real_command_line() {
    let mut sources: Vec<(String, String)> = Vec::new();
    sources.push((
        "README.md".into(),
        std::fs::read_to_string(root().join("README.md")).unwrap(),
    ));
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            sources.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    // The examples each command's --help shows.
    for command in [
        "lint",
        "check",
        "simulate",
        "who",
        "decode",
        "probe",
        "explain",
        "rules",
        "completions",
        "man",
    ] {
        let help = common::stdout_of(oidc_doctor().args([command, "--help"]), 0);
        let fenced = format!("```\n{}\n```", help.split("Examples:").nth(1).unwrap_or(""));
        sources.push((format!("{command} --help"), fenced));
    }
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, text) in &sources {
        for words in examples_in(text) {
            checked += 1;
            // `--version` and `--help` are valid invocations that clap reports as
            // "errors" of their own kinds.
            let shown = |e: &clap::Error| {
                matches!(
                    e.kind(),
                    clap::error::ErrorKind::DisplayVersion | clap::error::ErrorKind::DisplayHelp
                )
            };
            if let Err(e) = Cli::try_parse_from(&words)
                .map(|_| ())
                .or_else(|e| if shown(&e) { Ok(()) } else { Err(e) })
            {
                failures.push(format!(
                    "{name}: `{}`: {}",
                    words.join(" "),
                    e.to_string().lines().next().unwrap_or("")
                ));
            }
        }
    }
    assert!(checked >= 40, "only {checked} examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_readme_set_up_command_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let setup = readme.split("## Set-up").nth(1).expect("a Set-up section");
    let lines = code_lines(setup);
    let first = lines.first().expect("a first command");
    let rest = first
        .strip_prefix("cargo run -- ")
        .unwrap_or_else(|| panic!("the first command is `cargo run -- …`: {first}"));
    assert_eq!(lines.get(1).map(String::as_str), Some("./scripts/test.sh"));
    // `cargo run --` is the binary this test was built with.
    let out = oidc_doctor()
        .args(shell_words(rest))
        .assert()
        .code(1)
        .get_output()
        .clone();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("the ref differs: the policy wants `main`, the token has `feature`"),
        "{text}"
    );
    assert!(
        text.contains(
            "AWS will answer: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity"
        ),
        "{text}"
    );
}
