//! Criterion micro-benchmarks of the hot paths: the wildcard matcher, the policy
//! JSON reader and a whole `simulate` (parse, evaluate, explain).
//! `cargo bench --bench engine`; numbers are recorded in docs/performance.md.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

use oidc_doctor::iam::wildcard::Pattern;
use oidc_doctor::simulate::{ClaimsOrigin, PolicySource, SimulateInput, simulate};

const POLICY: &str = include_str!("../fixtures/policies/clean-gitlab-com.json");

fn wildcard(c: &mut Criterion) {
    let literal_runs = Pattern::glob("project_path:mygroup/*:ref_type:branch:ref:release/*");
    let mixed = Pattern::glob("project_path:mygroup/app-??:ref_type:*:ref:v*.*.?");
    let subject = "project_path:mygroup/app-01:ref_type:tag:ref:v1.20.3";
    let long = format!("project_path:{}:ref_type:branch:ref:main", "a/".repeat(500));
    c.bench_function("wildcard/star-only", |b| {
        b.iter(|| literal_runs.matches(black_box(subject)))
    });
    c.bench_function("wildcard/with-question-marks", |b| {
        b.iter(|| mixed.matches(black_box(subject)))
    });
    c.bench_function("wildcard/1kB-subject-no-match", |b| {
        b.iter(|| literal_runs.matches(black_box(&long)))
    });
}

fn policy_json(c: &mut Criterion) {
    c.bench_function("policy/parse-clean-gitlab-com", |b| {
        b.iter(|| oidc_doctor::policy::parse_policy_json(black_box(POLICY)))
    });
}

fn whole_simulate(c: &mut Criterion) {
    let claims: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::json!({
            "iss": "https://gitlab.com",
            "aud": "https://gitlab.com",
            "sub": "project_path:mygroup/app:ref_type:branch:ref:feature",
            "project_id": "4711",
            "ref_protected": "true"
        }))
        .expect("claims");
    let input = SimulateInput {
        policy: PolicySource {
            path: "trust.json".into(),
            text: POLICY.into(),
            utf8_error: None,
            parsed: None,
            resource: None,
            front_end_error: None,
        },
        claims: Ok(claims),
        claims_origin: ClaimsOrigin::Given,
        context: vec![],
        role_arn: None,
        now: None,
    };
    c.bench_function("simulate/denied-with-explanation", |b| {
        b.iter(|| simulate(black_box(input.clone())))
    });
}

criterion_group!(benches, wildcard, policy_json, whole_simulate);
criterion_main!(benches);
