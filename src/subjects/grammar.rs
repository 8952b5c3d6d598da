//! The language of GitLab subjects as a small automaton, and the sound test "can
//! this policy value or pattern match any subject GitLab issues?".
//!
//! A subject is one or more `name:value` components joined with `:` (SPEC §5). The
//! automaton accepts a *superset* of what GitLab issues: every documented component
//! name, in any order, any number of times, each with the values GitLab can put
//! there:
//!
//! - `project_path`: `group(/subgroup)*/project`, each segment `[A-Za-z0-9_.][A-Za-z0-9_.-]*`
//!   (GitLab's path rule; a project always sits in a group or user namespace);
//! - `namespace_path`: one or more such segments;
//! - `project_id`, `namespace_id`: decimal digits;
//! - `ref_type`: `branch` or `tag` (or a subset, see [`Grammar::with_ref_types`]);
//! - `ref`: a Git ref short name — no control characters, space, `~^:?*[\`, not
//!   starting with `-`, `refs/heads/` or `refs/remotes/` (Gitlab::GitRefValidator);
//! - `environment`: any text without `:`; `environment_protected`: `true`/`false`;
//!   `deployment_tier`: `production|staging|testing|development|other` (both may be
//!   empty for jobs without an environment).
//!
//! Because the language only over-approximates, "the intersection with a pattern is
//! empty" is a proof that the pattern can never match: the check is sound (no false
//! alarms for patterns that could match), which is what `sub-never-matches` needs.
//! The intersection is a breadth-first search over (pattern position × automaton
//! state) pairs, so the work is bounded by their product.

use std::sync::OnceLock;

use crate::iam::wildcard::Token;

/// A set of characters an automaton edge accepts. Every class is non-empty.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Class {
    Char(char),
    /// `[A-Za-z0-9_.]`: the first character of a path segment.
    PathStart,
    /// `[A-Za-z0-9_.-]`.
    PathChar,
    Digit,
    /// A character allowed in a Git ref name, minus `except`.
    RefChar {
        except: Vec<char>,
    },
    /// Anything but `:` and control characters.
    Text,
}

fn is_ref_char(c: char) -> bool {
    !(c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c))
}

impl Class {
    fn contains(&self, c: char) -> bool {
        match self {
            Class::Char(x) => *x == c,
            Class::PathStart => c.is_ascii_alphanumeric() || c == '_' || c == '.',
            Class::PathChar => c.is_ascii_alphanumeric() || "_.-".contains(c),
            Class::Digit => c.is_ascii_digit(),
            Class::RefChar { except } => is_ref_char(c) && !except.contains(&c),
            Class::Text => c != ':' && !c.is_control(),
        }
    }

    /// Whether the class holds some character that folds to the same as `c`.
    fn contains_folded(&self, c: char) -> bool {
        if !c.is_ascii() {
            // Unicode case folding can map several characters together; claiming a
            // match keeps the test sound.
            return true;
        }
        self.contains(c.to_ascii_lowercase()) || self.contains(c.to_ascii_uppercase())
    }
}

#[derive(Debug, Clone, Default)]
struct State {
    accept: bool,
    edges: Vec<(Class, usize)>,
}

/// An automaton for (a superset of) the subjects GitLab issues.
#[derive(Debug, Clone)]
pub struct Grammar {
    states: Vec<State>,
    start: usize,
    /// The `ref_type` values allowed, for [`Grammar::accepts`]'s direct check.
    ref_types: Vec<String>,
}

/// Git ref prefixes GitLab refuses for branch and tag names.
const REFUSED_REF_PREFIXES: &[&str] = &["refs/heads/", "refs/remotes/"];

impl Grammar {
    /// Every subject GitLab can issue.
    pub fn all() -> &'static Grammar {
        static G: OnceLock<Grammar> = OnceLock::new();
        G.get_or_init(|| Grammar::with_ref_types(&["branch", "tag"]))
    }

    /// Subjects that can belong to a branch pipeline: `ref_type`, when present, is `branch`.
    pub fn branches() -> &'static Grammar {
        static G: OnceLock<Grammar> = OnceLock::new();
        G.get_or_init(|| Grammar::with_ref_types(&["branch"]))
    }

    /// Subjects that can belong to a tag pipeline.
    pub fn tags() -> &'static Grammar {
        static G: OnceLock<Grammar> = OnceLock::new();
        G.get_or_init(|| Grammar::with_ref_types(&["tag"]))
    }

    /// Subjects whose `ref_type` component, when present, is one of `ref_types`.
    pub fn with_ref_types(ref_types: &[&str]) -> Grammar {
        let mut b = Builder::default();
        let start = b.state();
        for (name, _) in crate::gitlab::sub::COMPONENTS {
            let after_name = b.literal(start, name);
            let value_start = b.state();
            b.edge(after_name, Class::Char(':'), value_start);
            let ends = match *name {
                "project_path" => b.path(value_start, 2),
                "namespace_path" => b.path(value_start, 1),
                "project_id" | "namespace_id" => b.digits(value_start),
                "ref_type" => b.words(value_start, ref_types, false),
                "ref" => b.git_ref(value_start),
                "environment_protected" => b.words(value_start, &["true", "false"], true),
                "deployment_tier" => b.words(
                    value_start,
                    &["production", "staging", "testing", "development", "other"],
                    true,
                ),
                _ => b.text(value_start),
            };
            for e in ends {
                b.states[e].accept = true;
                b.edge(e, Class::Char(':'), start);
            }
        }
        Grammar {
            states: b.states,
            start,
            ref_types: ref_types.iter().map(|t| t.to_string()).collect(),
        }
    }

    /// Whether the grammar accepts this exact text: a plain NFA run over the set of
    /// live states, without the (position × state) table wildcards need.
    fn accepts_text(&self, chars: &[char], ignore_case: bool) -> bool {
        let n = self.states.len();
        let mut live = vec![self.start];
        let mut marked = vec![false; n];
        for c in chars {
            let mut next = Vec::with_capacity(live.len());
            for q in &live {
                for (class, to) in &self.states[*q].edges {
                    let ok = if ignore_case {
                        class.contains_folded(*c)
                    } else {
                        class.contains(*c)
                    };
                    if ok && !marked[*to] {
                        marked[*to] = true;
                        next.push(*to);
                    }
                }
            }
            for q in &next {
                marked[*q] = false;
            }
            if next.is_empty() {
                return false;
            }
            live = next;
        }
        live.iter().any(|q| self.states[*q].accept)
    }

    /// Whether some subject of this language matches `tokens` (a compiled IAM
    /// pattern: literals, `?`, `*`). `ignore_case` compares like the `…IgnoreCase`
    /// operators.
    pub fn can_match(&self, tokens: &[Token], ignore_case: bool) -> bool {
        if let Some(chars) = tokens
            .iter()
            .map(|t| match t {
                Token::Lit(c) => Some(*c),
                _ => None,
            })
            .collect::<Option<String>>()
        {
            return if ignore_case {
                self.accepts_text(&chars.chars().collect::<Vec<_>>(), true)
            } else {
                self.accepts(&chars)
            };
        }
        let m = tokens.len();
        let n = self.states.len();
        // One bit per (position, state): the table is (m+1)·n bits, zeroed once.
        let mut seen = vec![0u64; ((m + 1) * n).div_ceil(64)];
        let mut stack = vec![(0usize, self.start)];
        seen[self.start / 64] |= 1 << (self.start % 64);
        while let Some((i, q)) = stack.pop() {
            if i == m && self.states[q].accept {
                return true;
            }
            let mut push = |i: usize, q: usize, stack: &mut Vec<(usize, usize)>| {
                let k = i * n + q;
                let (word, bit) = (k / 64, 1u64 << (k % 64));
                if seen[word] & bit == 0 {
                    seen[word] |= bit;
                    stack.push((i, q));
                }
            };
            let Some(token) = tokens.get(i) else {
                continue;
            };
            match token {
                Token::Any => {
                    for (_, to) in &self.states[q].edges {
                        push(i, *to, &mut stack);
                    }
                    // Pushed last, popped first: a `*` that matches nothing more is
                    // tried before the search runs on through the language (a
                    // trailing `*` usually succeeds at once).
                    push(i + 1, q, &mut stack);
                }
                Token::One => {
                    for (_, to) in &self.states[q].edges {
                        push(i + 1, *to, &mut stack);
                    }
                }
                Token::Lit(c) => {
                    for (class, to) in &self.states[q].edges {
                        let ok = if ignore_case {
                            class.contains_folded(*c)
                        } else {
                            class.contains(*c)
                        };
                        if ok {
                            push(i + 1, *to, &mut stack);
                        }
                    }
                }
            }
        }
        false
    }

    /// Whether `subject` itself is a subject of this language.
    ///
    /// Checked component by component rather than by running the automaton: no
    /// component value can contain `:`, so splitting on it finds the components,
    /// and this is the hot path of the subject analysis (every candidate subject
    /// is checked). A property test keeps it equal to the automaton.
    pub fn accepts(&self, subject: &str) -> bool {
        let mut parts = subject.split(':');
        loop {
            let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
                return false;
            };
            let ok = match name {
                "project_path" => is_path(value, 2),
                "namespace_path" => is_path(value, 1),
                "project_id" | "namespace_id" => {
                    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
                }
                "ref_type" => self.ref_types.iter().any(|t| t == value),
                "ref" => is_git_ref(value),
                "environment_protected" => matches!(value, "" | "true" | "false"),
                "deployment_tier" => matches!(
                    value,
                    "" | "production" | "staging" | "testing" | "development" | "other"
                ),
                "environment" => value.chars().all(|c| !c.is_control()),
                _ => false,
            };
            if !ok {
                return false;
            }
            if parts.clone().next().is_none() {
                return true;
            }
        }
    }

    /// [`Grammar::accepts`] by running the automaton (the reference it is tested against).
    #[cfg(test)]
    fn accepts_by_automaton(&self, subject: &str) -> bool {
        let tokens: Vec<Token> = subject.chars().map(Token::Lit).collect();
        self.can_match(&tokens, false)
    }
}

/// `segment(/segment)*` with at least `min` segments, as the automaton's `path`.
fn is_path(value: &str, min: usize) -> bool {
    let mut count = 0;
    for seg in value.split('/') {
        let mut chars = seg.chars();
        let start_ok = chars.next().is_some_and(|c| Class::PathStart.contains(c));
        if !start_ok || !chars.all(|c| Class::PathChar.contains(c)) {
            return false;
        }
        count += 1;
    }
    count >= min
}

/// A Git ref name as the automaton's `git_ref` spells it.
pub(crate) fn is_git_ref(value: &str) -> bool {
    !value.is_empty()
        && !value.starts_with('-')
        && value.chars().all(is_ref_char)
        && !REFUSED_REF_PREFIXES.iter().any(|p| value.starts_with(p))
}

#[derive(Default)]
struct Builder {
    states: Vec<State>,
}

impl Builder {
    fn state(&mut self) -> usize {
        self.states.push(State::default());
        self.states.len() - 1
    }

    fn edge(&mut self, from: usize, class: Class, to: usize) {
        self.states[from].edges.push((class, to));
    }

    /// A chain spelling `word` from `from`; returns the state after it.
    fn literal(&mut self, from: usize, word: &str) -> usize {
        let mut at = from;
        for c in word.chars() {
            let next = self.state();
            self.edge(at, Class::Char(c), next);
            at = next;
        }
        at
    }

    /// `segment(/segment)*` with at least `min_segments` segments.
    fn path(&mut self, from: usize, min_segments: usize) -> Vec<usize> {
        let mut at = from;
        let mut last = from;
        for i in 0..min_segments.max(1) {
            if i > 0 {
                let slash = self.state();
                self.edge(at, Class::Char('/'), slash);
                at = slash;
            }
            let seg = self.state();
            self.edge(at, Class::PathStart, seg);
            self.edge(seg, Class::PathChar, seg);
            at = seg;
            last = seg;
        }
        // Further segments: `/` back to a segment start that loops here.
        let more = self.state();
        self.edge(last, Class::Char('/'), more);
        self.edge(more, Class::PathStart, last);
        vec![last]
    }

    fn digits(&mut self, from: usize) -> Vec<usize> {
        let d = self.state();
        self.edge(from, Class::Digit, d);
        self.edge(d, Class::Digit, d);
        vec![d]
    }

    fn words(&mut self, from: usize, words: &[&str], empty: bool) -> Vec<usize> {
        let mut ends: Vec<usize> = words.iter().map(|w| self.literal(from, w)).collect();
        if empty {
            ends.push(from);
        }
        ends
    }

    fn text(&mut self, from: usize) -> Vec<usize> {
        self.edge(from, Class::Text, from);
        vec![from]
    }

    /// A Git ref name: a trie over the refused prefixes, leaving it for a free state
    /// on the first character that departs from every refused prefix.
    fn git_ref(&mut self, from: usize) -> Vec<usize> {
        let free = self.state();
        self.edge(free, Class::RefChar { except: Vec::new() }, free);
        let mut ends = vec![free];
        // Trie nodes: (prefix so far, state).
        let mut nodes: Vec<(String, usize)> = vec![(String::new(), from)];
        let mut i = 0;
        while i < nodes.len() {
            let (prefix, state) = nodes[i].clone();
            i += 1;
            let mut next_chars: Vec<char> = REFUSED_REF_PREFIXES
                .iter()
                .filter_map(|p| p.strip_prefix(prefix.as_str()))
                .filter_map(|rest| rest.chars().next())
                .collect();
            next_chars.sort_unstable();
            next_chars.dedup();
            for c in &next_chars {
                let longer = format!("{prefix}{c}");
                if REFUSED_REF_PREFIXES.contains(&longer.as_str()) {
                    continue; // a refused prefix: no way forward
                }
                let child = self.state();
                self.edge(state, Class::Char(*c), child);
                nodes.push((longer, child));
            }
            let mut except = next_chars;
            if prefix.is_empty() {
                except.push('-'); // GitLab refuses names starting with `-`
            } else {
                ends.push(state);
            }
            self.edge(state, Class::RefChar { except }, free);
        }
        ends
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::wildcard::Pattern;

    fn like(p: &str) -> bool {
        Grammar::all().can_match(Pattern::glob(p).tokens(), false)
    }

    fn exact(s: &str) -> bool {
        Grammar::all().accepts(s)
    }

    #[test]
    fn accepts_documented_forms() {
        for s in [
            "project_path:g/p:ref_type:branch:ref:main",
            "project_path:group/sub/sub2/project:ref_type:tag:ref:v1.2.3",
            "project_path:g/p:ref:main",
            "project_path:g/p:ref_type:branch",
            "project_path:g/p:ref:main:ref_type:branch",
            "project_id:20:ref_type:branch:ref:main",
            "project_path:g/p:ref_type:branch:ref:feature/x:environment:prod eu:deployment_tier:production",
            "project_path:g/p:ref_type:branch:ref:refs",
            "project_path:my.group/_p-1:ref_type:branch:ref:räksmörgås",
        ] {
            assert!(exact(s), "{s}");
        }
    }

    #[test]
    fn refuses_what_gitlab_never_issues() {
        for s in [
            "repo:org/repo:ref:refs/heads/main",
            "project_path:g/p:ref_type:branch:ref:refs/heads/main",
            "project_path:g/p:ref_type:branches:ref:main",
            "project_path:g/p:ref_type:heads:ref:main",
            "project_path:app:ref_type:branch:ref:main",
            " project_path:g/p:ref_type:branch:ref:main",
            "project_path:g/p:ref_type:branch:ref:main ",
            "project_path:g/p:ref_type:branch:ref:",
            "project_path:g/p:ref_type:branch:ref:-x",
            "project_path:g/p:branch:main",
            "project_id:abc:ref_type:branch:ref:main",
            "project_path:-g/p:ref_type:branch:ref:main",
            "project_path:g//p:ref_type:branch:ref:main",
            "",
        ] {
            assert!(!exact(s), "{s:?}");
        }
    }

    #[test]
    fn patterns_are_decided_soundly() {
        for p in [
            "*",
            "project_path:*",
            "*:ref_type:branch:ref:main",
            "project_path:mygroup*",
            "project_path:g/?:ref_type:*:ref:*",
            "*refs/heads/main", // a branch could be named `x/refs/heads/main`
            "project_path:g/p:ref_type:branch:ref:re*",
            "project_path:g/p*",
        ] {
            assert!(like(p), "{p}");
        }
        for p in [
            "repo:*",
            "repo:org/*:ref:refs/heads/main",
            "project_path:g/p:ref_type:branch:ref:refs/heads/*",
            "project_path:g/p:ref_type:tags:*",
            "project_path:app:ref_type:branch:*",
            "project_path:g/p:ref_type:branch:ref:main ",
            " *",
            "*:ref_type:merge_request:*",
        ] {
            assert!(!like(p), "{p}");
        }
    }

    #[test]
    fn ignore_case_folds() {
        let g = Grammar::all();
        let t: Vec<Token> = "PROJECT_PATH:G/P:REF_TYPE:BRANCH:REF:MAIN"
            .chars()
            .map(Token::Lit)
            .collect();
        assert!(!g.can_match(&t, false));
        assert!(g.can_match(&t, true));
    }

    #[test]
    fn ref_type_subsets() {
        let tag = Pattern::glob("project_path:g/p:ref_type:tag:ref:*");
        assert!(!Grammar::branches().can_match(tag.tokens(), false));
        assert!(Grammar::tags().can_match(tag.tokens(), false));
        // A form without ref_type may belong to a branch or a tag.
        let no_type = Pattern::glob("project_path:g/p:ref:main");
        assert!(Grammar::branches().can_match(no_type.tokens(), false));
        assert!(Grammar::tags().can_match(no_type.tokens(), false));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn segment() -> impl Strategy<Value = String> {
            "[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,8}"
        }

        fn path() -> impl Strategy<Value = String> {
            proptest::collection::vec(segment(), 2..5).prop_map(|s| s.join("/"))
        }

        fn git_ref() -> impl Strategy<Value = String> {
            "[a-z0-9][a-z0-9._/-]{0,12}".prop_filter("GitLab refuses these prefixes", |r| {
                !r.starts_with("refs/heads/") && !r.starts_with("refs/remotes/")
            })
        }

        /// Subjects as GitLab issues them, in the documented component forms.
        fn subject() -> impl Strategy<Value = String> {
            (
                path(),
                "[0-9]{1,8}",
                prop_oneof!["branch", "tag"],
                git_ref(),
                0..5usize,
            )
                .prop_map(|(p, id, t, r, form)| match form {
                    0 => format!("project_path:{p}:ref_type:{t}:ref:{r}"),
                    1 => format!("project_path:{p}:ref:{r}"),
                    2 => format!("project_path:{p}:ref_type:{t}"),
                    3 => format!("project_path:{p}:ref:{r}:ref_type:{t}"),
                    _ => format!("project_id:{id}:ref_type:{t}:ref:{r}"),
                })
        }

        /// Text near the language: component names, separators, odd characters.
        fn near_subject() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("project_path".to_string()),
                Just("project_id".to_string()),
                Just("namespace_path".to_string()),
                Just("ref_type".to_string()),
                Just("ref".to_string()),
                Just("environment".to_string()),
                Just("deployment_tier".to_string()),
                Just("environment_protected".to_string()),
                Just("branch".to_string()),
                Just("tag".to_string()),
                Just("true".to_string()),
                Just("production".to_string()),
                Just("refs/heads/".to_string()),
                "[a-z0-9:/._ -]{0,4}",
                "[\\x00-\\x7f]{1,2}",
                Just("é".to_string()),
            ];
            proptest::collection::vec(piece, 0..10).prop_map(|v| v.concat())
        }

        proptest! {
            /// The direct component check says exactly what the automaton says.
            #[test]
            fn accepts_equals_the_automaton(s in near_subject(), t in subject()) {
                for g in [Grammar::all(), Grammar::branches(), Grammar::tags()] {
                    prop_assert_eq!(g.accepts(&s), g.accepts_by_automaton(&s), "{:?}", s);
                    prop_assert_eq!(g.accepts(&t), g.accepts_by_automaton(&t), "{:?}", t);
                }
            }
        }

        proptest! {
            /// Soundness: a pattern made from a real subject by replacing any part
            /// with `*` or one character with `?` is never reported as unmatchable.
            #[test]
            fn patterns_from_real_subjects_can_match(
                s in subject(),
                a in 0usize..200,
                b in 0usize..200,
                one in any::<bool>(),
            ) {
                prop_assert!(Grammar::all().accepts(&s), "{}", s);
                let chars: Vec<char> = s.chars().collect();
                let (i, j) = (a % chars.len(), b % chars.len());
                let (lo, hi) = (i.min(j), i.max(j));
                let p: String = if one {
                    chars.iter().enumerate().map(|(k, c)| if k == lo { '?' } else { *c }).collect()
                } else {
                    chars[..lo].iter().chain(std::iter::once(&'*')).chain(&chars[hi..]).collect()
                };
                prop_assert!(
                    Grammar::all().can_match(Pattern::glob(&p).tokens(), false),
                    "{} (from {})", p, s
                );
            }
        }
    }

    #[test]
    fn work_is_bounded() {
        let long = format!(
            "project_path:g/p:ref_type:branch:ref:{}",
            "*a".repeat(2_000)
        );
        assert!(like(&long));
        let never = format!("repo:{}", "*a".repeat(2_000));
        assert!(!like(&never));
    }
}
