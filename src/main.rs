//! The `oidc-doctor` binary: everything lives in the library; this only runs it.

fn main() -> std::process::ExitCode {
    oidc_doctor::cli::main()
}
