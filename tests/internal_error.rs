//! A panic is a bug, never an exit path: the panic hook turns one into a single
//! escaped line on stderr and exit code 3, with no backtrace — through the real
//! binary, with a real panic (the hook's own trigger, `OIDC_DOCTOR_TEST_PANIC`).

mod common;

use common::oidc_doctor;

#[test]
fn a_panic_is_one_escaped_line_and_exit_3() {
    let out = oidc_doctor()
        .env("OIDC_DOCTOR_TEST_PANIC", "who")
        .env("RUST_BACKTRACE", "1")
        .args(["who", "fixtures/policies/gitlab-main-only.json"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line, no backtrace:\n{err}");
    assert!(
        lines[0].starts_with("internal error in oidc-doctor ")
            && lines[0].contains("command `who`")
            && lines[0].ends_with("please report it"),
        "{err}"
    );
    // The message quoted input-like text with an ESC: it arrives escaped.
    assert!(
        !err.contains('\u{1b}') && err.contains("\\u{1b}"),
        "{err:?}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_panic_on_a_lint_thread_ends_the_run_with_the_same_line_and_exit_3() {
    // The report holds stdout's lock while the lint threads render: the hook
    // must not wait for it (it did, and the run hung).
    let out = oidc_doctor()
        .env("OIDC_DOCTOR_TEST_PANIC", "lint-thread")
        .args(["lint", "fixtures", "-j", "2"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("internal error in oidc-doctor "), "{err:?}");
    assert!(err.contains("command `lint`"), "{err:?}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
}

#[test]
fn without_the_trigger_the_same_command_succeeds() {
    oidc_doctor()
        .env("OIDC_DOCTOR_TEST_PANIC", "lint")
        .args(["who", "fixtures/policies/gitlab-main-only.json"])
        .assert()
        .code(0);
}
