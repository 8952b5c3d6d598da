//! docs/getting-started.md cannot rot: every `console` block in it is run with the
//! real binary (trycmd) and its output and exit status compared with the page.
//! `TRYCMD=overwrite cargo test --test getting_started` rewrites the page's output
//! after a deliberate change; review the diff like any snapshot.

#[test]
fn getting_started_examples_print_what_the_page_shows() {
    let root = env!("CARGO_MANIFEST_DIR");
    trycmd::TestCases::new()
        .register_bin("oidc-doctor", trycmd::cargo::cargo_bin("oidc-doctor"))
        .env("NO_COLOR", "1")
        .env("CI_PROJECT_DIR", root)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .case("docs/getting-started.md");
}
