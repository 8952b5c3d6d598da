//! What a packager needs: `--version` names the version and the enabled
//! features, completions and man pages are generated from the clap definitions
//! (so every subcommand and option appears in them).

mod common;

use clap::CommandFactory;
use common::{oidc_doctor, stdout_of};

#[test]
fn version_names_the_version_and_the_features() {
    let out = stdout_of(oidc_doctor().arg("--version"), 0);
    assert!(
        out.starts_with(&format!(
            "oidc-doctor {} (features: ",
            env!("CARGO_PKG_VERSION")
        )),
        "{out}"
    );
}

#[test]
fn completions_cover_every_subcommand_for_every_shell() {
    let subcommands: Vec<String> = oidc_doctor::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    assert!(subcommands.contains(&"check".to_string()));
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = stdout_of(oidc_doctor().args(["completions", shell]), 0);
        for sub in &subcommands {
            assert!(out.contains(sub.as_str()), "{shell}: no `{sub}`");
        }
    }
    let bash = stdout_of(oidc_doctor().args(["completions", "bash"]), 0);
    assert!(bash.contains("--role-arn"), "options too");
    oidc_doctor().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn the_man_page_is_roff_with_every_subcommand_and_one_page_each_on_request() {
    let page = stdout_of(oidc_doctor().arg("man"), 0);
    assert!(
        page.starts_with(".ie") || page.contains(".TH oidc-doctor"),
        "{}",
        &page[..200.min(page.len())]
    );
    for sub in [
        "lint", "check", "simulate", "who", "decode", "probe", "rules",
    ] {
        assert!(page.contains(sub), "no {sub}");
    }
    let dir = tempfile::tempdir().unwrap();
    oidc_doctor()
        .args(["man", "--dir", dir.path().to_str().unwrap()])
        .assert()
        .success();
    for page in ["oidc-doctor.1", "oidc-doctor-check.1", "oidc-doctor-lint.1"] {
        let text =
            std::fs::read_to_string(dir.path().join(page)).unwrap_or_else(|_| panic!("no {page}"));
        assert!(text.contains(".TH"), "{page} is roff");
    }
}
