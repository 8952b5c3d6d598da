//! The IAM wildcard matcher.
//!
//! IAM's `StringLike`/`ArnLike`/`Action` patterns know exactly two wildcards: `*`
//! (any run of characters, including none, crossing `/` and `:`) and `?` (exactly one
//! character — a Unicode scalar value, not a byte). Everything else is literal: `[`,
//! `{`, `\` have no meaning, which is why a file-path glob library (globset) is wrong
//! here. A pattern with `?` is matched by a dynamic programme over (pattern position ×
//! subject position); a pattern whose only wildcard is `*` by finding its literal runs
//! in order. Neither backtracks: the work is bounded by
//! `(pattern tokens + 1) × (subject chars + 1)` whatever the input.

/// One pattern element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    Lit(char),
    /// `?`
    One,
    /// `*`
    Any,
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pattern {
    tokens: Vec<Token>,
    /// For patterns whose only wildcard is `*`: the literal runs between the stars.
    /// Such a pattern is matched by finding the runs in order (the leftmost match
    /// of each run is always a safe choice), with no table at all.
    star_runs: Option<Vec<String>>,
}

impl Pattern {
    pub fn from_tokens(mut tokens: Vec<Token>) -> Self {
        // `**` means the same as `*`; collapsing keeps the DP table small.
        tokens.dedup_by(|a, b| *a == Token::Any && *b == Token::Any);
        let star_runs = (!tokens.contains(&Token::One)).then(|| {
            tokens
                .split(|t| *t == Token::Any)
                .map(|run| {
                    run.iter()
                        .map(|t| match t {
                            Token::Lit(c) => *c,
                            // Only literals remain once `*` splits and `?` is absent.
                            _ => '*',
                        })
                        .collect()
                })
                .collect()
        });
        Pattern { tokens, star_runs }
    }

    /// `*` and `?` are wildcards, everything else literal (no policy variables).
    pub fn glob(pattern: &str) -> Self {
        Self::from_tokens(
            pattern
                .chars()
                .map(|c| match c {
                    '*' => Token::Any,
                    '?' => Token::One,
                    c => Token::Lit(c),
                })
                .collect(),
        )
    }

    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    pub fn has_wildcards(&self) -> bool {
        self.tokens.iter().any(|t| !matches!(t, Token::Lit(_)))
    }

    /// The pattern as text when it has no wildcards.
    pub fn as_literal(&self) -> Option<String> {
        self.tokens
            .iter()
            .map(|t| match t {
                Token::Lit(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// False only when no text that starts with `prefix` can match: the pattern's
    /// leading literals disagree with `prefix` before its first `*`. Lets a caller
    /// rule out a whole family of candidate subjects without building any of them.
    pub fn may_match_with_prefix(&self, prefix: &str) -> bool {
        let mut tokens = self.tokens.iter();
        for c in prefix.chars() {
            match tokens.next() {
                Some(Token::Any) => return true,
                Some(Token::One) => {}
                Some(Token::Lit(l)) if *l == c => {}
                // A different literal, or a pattern shorter than the prefix.
                _ => return false,
            }
        }
        true
    }

    pub fn matches(&self, subject: &str) -> bool {
        let mut steps = 0;
        self.matches_counting(subject, &mut steps)
    }

    /// Like [`Pattern::matches`], adding the number of DP cells visited to `steps`
    /// (the unit test proves the bound with it).
    pub fn matches_counting(&self, subject: &str, steps: &mut u64) -> bool {
        if let Some(runs) = &self.star_runs {
            // Fast path: a pattern without wildcards (one run, no star) is plain
            // equality, compared without building the literal.
            if let [literal] = runs.as_slice() {
                *steps += 1;
                return literal == subject;
            }
            // `runs` has one more element than there are stars: the first must be a
            // prefix, the last a suffix, the middle ones appear in order between.
            // Each run is searched once over the subject: at most
            // (runs) × (subject chars + 1) steps, within the DP's bound.
            *steps += runs.len() as u64 * (subject.chars().count() as u64 + 1);
            let (first, last) = (&runs[0], &runs[runs.len() - 1]);
            let Some(rest) = subject.strip_prefix(first.as_str()) else {
                return false;
            };
            let Some(mut rest) = rest.strip_suffix(last.as_str()) else {
                return false;
            };
            for run in &runs[1..runs.len() - 1] {
                match rest.find(run.as_str()) {
                    Some(i) => rest = &rest[i + run.len()..],
                    None => return false,
                }
            }
            return true;
        }
        let chars: Vec<char> = subject.chars().collect();
        let n = chars.len();
        // prev[j]: the tokens so far match chars[..j].
        let mut prev = vec![false; n + 1];
        let mut cur = vec![false; n + 1];
        prev[0] = true;
        *steps += (n + 1) as u64;
        for token in &self.tokens {
            match token {
                Token::Any => {
                    cur[0] = prev[0];
                    for j in 1..=n {
                        cur[j] = prev[j] || cur[j - 1];
                    }
                }
                Token::One => {
                    cur[0] = false;
                    cur[1..=n].copy_from_slice(&prev[..n]);
                }
                Token::Lit(c) => {
                    cur[0] = false;
                    for j in 1..=n {
                        cur[j] = prev[j - 1] && chars[j - 1] == *c;
                    }
                }
            }
            *steps += (n + 1) as u64;
            std::mem::swap(&mut prev, &mut cur);
            if !prev.iter().any(|b| *b) {
                return false;
            }
        }
        prev[n]
    }
}

/// Case-insensitive IAM wildcard match (used for actions, which IAM compares
/// without regard to case).
pub fn matches_ignore_case(pattern: &str, subject: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        if pattern.is_ascii() && subject.is_ascii() {
            // ASCII folds byte by byte (actions are ASCII).
            return pattern.eq_ignore_ascii_case(subject);
        }
        // No wildcard: compare folded characters without building anything.
        return pattern
            .chars()
            .flat_map(char::to_lowercase)
            .eq(subject.chars().flat_map(char::to_lowercase));
    }
    Pattern::glob(&fold_case(pattern)).matches(&fold_case(subject))
}

/// Simple case folding, character by character.
pub fn fold_case(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_check_is_necessary_for_a_match() {
        let cases = [
            ("project_path:g/*", "project_path:g/", true),
            ("project_path:g/*", "project_path:h/", false),
            (
                "project_path:g/p:ref_type:branch:ref:main",
                "project_path:h",
                false,
            ),
            ("project_path:g/p", "project_path:g/p:ref", false),
            ("project_path:?/*", "project_path:x/y", true),
            ("*", "anything", true),
            ("", "", true),
            ("abc", "", true),
        ];
        for (pattern, prefix, expected) in cases {
            let p = Pattern::glob(pattern);
            assert_eq!(
                p.may_match_with_prefix(prefix),
                expected,
                "{pattern} / {prefix}"
            );
            // Soundness: whenever the check says no, the prefix itself and its
            // extensions do not match.
            if !expected {
                for tail in ["", "x", ":ref_type:branch:ref:main"] {
                    assert!(
                        !p.matches(&format!("{prefix}{tail}")),
                        "{pattern} / {prefix}{tail}"
                    );
                }
            }
        }
    }

    #[test]
    fn star_crosses_slash_and_colon() {
        let p = Pattern::glob("project_path:g/*");
        assert!(p.matches("project_path:g/p:ref_type:branch:ref:main"));
        assert!(p.matches("project_path:g/"));
        assert!(!p.matches("project_path:h/p"));
    }

    #[test]
    fn question_mark_is_one_character_not_one_byte() {
        assert!(Pattern::glob("a?c").matches("aéc"));
        assert!(Pattern::glob("a?c").matches("a😀c"));
        assert!(!Pattern::glob("a?c").matches("ac"));
        assert!(!Pattern::glob("a?c").matches("abbc"));
    }

    #[test]
    fn brackets_braces_and_backslashes_are_literal() {
        assert!(Pattern::glob("a[bc]").matches("a[bc]"));
        assert!(!Pattern::glob("a[bc]").matches("ab"));
        assert!(Pattern::glob("{a,b}").matches("{a,b}"));
        assert!(!Pattern::glob("{a,b}").matches("a"));
        assert!(Pattern::glob("a\\*").matches("a\\xyz"));
        assert!(!Pattern::glob("a\\*").matches("a*"));
    }

    #[test]
    fn empty_and_star_only() {
        assert!(Pattern::glob("").matches(""));
        assert!(!Pattern::glob("").matches("a"));
        assert!(Pattern::glob("*").matches(""));
        assert!(Pattern::glob("**").matches("anything:at/all"));
    }

    #[test]
    fn work_is_bounded_without_backtracking() {
        let pattern = Pattern::glob("*a*a*a*a*a*a*a*b");
        for len in [100usize, 1_000, 10_000] {
            let subject = "a".repeat(len);
            let mut steps = 0;
            assert!(!pattern.matches_counting(&subject, &mut steps));
            let bound = (pattern.tokens().len() as u64 + 1) * (len as u64 + 1);
            assert!(steps <= bound, "len {len}: {steps} steps > bound {bound}");
        }
        // A backtracking matcher needs ~C(n, 7) steps here; we stay linear per token.
        let subject = format!("{}b", "a".repeat(10_000));
        let mut steps = 0;
        assert!(pattern.matches_counting(&subject, &mut steps));
        let bound = (pattern.tokens().len() as u64 + 1) * (subject.chars().count() as u64 + 1);
        assert!(steps <= bound, "{steps} steps > bound {bound}");
    }

    #[test]
    fn ignore_case_for_actions() {
        assert!(matches_ignore_case(
            "sts:AssumeRoleWith*",
            "STS:assumerolewithwebidentity"
        ));
        assert!(matches_ignore_case(
            "STS:*",
            "sts:AssumeRoleWithWebIdentity"
        ));
        assert!(!matches_ignore_case(
            "sts:AssumeRole",
            "sts:AssumeRoleWithWebIdentity"
        ));
    }
}
