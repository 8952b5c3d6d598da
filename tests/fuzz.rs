//! A stable-toolchain fuzzing harness (cargo-fuzz needs nightly features): every
//! parser that reads untrusted bytes — the token decoder, policy JSON, HCL, Terraform
//! JSON, YAML/CloudFormation, `.gitlab-ci.yml`, the discovery and JWKS parsers, the
//! certificate-chain analysis — is fed seeds from `fixtures/` and deterministic
//! mutations of them (bit flips, byte edits, deletions, duplications, splices and
//! tokens each format cares about) for a bounded number of rounds.
//!
//! A panic fails the test and saves the input under `target/fuzz-crashes/`; move it to
//! `fuzz/regressions/<target>/` and it is replayed by every run from then on.
//! `OIDC_DOCTOR_FUZZ_ROUNDS` sets the number of rounds (default 8,000);
//! `OIDC_DOCTOR_FUZZ_SECONDS` keeps each target going past them until that much time
//! has passed (the test command, `scripts/test.sh`, gives every target 20 s). The
//! rounds are one deterministic stream per target, so a longer run only goes further
//! along it, and "round N" in a failure names the same input on every machine.

mod common;
#[path = "support/hostile.rs"]
mod hostile;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use chrono::TimeZone;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use common::root;
use oidc_doctor::lint::{LintReport, lint_bytes};

/// Rounds per target (debug build: about 4 s for all eight on two cores here).
const DEFAULT_ROUNDS: usize = 8_000;
/// The largest input a mutation may grow to.
const MAX_LEN: usize = 64 << 10;

fn rounds() -> usize {
    std::env::var("OIDC_DOCTOR_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ROUNDS)
}

/// The time budget per target beyond [`rounds`] (none unless set).
fn budget() -> std::time::Duration {
    std::time::Duration::from_secs(
        std::env::var("OIDC_DOCTOR_FUZZ_SECONDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    )
}

/// A hard stop however fast the machine: the run stays bounded.
const MAX_ROUNDS: usize = 50_000_000;

fn lint(name: &str, data: &[u8]) {
    let mut report = LintReport::default();
    lint_bytes(name, data.to_vec(), true, &mut report);
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.timestamp_opt(1_767_225_600, 0).unwrap()
}

/// Splits bytes into "certificates" at a separator, so that mutations reach the
/// chain analysis with one, several or no DER blobs.
fn chain_of(data: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    data.split(|b| *b == 0xff)
        .take(8)
        .map(|c| rustls::pki_types::CertificateDer::from(c.to_vec()))
        .collect()
}

struct Target {
    name: &'static str,
    /// Seed files (relative to the crate root) and inline seeds.
    seeds: Vec<Vec<u8>>,
    /// Tokens worth inserting for this format.
    dictionary: &'static [&'static str],
    run: fn(&[u8]),
}

fn files(dir: &str, ext: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![root().join(dir)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if ext.iter().any(|x| p.to_string_lossy().ends_with(x)) {
                out.push(std::fs::read(&p).unwrap());
            }
        }
    }
    out.sort();
    out
}

/// The hostile inputs of issue 14 (`support/hostile.rs`, the growth tests'
/// generators) at small sizes, as seeds: the files of each case ending in `ext`.
fn hostile_seeds(ext: &str) -> Vec<Vec<u8>> {
    [
        hostile::long_sub_value(9_000),
        hostile::string_like_values(20),
        hostile::duplicate_keys(40),
        hostile::many_findings(10),
        hostile::minified_statements(20),
        hostile::terraform_replace_chain(6),
        hostile::cloudformation_sub(1, 50),
        hostile::yaml_aliases(7),
    ]
    .into_iter()
    .flat_map(|c| c.files)
    .filter(|(path, _)| path.ends_with(ext))
    .map(|(_, bytes)| bytes)
    .collect()
}

fn token_seed() -> Vec<u8> {
    common::signed_token(&common::gitlab_claims("mygroup/app", "main")).into_bytes()
}

fn targets() -> Vec<Target> {
    let json_dict: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        "\"",
        ":",
        ",",
        "\\u0000",
        "\\ud800",
        "1e999",
        "null",
        "\"Statement\"",
        "\"Condition\"",
        "\"StringLike\"",
        "*",
        "${",
        "}",
    ];
    vec![
        Target {
            name: "token",
            seeds: vec![token_seed(), b"a.b.c".to_vec()],
            dictionary: &[".", "=", "eyJ", "-", "_", "\u{0}", "e30"],
            run: |d| {
                let text = String::from_utf8_lossy(d);
                let report = oidc_doctor::token::analyze::analyze(&text, now());
                if let Some(decoded) = &report.decoded {
                    let jwks = serde_json::json!({"keys": [{"kty": "RSA", "kid": "test-key", "n": "AQAB", "e": "AQAB"}]});
                    let _ = oidc_doctor::token::verify::verify(&text, decoded, &jwks);
                }
            },
        },
        Target {
            name: "policy-json",
            seeds: [files("fixtures/policies", &[".json"]), hostile_seeds(".json")].concat(),
            dictionary: json_dict,
            run: |d| lint("fuzz.json", d),
        },
        Target {
            name: "terraform-hcl",
            seeds: [files("fixtures/terraform", &[".tf"]), hostile_seeds(".tf")].concat(),
            dictionary: &["{", "}", "\"", "${", "%{", "<<EOF\n", "\nEOF\n", "jsonencode(", "(", ")", "[", "]", "=", "\n", "var.", "local.", "#", "/*"],
            run: |d| lint("fuzz.tf", d),
        },
        Target {
            name: "terraform-json",
            seeds: files("fixtures/terraform-json", &[".tf.json"]),
            dictionary: json_dict,
            run: |d| lint("fuzz.tf.json", d),
        },
        Target {
            name: "yaml-cloudformation",
            seeds: [
                files("fixtures/cloudformation", &[".yaml", ".json"]),
                hostile_seeds(".yaml"),
            ]
            .concat(),
            dictionary: &["!Sub ", "!Ref ", "!GetAtt ", "&a ", "*a", "- ", ": ", "\n", "  ", "{", "[", "'", "\"", "---\n", "? ", "|\n", "%TAG"],
            run: |d| lint("fuzz.yaml", d),
        },
        Target {
            name: "gitlab-ci",
            seeds: files("fixtures/gitlab-ci", &[".yml", ".yaml"]),
            dictionary: &["id_tokens:", "aud:", "$CI_JOB_JWT", "${CI_JOB_TIMEOUT}", "--role-session-name ", "--duration-seconds ", "'", "\"", "\\", "\n", "- ", ": ", "&x ", "*x"],
            run: |d| lint(".gitlab-ci.yml", d),
        },
        Target {
            name: "discovery-jwks",
            seeds: vec![
                br#"{"issuer":"https://gitlab.example.com","jwks_uri":"https://gitlab.example.com/oauth/discovery/keys","id_token_signing_alg_values_supported":["RS256"]}"#.to_vec(),
                br#"{"keys":[{"kty":"RSA","kid":"a","use":"sig","alg":"RS256","n":"AQAB","e":"AQAB"},{"kty":"EC","crv":"P-256","kid":"b","x":"AA","y":"AA"}]}"#.to_vec(),
            ],
            dictionary: &["{", "}", "[", "]", "\"kty\"", "\"RSA\"", "\"EC\"", "\"kid\"", "null", "1e999", "\\u0000"],
            run: |d| {
                let _ = oidc_doctor::issuer::validate::discovery_findings("https://gitlab.example.com", d);
                let _ = oidc_doctor::issuer::validate::jwks_findings(d);
            },
        },
        Target {
            name: "certificate-chain",
            seeds: cert_seeds(),
            dictionary: &["\u{30}\u{82}", "\u{ff}", "\u{0}"],
            run: |d| {
                let roots = oidc_doctor::issuer::tls::Roots::new(&[]).unwrap();
                let _ = oidc_doctor::issuer::tls::analyze_chain(
                    "gitlab.example.test",
                    &chain_of(d),
                    Some("TLSv1.3".into()),
                    now(),
                    &roots,
                );
                let _ = oidc_doctor::issuer::tls::parse_pem_certificates(d);
            },
        },
    ]
}

/// A real leaf and CA (made here with rcgen), DER-joined with the separator.
fn cert_seeds() -> Vec<Vec<u8>> {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["gitlab.example.test".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let mut joined = leaf.der().to_vec();
    joined.push(0xff);
    joined.extend_from_slice(ca.der());
    vec![joined, ca.pem().into_bytes()]
}

fn mutate(rng: &mut ChaCha8Rng, input: &[u8], t: &Target) -> Vec<u8> {
    let mut d = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = d.len();
        match rng.random_range(0..8) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                d[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.random_range(0..len);
                d[i] = rng.random();
            }
            2 => {
                let i = rng.random_range(0..=len);
                d.insert(i, rng.random());
            }
            3 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = (a + rng.random_range(1..=64)).min(len);
                d.drain(a..b);
            }
            4 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = (a + rng.random_range(1..=256)).min(len);
                let piece = d[a..b].to_vec();
                let at = rng.random_range(0..=d.len());
                d.splice(at..at, piece);
            }
            5 | 6 => {
                let token = t.dictionary[rng.random_range(0..t.dictionary.len())].as_bytes();
                let at = rng.random_range(0..=len);
                let times = if rng.random_bool(0.1) { 200 } else { 1 };
                for _ in 0..times {
                    d.splice(at..at, token.iter().copied());
                }
            }
            _ => {
                let other = &t.seeds[rng.random_range(0..t.seeds.len())];
                if !other.is_empty() {
                    let a = rng.random_range(0..other.len());
                    let at = rng.random_range(0..=len);
                    d.truncate(at);
                    d.extend_from_slice(&other[a..]);
                }
            }
        }
        d.truncate(MAX_LEN);
    }
    d
}

fn save_crash(target: &str, data: &[u8]) -> PathBuf {
    let dir = root().join("target/fuzz-crashes").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.bin", oidc_doctor::issuer::tls::sha1_hex(data)));
    std::fs::write(&path, data).unwrap();
    path
}

fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = root().join("fuzz/regressions").join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .map(|p| {
                    let bytes = std::fs::read(&p).unwrap();
                    (p, bytes)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn fuzz(name: &str) {
    let t = targets()
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no target {name}"));
    assert!(!t.seeds.is_empty(), "{name}: no seeds");
    let run_one = |data: &[u8], origin: &dyn Fn() -> String| {
        let outcome = catch_unwind(AssertUnwindSafe(|| (t.run)(data)));
        if outcome.is_err() {
            let saved = save_crash(name, data);
            panic!(
                "{name}: panic on {} — input saved to {}; keep it as fuzz/regressions/{name}/{}",
                origin(),
                saved.display(),
                saved.file_name().unwrap().to_string_lossy()
            );
        }
    };
    for (path, data) in regressions(name) {
        run_one(&data, &|| format!("regression {}", path.display()));
    }
    for (i, seed) in t.seeds.iter().enumerate() {
        run_one(seed, &|| format!("seed {i}"));
    }
    // A fixed seed per target: a failure reproduces exactly.
    let mut rng = ChaCha8Rng::seed_from_u64(name.bytes().map(u64::from).sum());
    let (min_rounds, budget, start) = (rounds(), budget(), std::time::Instant::now());
    for round in 0..MAX_ROUNDS {
        if round >= min_rounds && start.elapsed() >= budget {
            eprintln!(
                "{name}: {round} rounds in {:.1} s",
                start.elapsed().as_secs_f64()
            );
            break;
        }
        let seed = &t.seeds[rng.random_range(0..t.seeds.len())];
        let input = mutate(&mut rng, seed, &t);
        run_one(&input, &|| format!("round {round}"));
    }
}

#[test]
fn fuzz_token() {
    fuzz("token");
}

#[test]
fn fuzz_policy_json() {
    fuzz("policy-json");
}

#[test]
fn fuzz_terraform_hcl() {
    fuzz("terraform-hcl");
}

#[test]
fn fuzz_terraform_json() {
    fuzz("terraform-json");
}

#[test]
fn fuzz_yaml_cloudformation() {
    fuzz("yaml-cloudformation");
}

#[test]
fn fuzz_gitlab_ci() {
    fuzz("gitlab-ci");
}

#[test]
fn fuzz_discovery_and_jwks() {
    fuzz("discovery-jwks");
}

#[test]
fn fuzz_certificate_chain() {
    fuzz("certificate-chain");
}

#[test]
fn every_target_has_seeds_and_a_test() {
    let here = std::fs::read_to_string(root().join("tests/fuzz.rs")).unwrap();
    for t in targets() {
        assert!(!t.seeds.is_empty(), "{}", t.name);
        assert!(
            here.contains(&format!("fuzz(\"{}\")", t.name)),
            "{} has no #[test]",
            t.name
        );
    }
}
