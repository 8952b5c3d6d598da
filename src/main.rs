//! The `oidc-doctor` binary: everything lives in the library; this only runs it.

/// The analysis allocates many small short-lived strings (candidate subjects,
/// engine requests); mimalloc makes `lint` of a large tree about a fifth faster than
/// the system allocator (docs/performance.md), as ruff and others found before us.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    oidc_doctor::cli::main()
}
