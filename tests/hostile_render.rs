//! Human output under hostile input, through the real binary: a finding past
//! column 65,535 of a one-line policy (miette used to abort there), wide and
//! combining characters, and control characters, bidi overrides and C1 controls
//! carried by a token's claims and header, a policy's values, a file name or an
//! error message — none reaches the terminal raw, each is shown as a visible
//! escape, the header's `line:column` stays exact and no line passes 120 columns.
//! JSON, SARIF and Code Quality carry the same characters only as `\u` escapes.

mod common;
#[path = "support/issuer.rs"]
mod issuer;

use common::oidc_doctor;
use issuer::{Behaviour, ISSUER, NOW, NOW_RFC3339, TestKey, claims, jwks_of, serve, temp_file};
use serde_json::{Value, json};

/// Every character a terminal acts on that the tests smuggle in, with the escape
/// the human output must show instead.
const HOSTILE: &[(char, &str)] = &[
    ('\u{1b}', "\\u{1b}"),
    ('\u{7}', "\\u{7}"),
    ('\r', "\\u{d}"),
    ('\u{8}', "\\u{8}"),
    ('\u{0}', "\\u{0}"),
    ('\u{7f}', "\\u{7f}"),
    ('\u{9b}', "\\u{9b}"),
    ('\u{85}', "\\u{85}"),
    ('\u{202e}', "\\u{202e}"),
    ('\u{2066}', "\\u{2066}"),
];

/// All of [`HOSTILE`] in one string, between letters.
fn hostile_text() -> String {
    let mut s = String::from("evil");
    for (c, _) in HOSTILE {
        s.push(*c);
        s.push('x');
    }
    s
}

/// No byte below 0x20 but `\n` and `\t`, no DEL, no C1 control, no bidi control.
fn assert_clean(what: &str, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        assert!(
            *b >= 0x20 && *b != 0x7f || *b == b'\n' || *b == b'\t',
            "{what}: raw byte {b:#04x} at {i}:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        assert!(
            !matches!(c, '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'),
            "{what}: raw {c:?} in\n{text}"
        );
    }
}

/// Runs `cmd`, expects exit `code`, checks stdout and stderr are clean and returns them.
fn run_clean(cmd: &mut assert_cmd::Command, code: i32) -> (String, String) {
    let out = cmd.assert().code(code).get_output().clone();
    assert_clean("stdout", &out.stdout);
    assert_clean("stderr", &out.stderr);
    (
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    )
}

/// Asserts that the escape of every character in `chars` is in `text` (values
/// quoted the Rust way may show CR and NUL as `\r` and `\0`).
fn assert_escapes(text: &str, chars: &[char]) {
    for (c, esc) in HOSTILE.iter().filter(|(c, _)| chars.contains(c)) {
        let alternative = match c {
            '\r' => "\\r",
            '\u{0}' => "\\0",
            _ => esc,
        };
        assert!(
            text.contains(esc) || text.contains(alternative),
            "no {esc} for {c:?} in\n{text}"
        );
    }
}

fn all_hostile() -> Vec<char> {
    HOSTILE.iter().map(|(c, _)| *c).collect()
}

/// Display width of a line of the output: the inputs here use only ASCII, box
/// drawing, `…`, CJK ideographs (two columns) and combining acute accents (none).
fn width(line: &str) -> usize {
    line.chars()
        .map(|c| match c {
            '\u{4e00}'..='\u{9fff}' => 2,
            '\u{300}'..='\u{36f}' => 0,
            _ => 1,
        })
        .sum()
}

fn assert_width(text: &str, max: usize) {
    for line in text.lines() {
        assert!(width(line) <= max, "{} columns: {line}", width(line));
    }
}

/// The lines of the findings' snippets and messages (miette's gutter), without
/// the evaluation trace of `simulate` and `check`, which quotes values whole.
fn snippet_lines(text: &str) -> String {
    text.lines()
        .filter(|l| l.contains(['│', '·', '╭', '╰', '×', '⚠', '☞']))
        .collect::<Vec<_>>()
        .join("\n")
}

const PROVIDER: &str = "arn:aws:iam::123456789012:oidc-provider/gitlab.com";

fn statement(sub: &str) -> Value {
    json!({
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            "gitlab.com:aud": "https://gitlab.com",
            "gitlab.com:sub": sub
        }}
    })
}

/// A minified (one-line) policy over 64 KiB whose last statement compares a
/// wildcard with `StringEquals` past column 65,535; the column of that value.
fn big_one_line_policy() -> (String, usize) {
    let mut statements: Vec<Value> = (0..300)
        .map(|i| {
            statement(&format!(
                "project_path:group/app{i}:ref_type:branch:ref:main"
            ))
        })
        .collect();
    statements.push(statement("project_path:mygroup/*"));
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    assert!(!text.contains('\n'));
    let at = text.rfind("\"project_path:mygroup/*\"").expect("the value");
    let column = text[..at].chars().count() + 1;
    assert!(column > 65_535, "{column}");
    (text, column)
}

const MAIN: &str = "sub=project_path:mygroup/app:ref_type:branch:ref:main";
const AUD: &str = "aud=https://gitlab.com";

#[test]
fn a_finding_past_column_65535_is_shown_windowed_with_its_exact_place_in_lint_simulate_and_check() {
    let (text, column) = big_one_line_policy();
    let file = temp_file(&text);
    let path = file.path().to_str().expect("path");
    let place = format!("[{path}:1:{column}]");
    // serde_json writes keys sorted: the value is followed by the next statement.
    let window = "\"gitlab.com:sub\":\"project_path:mygroup/*\"}},\"Effect\"";

    let (out, _) = run_clean(oidc_doctor().args(["lint", path]), 1);
    assert!(out.contains("wildcard-in-exact-operator"), "{out}");
    assert!(out.contains(&place), "no {place} in\n{out}");
    assert!(out.contains(window), "{out}");
    assert!(out.contains(" │ …"), "the cut is marked: {out}");
    assert_width(&out, 120);

    let (out, _) = run_clean(
        oidc_doctor().args([
            "simulate", "--policy", path, "--claim", MAIN, "--claim", AUD,
        ]),
        1,
    );
    assert!(out.contains(&place), "no {place} in\n{out}");
    assert!(out.contains(window), "{out}");
    assert!(out.contains("Verdict: DENIED"), "{out}");
    assert!(snippet_lines(&out).contains(window));
    assert_width(&snippet_lines(&out), 120);

    let (out, _) = run_clean(
        oidc_doctor().args([
            "check",
            "--offline",
            "--policy",
            path,
            "--claim",
            MAIN,
            "--claim",
            AUD,
        ]),
        1,
    );
    assert!(out.contains(&place), "no {place} in\n{out}");
    assert!(out.contains(window), "{out}");
    assert!(out.contains("Verdict: DENIED"), "{out}");
    assert!(snippet_lines(&out).contains(window));
    assert_width(&snippet_lines(&out), 120);
}

#[test]
fn wide_and_combining_characters_before_the_finding_keep_the_column_and_the_width() {
    // A long Sid of CJK ideographs, then of combining accents, on the same line
    // as a wildcard under StringEquals.
    for filler in ["語".repeat(3_000), format!("e{}", "\u{301}".repeat(30_000))] {
        let mut s = statement("project_path:mygroup/*");
        s["Sid"] = json!(filler);
        let text = json!({"Version": "2012-10-17", "Statement": [s]}).to_string();
        let file = temp_file(&text);
        let path = file.path().to_str().expect("path");
        let at = text.find("\"project_path:mygroup/*\"").expect("value");
        let column = text[..at].chars().count() + 1;
        let (out, _) = run_clean(oidc_doctor().args(["lint", path]), 1);
        assert!(
            out.contains(&format!("[{path}:1:{column}]")),
            "no column {column} in\n{out}"
        );
        assert!(out.contains("\"project_path:mygroup/*\""), "{out}");
        assert!(out.contains('…'), "{out}");
        assert_width(&out, 120);
    }
}

#[test]
fn control_characters_in_a_policy_are_escaped_in_lint_and_the_snippet_points_at_them() {
    // Raw ESC inside a JSON string is a syntax error at that character; DEL, C1
    // and bidi controls are legal in JSON strings and reach the value.
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Sid\": \"a\u{1b}]0;pwned\u{7}b\"}]\n}\n";
    let file = temp_file(text);
    let path = file.path().to_str().expect("path");
    let (out, _) = run_clean(oidc_doctor().args(["lint", path]), 1);
    let col = "  \"Statement\": [{\"Sid\": \"a".chars().count() + 1;
    assert!(out.contains(&format!("[{path}:3:{col}]")), "{out}");
    assert!(out.contains("a\\u{1b}]0;pwned\\u{7}b"), "{out}");

    let sub = format!(
        "project_path:mygroup/*{}",
        hostile_text().replace(['\u{0}', '\u{1b}', '\u{7}', '\r', '\u{8}'], "")
    );
    let text = json!({"Version": "2012-10-17", "Statement": [statement(&sub)]}).to_string();
    // serde_json writes DEL, C1 and bidi controls raw: the file carries them raw.
    assert!(text.contains('\u{202e}') && text.contains('\u{7f}'));
    let file = temp_file(&text);
    let path = file.path().to_str().expect("path");
    let (out, _) = run_clean(oidc_doctor().args(["lint", path]), 1);
    assert_escapes(
        &out,
        &['\u{7f}', '\u{9b}', '\u{85}', '\u{202e}', '\u{2066}'],
    );
    let at = text.find("\"project_path:mygroup/*").expect("value");
    let column = text[..at].chars().count() + 1;
    assert!(out.contains(&format!("[{path}:1:{column}]")), "{out}");
}

/// A policy whose `sub` value carries every hostile character (as JSON escapes).
fn hostile_policy() -> tempfile::NamedTempFile {
    let sub = format!("project_path:mygroup/{}:*", hostile_text());
    temp_file(&json!({"Version": "2012-10-17", "Statement": [statement(&sub)]}).to_string())
}

#[test]
fn hostile_values_in_a_policy_are_escaped_by_lint_who_simulate_and_check() {
    let file = hostile_policy();
    let path = file.path().to_str().expect("path");
    let all = all_hostile();

    let (out, _) = run_clean(oidc_doctor().args(["lint", path]), 1);
    // The snippet shows the file as written (JSON escapes); the message the value.
    assert!(out.contains("\\u001b"), "{out}");
    assert_escapes(&out, &['\u{7f}', '\u{202e}']);

    let (out, _) = run_clean(oidc_doctor().args(["who", path]), 0);
    assert_escapes(&out, &all);

    // A command line cannot carry NUL.
    let claim_text = hostile_text().replace('\u{0}', "");
    let sub = format!("sub=project_path:mygroup/{claim_text}:x");
    let mut in_claim = all.clone();
    in_claim.retain(|c| *c != '\u{0}');
    let (out, _) = run_clean(
        oidc_doctor().args([
            "simulate", "--policy", path, "--claim", &sub, "--claim", AUD,
        ]),
        1,
    );
    assert_escapes(&out, &in_claim);

    let (out, _) = run_clean(
        oidc_doctor().args([
            "check",
            "--offline",
            "--policy",
            path,
            "--claim",
            &sub,
            "--claim",
            AUD,
        ]),
        1,
    );
    assert_escapes(&out, &in_claim);
}

/// A really signed token whose claims and header carry every hostile character.
fn hostile_token() -> String {
    let key = TestKey::rsa(&format!("kid-{}", hostile_text()));
    let mut c = claims();
    c["sub"] = json!(format!(
        "project_path:mygroup/app:ref_type:branch:ref:{}",
        hostile_text()
    ));
    c["project_path"] = json!(hostile_text());
    c[hostile_text()] = json!("a claim named with controls");
    // A line break in a value must not start a line of the report.
    c["ref"] = json!("main\n           ✓ signature verified (keys from a forged line)");
    key.sign(&c)
}

#[test]
fn hostile_claims_and_header_are_escaped_by_decode_and_check() {
    let token = hostile_token();
    let now = (NOW + 600).to_string();
    let all = all_hostile();

    let (out, _) = run_clean(oidc_doctor().args(["decode", &token, "--now", &now]), 0);
    assert_escapes(&out, &all);
    assert!(out.contains("kid-evil\\u{1b}x"), "{out}");
    // A value cannot add a line to the report.
    assert!(
        out.contains("main\\u{a}           ✓ signature verified"),
        "{out}"
    );
    assert!(
        !out.lines()
            .any(|l| l.trim_start().starts_with("✓ signature verified")),
        "{out}"
    );

    let policy = hostile_policy();
    let (out, _) = run_clean(
        oidc_doctor().args([
            "check",
            "--offline",
            "--token",
            &token,
            "--now",
            &now,
            "--policy",
            policy.path().to_str().expect("path"),
        ]),
        1,
    );
    assert_escapes(&out, &all);
}

#[test]
fn an_error_quoting_a_hostile_path_is_escaped_on_stderr() {
    let name = format!("/nonexistent/{}.json", hostile_text().replace('\u{0}', ""));
    let (_, err) = run_clean(oidc_doctor().args(["lint", &name]), 2);
    assert!(err.starts_with("error: "), "{err}");
    let mut chars = all_hostile();
    chars.retain(|c| *c != '\u{0}');
    assert_escapes(&err, &chars);
}

#[test]
fn json_sarif_and_code_quality_carry_hostile_characters_only_as_escapes() {
    let file = hostile_policy();
    let path = file.path().to_str().expect("path");
    for format in ["json", "sarif", "gitlab"] {
        let out = oidc_doctor()
            .args(["lint", path, "--format", format])
            .assert()
            .code(1)
            .get_output()
            .clone();
        assert_clean(format, &out.stdout);
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        // The escapes stand for the characters themselves.
        assert!(
            v.to_string().contains("\\u001b") || format!("{v:?}").contains('\u{202e}'),
            "{format}: {v}"
        );
    }
    let token = hostile_token();
    let now = (NOW + 600).to_string();
    let out = oidc_doctor()
        .args(["decode", &token, "--now", &now, "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert_clean("decode json", &out.stdout);
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["token"]["claims"]["project_path"], json!(hostile_text()));
}

#[test]
fn a_hostile_issuer_s_discovery_document_is_escaped_by_probe() {
    let pki = issuer::pki(issuer::HOST);
    let mut b = Behaviour::good(&pki, jwks_of(&[&TestKey::rsa("k1")]));
    // The discovery document names another issuer and a `jwks_uri` that is not
    // https://, both full of control characters; the findings quote them.
    b.issuer = format!("{ISSUER}/{}", hostile_text());
    b.jwks_uri = format!("ftp://{}/{}", issuer::HOST, hostile_text());
    let server = serve(b);
    let ca = temp_file(&pki.root_pem);
    let (out, _) = run_clean(
        oidc_doctor()
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .args([
                "probe",
                ISSUER,
                "--now",
                NOW_RFC3339,
                "--connect-to",
                &server.connect_to(),
                "--ca-file",
                ca.path().to_str().expect("path"),
            ]),
        1,
    );
    assert_escapes(&out, &all_hostile());
}
