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
