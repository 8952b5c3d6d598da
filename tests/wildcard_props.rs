//! Property test: the IAM wildcard matcher agrees with an independent reference — a
//! regular expression built from the pattern — on random patterns and subjects,
//! non-ASCII included. A fixed seed keeps runs reproducible.

use oidc_doctor::iam::wildcard::Pattern;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// The reference: `*` → `.*`, `?` → `.` (one Unicode scalar value), all else literal.
fn reference(pattern: &str, subject: &str) -> bool {
    let mut re = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re)
        .expect("reference regex compiles")
        .is_match(subject)
}

const PATTERN_CHARS: &[char] = &[
    'a', 'b', '*', '?', '/', ':', 'é', '😀', '[', ']', '\\', '{', '.', '$',
];
const SUBJECT_CHARS: &[char] = &[
    'a', 'b', '/', ':', 'é', '😀', '[', ']', '\\', '{', '.', '$', '*', '?', '\n',
];

fn text(alphabet: &'static [char], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(alphabet), 0..max)
        .prop_map(|v| v.into_iter().collect())
}

/// A subject built from the pattern by filling its wildcards: most of these match,
/// so both outcomes are well exercised.
fn filled(pattern: &str, fills: &[String]) -> String {
    let mut out = String::new();
    let mut i = 0;
    for c in pattern.chars() {
        match c {
            '*' => {
                out.push_str(&fills[i % fills.len()]);
                i += 1;
            }
            '?' => out.push(fills[i % fills.len()].chars().next().unwrap_or('x')),
            c => out.push(c),
        }
    }
    out
}

fn config() -> Config {
    Config {
        cases: 3000,
        rng_seed: RngSeed::Fixed(0x0_1dc0_dec0),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn agrees_with_a_regex_on_random_inputs(pattern in text(PATTERN_CHARS, 10), subject in text(SUBJECT_CHARS, 14)) {
        prop_assert_eq!(Pattern::glob(&pattern).matches(&subject), reference(&pattern, &subject),
            "pattern {:?} subject {:?}", pattern, subject);
    }

    #[test]
    fn agrees_with_a_regex_on_near_matches(pattern in text(PATTERN_CHARS, 10),
                                           fills in prop::collection::vec(text(SUBJECT_CHARS, 4), 1..4),
                                           mutate in any::<bool>()) {
        let mut subject = filled(&pattern, &fills);
        if mutate && !subject.is_empty() {
            subject.pop();
        }
        prop_assert_eq!(Pattern::glob(&pattern).matches(&subject), reference(&pattern, &subject),
            "pattern {:?} subject {:?}", pattern, subject);
    }
}

#[test]
fn both_outcomes_occur_in_the_generated_cases() {
    // Guards the property tests above against a generator that only ever says "no".
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let strategy = (
        text(PATTERN_CHARS, 10),
        prop::collection::vec(text(SUBJECT_CHARS, 4), 1..4),
    );
    let (mut yes, mut no) = (0, 0);
    for _ in 0..2000 {
        let (pattern, fills) = strategy.new_tree(&mut runner).unwrap().current();
        if Pattern::glob(&pattern).matches(&filled(&pattern, &fills)) {
            yes += 1
        } else {
            no += 1
        }
    }
    assert!(
        yes > 500 && no == 0,
        "filled subjects must always match: yes={yes} no={no}"
    );
}
