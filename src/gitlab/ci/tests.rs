use super::*;

fn run(text: &str) -> (Extracted, SourceText) {
    let source = SourceText::new(text);
    (extract(".gitlab-ci.yml", &source), source)
}

fn found(text: &str) -> Vec<String> {
    let (x, _) = run(text);
    let mut v: Vec<String> = x
        .findings
        .iter()
        .map(|f| {
            let l = f.location.as_ref().unwrap();
            format!("{} {}:{}", f.rule, l.line, l.column)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn id_tokens_per_job_and_default() {
    let (x, _) = run(
        "default:\n  id_tokens:\n    A:\n      aud: https://a\njob:\n  id_tokens:\n    B:\n      aud: [x, y]\n  script: [echo]\n",
    );
    let got: Vec<(String, String, usize)> = x
        .id_tokens
        .iter()
        .map(|t| (t.job.clone(), t.name.clone(), t.aud.len()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("job".into(), "B".into(), 2),
            ("default".into(), "A".into(), 1)
        ]
    );
    assert_eq!(x.id_tokens[0].aud[1].pointer, "/job/id_tokens/B/aud/1");
}

#[test]
fn flags_inside_continued_and_block_scripts() {
    let text = r#"deploy:
  id_tokens:
    TOKEN:
      aud: https://gitlab.com
  script:
    - |
      aws sts assume-role-with-web-identity \
        --role-session-name "x-${CI_COMMIT_REF_NAME}" \
        --duration-seconds 60 \
        --web-identity-token "$OTHER"
    - echo $CI_JOB_JWT_V2
"#;
    assert_eq!(
        found(text),
        vec![
            "duration-exceeds-max-session 9:28",
            "legacy-ci-job-jwt 11:13",
            "role-session-name-invalid 8:32",
            "web-identity-token-not-an-id-token 10:31",
        ]
    );
}

#[test]
fn safe_calls_say_nothing() {
    let text = r#"default:
  id_tokens:
    TOKEN:
      aud: https://gitlab.com
deploy:
  script:
    - >
      export $(printf "A=%s B=%s C=%s" $(aws sts assume-role-with-web-identity
      --role-arn ${ROLE_ARN} --role-session-name "GitLabRunner-${CI_PROJECT_ID}-${CI_PIPELINE_ID}"
      --web-identity-token ${TOKEN} --duration-seconds 3600
      --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text))
"#;
    assert_eq!(found(text), Vec::<String>::new());
}

#[test]
fn includes() {
    let s = SourceText::new(
        "include:\n  - local: /ci/a.yml\n  - 'b.yml'\n  - remote: https://x/y.yml\n  - project: g/p\n    file: c.yml\n",
    );
    assert_eq!(local_includes(&s), vec!["ci/a.yml", "b.yml"]);
    let s = SourceText::new("include: ci/one.yml\n");
    assert_eq!(local_includes(&s), vec!["ci/one.yml"]);
}

#[test]
fn shell_words() {
    let w = words("x --a \"b c\" $(d e) f; g", 1);
    let raw: Vec<&str> = w.iter().map(|w| w.raw.as_str()).collect();
    assert_eq!(raw, vec!["--a", "\"b c\"", "$(d e)", "f"]);
}

#[test]
fn timeouts() {
    assert_eq!(parse_timeout("3h"), Some(10_800));
    assert_eq!(parse_timeout("1h 30m"), Some(5_400));
    assert_eq!(parse_timeout("90 minutes"), Some(5_400));
    assert_eq!(parse_timeout("600"), Some(600));
    assert_eq!(parse_timeout("soon"), None);
}

#[test]
fn the_job_timeout_decides_whether_ci_job_timeout_fits() {
    let call = "aws sts assume-role-with-web-identity --role-session-name x1 --duration-seconds $CI_JOB_TIMEOUT --web-identity-token $T";
    let job = |timeout: &str| {
        format!("j:\n  {timeout}\n  id_tokens:\n    T:\n      aud: a\n  script:\n    - {call}\n")
    };
    assert_eq!(found(&job("timeout: 30m")), Vec::<String>::new());
    assert_eq!(
        found(&job("timeout: 3h")),
        vec!["duration-exceeds-max-session 7:87"]
    );
    assert_eq!(
        found(&job("timeout: 10m")),
        vec!["duration-exceeds-max-session 7:87"]
    );
    assert_eq!(
        found(&job("stage: x")),
        vec!["duration-exceeds-max-session 7:87"]
    );
}

#[test]
fn aws_role_session_name_variable() {
    let text = "variables:\n  AWS_ROLE_SESSION_NAME: gitlab-$CI_COMMIT_BRANCH\njob:\n  variables:\n    AWS_ROLE_SESSION_NAME:\n      value: \"ci-${CI_JOB_ID}\"\n  script: [x]\n";
    assert_eq!(found(text), vec!["role-session-name-invalid 2:33"]);
}

#[test]
fn inherited_scripts_run_with_the_job_tokens() {
    let text = r#"default:
  before_script:
    - aws sts assume-role-with-web-identity --role-session-name "a-$CI_COMMIT_BRANCH" --web-identity-token $ID
.aws:
  script:
    - aws sts assume-role-with-web-identity --role-session-name ok1 --web-identity-token $ID
good:
  extends: .aws
  id_tokens: {ID: {aud: a}}
bad:
  extends: .aws
  id_tokens: {OTHER: {aud: a}}
isolated:
  inherit: {default: false}
  id_tokens: {OTHER: {aud: a}}
  script: [echo]
"#;
    assert_eq!(
        found(text),
        vec![
            // The branch in the default script, once, where it is written.
            "role-session-name-invalid 3:68",
            // `bad` inherits both scripts and has no `ID` token.
            "web-identity-token-not-an-id-token 3:108",
            "web-identity-token-not-an-id-token 6:90",
        ]
    );
}

// ---- include graphs ----------------------------------------------------------

/// A project directory with `files` (name, text) and its `.gitlab-ci.yml` root.
fn project(files: &[(String, String)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let root = dir.path().join(".gitlab-ci.yml");
    (dir, root)
}

fn ci_including(names: &[String]) -> String {
    let mut t = String::from("include:\n");
    for n in names {
        t.push_str(&format!("  - local: {n}\n"));
    }
    t.push_str("job:\n  script: [echo]\n");
    t
}

fn names_of(graph: &[PathBuf], dir: &Path) -> Vec<String> {
    graph
        .iter()
        .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
        .collect()
}

/// The include finding the graph left for `file`, linted as CI configuration.
fn include_limit_of(graph: &IncludeGraph, file: &Path) -> Option<Finding> {
    let text = std::fs::read_to_string(file).unwrap();
    let x = extract_with(
        &file.display().to_string(),
        &SourceText::new(text),
        graph.notes.get(file),
    );
    x.findings.into_iter().find(|f| f.rule == "analysis-limit")
}

#[test]
fn nested_includes_are_followed_breadth_first_each_file_once() {
    let (dir, root) = project(&[
        (
            ".gitlab-ci.yml".into(),
            ci_including(&["a.yml".into(), "b.yml".into()]),
        ),
        ("a.yml".into(), ci_including(&["c.yml".into()])),
        (
            "b.yml".into(),
            ci_including(&["c.yml".into(), "/a.yml".into()]),
        ),
        ("c.yml".into(), "c:\n  script: [echo]\n".into()),
    ]);
    let graph = include_graph(&root, 1 << 20);
    assert_eq!(
        names_of(&graph.files, dir.path()),
        ["a.yml", "b.yml", "c.yml"]
    );
    // A file included twice by different paths is no cycle.
    assert_eq!(include_limit_of(&graph, &dir.path().join("b.yml")), None);
    assert!(graph.notes.is_empty());
}

#[test]
fn cycles_and_self_includes_are_named_and_not_followed() {
    let (dir, root) = project(&[
        (".gitlab-ci.yml".into(), ci_including(&["a.yml".into()])),
        (
            "a.yml".into(),
            ci_including(&["b.yml".into(), "a.yml".into()]),
        ),
        ("b.yml".into(), ci_including(&["a.yml".into()])),
    ]);
    let graph = include_graph(&root, 1 << 20);
    assert_eq!(names_of(&graph.files, dir.path()), ["a.yml", "b.yml"]);
    let f = include_limit_of(&graph, &dir.path().join("a.yml")).expect("the self include is named");
    assert!(
        f.message.contains("`a.yml` → `a.yml` form a cycle"),
        "{}",
        f.message
    );
    let f = include_limit_of(&graph, &dir.path().join("b.yml")).expect("the cycle is named");
    assert!(
        f.message.contains("`a.yml` → `b.yml` → `a.yml`"),
        "{}",
        f.message
    );
    assert_eq!(f.location.as_ref().unwrap().line, 2);
    // The file that only leads into the cycle has none.
    assert_eq!(include_limit_of(&graph, &root), None);
}

#[test]
fn fan_out_stops_at_gitlab_s_include_limit() {
    let files = |n: usize| {
        let names: Vec<String> = (0..n).map(|i| format!("ci/{i}.yml")).collect();
        let mut all: Vec<(String, String)> = names
            .iter()
            .map(|n| (n.clone(), "j:\n  script: [echo]\n".to_string()))
            .collect();
        all.push((".gitlab-ci.yml".into(), ci_including(&names)));
        all
    };
    let (dir, root) = project(&files(MAX_INCLUDES));
    let graph = include_graph(&root, 1 << 20);
    assert_eq!(graph.files.len(), MAX_INCLUDES);
    assert_eq!(include_limit_of(&graph, &root), None);
    drop(dir);
    let (dir, root) = project(&files(MAX_INCLUDES + 50));
    let graph = include_graph(&root, 1 << 20);
    assert_eq!(graph.files.len(), MAX_INCLUDES);
    let f = include_limit_of(&graph, &root).expect("the limit is named");
    assert!(f.message.contains("`MAX_INCLUDES`"), "{}", f.message);
    assert!(
        f.message.contains("`ci/150.yml` and the includes after it"),
        "{}",
        f.message
    );
    drop(dir);
}

#[test]
fn chains_stop_at_gitlab_s_nesting_depth() {
    let chain = |n: usize| {
        let mut all = vec![(
            ".gitlab-ci.yml".to_string(),
            ci_including(&["c1.yml".into()]),
        )];
        for i in 1..=n {
            all.push((
                format!("c{i}.yml"),
                ci_including(&[format!("c{}.yml", i + 1)]),
            ));
        }
        all
    };
    // Files c1 … c100 are 100 levels of nesting (c101 does not exist).
    let (_dir, root) = project(&chain(MAX_INCLUDE_DEPTH - 1));
    let graph = include_graph(&root, 1 << 20);
    assert_eq!(graph.files.len(), MAX_INCLUDE_DEPTH);
    assert!(graph.notes.is_empty());
    let (dir, root) = project(&chain(MAX_INCLUDE_DEPTH + 20));
    let graph = include_graph(&root, 1 << 20);
    assert_eq!(graph.files.len(), MAX_INCLUDE_DEPTH);
    let last = dir.path().join(format!("c{MAX_INCLUDE_DEPTH}.yml"));
    let f = include_limit_of(&graph, &last).expect("the depth limit is named at the 100th file");
    assert!(f.message.contains("`MAX_INCLUDE_DEPTH`"), "{}", f.message);
}
