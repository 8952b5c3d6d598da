use super::*;

fn err(src: &str) -> (String, LineCol) {
    let e = parse(src).expect_err("should fail");
    (e.message.clone(), SourceText::new(src).line_col(e.offset))
}

#[test]
fn parses_values_with_spans() {
    let src = r#"{"a": [1, -2.5e3, "x", true, null], "b": {}}"#;
    let node = parse(src).unwrap();
    let Value::Object(members) = &node.value else {
        panic!()
    };
    assert_eq!(members.len(), 2);
    assert_eq!(members[0].key, "a");
    assert_eq!(
        &src[members[0].key_span.start..members[0].key_span.end],
        "\"a\""
    );
    let Value::Array(items) = &members[0].value.value else {
        panic!()
    };
    assert_eq!(items[1].value, Value::Number("-2.5e3".into()));
    assert_eq!(&src[items[2].span.start..items[2].span.end], "\"x\"");
    assert_eq!(node.span, Span::new(0, src.len()));
}

#[test]
fn keeps_duplicate_keys_in_order() {
    let node = parse(r#"{"k": 1, "k": 2}"#).unwrap();
    let Value::Object(m) = node.value else {
        panic!()
    };
    assert_eq!(m.len(), 2);
    assert_eq!(m[1].value.value, Value::Number("2".into()));
}

#[test]
fn decodes_escapes_and_surrogates() {
    let node = parse(r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#).unwrap();
    assert_eq!(
        node.value,
        Value::String("a\"\\/\u{8}\u{c}\n\r\té😀".into())
    );
}

#[test]
fn rejects_comments_with_position() {
    let (msg, at) = err("{\n  // note\n  \"a\": 1\n}");
    assert!(msg.contains("comments"), "{msg}");
    assert_eq!(at, LineCol { line: 2, column: 3 });
    let (msg, _) = err("{\"a\": 1 /* x */}");
    assert!(msg.contains("comments"), "{msg}");
}

#[test]
fn rejects_trailing_commas() {
    let (msg, at) = err("{\"a\": [1, 2,],}");
    assert!(msg.contains("trailing comma before `]`"), "{msg}");
    assert_eq!(at.column, 12);
    let (msg, _) = err("{\"a\": 1,\n}");
    assert!(msg.contains("trailing comma before `}`"), "{msg}");
}

#[test]
fn rejects_lenient_syntax() {
    for (src, needle) in [
        ("{'a': 1}", "double quotes"),
        ("{a: 1}", "double quotes"),
        ("[0x10]", "hexadecimal"),
        ("[+1]", "`+`"),
        ("[01]", "leading zeros"),
        ("[1.]", "after `.`"),
        ("[True]", "lowercase"),
        ("[\"a\nb\"]", "line break"),
        ("[\"\\x41\"]", "invalid escape"),
        ("[\"\\ud800\"]", "surrogate"),
        ("{\"a\" 1}", "expected `:`"),
        ("{\"a\": 1 \"b\": 2}", "expected `,` between"),
        ("[1 2]", "expected `,` or `]`"),
        ("\u{feff}{}", "byte order mark"),
        ("{} {}", "after the end"),
        ("", "end of input"),
        ("{\"a\": ", "end of input"),
        ("\"abc", "unterminated"),
    ] {
        let (msg, _) = err(src);
        assert!(msg.contains(needle), "{src:?}: {msg}");
    }
}

#[test]
fn bounds_nesting_depth() {
    let deep = "[".repeat(100_000);
    let (msg, _) = err(&deep);
    assert!(msg.contains("nesting deeper"), "{msg}");
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
    assert!(parse(&ok).is_ok());
}

#[test]
fn columns_count_characters_not_bytes() {
    let src = "{\"é😀\": x}";
    let (_, at) = err(src);
    // `x` is the 8th character on the line, though byte 11.
    assert_eq!(src.find('x'), Some(11));
    assert_eq!(at, LineCol { line: 1, column: 8 });
}

#[test]
fn agrees_with_serde_json_on_valid_documents() {
    for src in [
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Condition":{"NumericLessThan":{"k":1e3}}}]}"#,
        r#"[1, 2.0, -0, 0.5e-2, "\u0041", {"x": [null, false]}]"#,
    ] {
        let ours = parse(src).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(src).unwrap();
        assert_eq!(to_serde(&ours), theirs);
    }
}

fn to_serde(node: &Node) -> serde_json::Value {
    match &node.value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => serde_json::from_str(n).unwrap(),
        Value::String(s) => s.clone().into(),
        Value::Array(a) => a.iter().map(to_serde).collect(),
        Value::Object(m) => m
            .iter()
            .map(|m| (m.key.clone(), to_serde(&m.value)))
            .collect(),
    }
}

#[test]
fn line_text_and_columns() {
    let s = SourceText::new("ab\r\ncd\nef");
    assert_eq!(s.line_text(1), Some("ab"));
    assert_eq!(s.line_text(2), Some("cd"));
    assert_eq!(s.line_text(3), Some("ef"));
    assert_eq!(s.line_col(5), LineCol { line: 2, column: 2 });
    assert_eq!(s.line_col(999), LineCol { line: 3, column: 3 });
}

#[test]
fn pointer_tokens_escape_tilde_then_slash() {
    assert_eq!(pointer_token("gitlab.com:sub"), "gitlab.com:sub");
    assert_eq!(pointer_token("a/b~c"), "a~1b~0c");
    assert_eq!(pointer_token("~1"), "~01");
}

#[test]
fn built_pointers_match_the_escaping_rules() {
    use super::{child_pointer, index_pointer, pointer_token};
    for token in ["Statement", "a/b", "~x", "~/", "", "gitlab.com:sub", "ü/~"] {
        assert_eq!(
            child_pointer("/Statement/0", token),
            format!("/Statement/0/{}", pointer_token(token))
        );
    }
    assert_eq!(child_pointer("", "Statement"), "/Statement");
    for i in [0usize, 7, 10, 99, 100, 12345, usize::MAX] {
        assert_eq!(index_pointer("/S", i), format!("/S/{i}"));
    }
}

/// Columns on long lines come from checkpoints (non-ASCII) or byte distances
/// (ASCII): both must equal counting the characters from the line's start.
#[test]
fn columns_on_long_lines_equal_a_plain_count() {
    let naive = |text: &str, offset: usize| {
        let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        text[start..offset].chars().count() + 1
    };
    let unit = "aé€😀\u{301}b";
    let mut long = String::from("{\n");
    for _ in 0..3000 {
        long.push_str(unit);
    }
    long.push_str("\nzz");
    long.push_str(&"x".repeat(10_000));
    for text in [long.clone(), "a".repeat(20_000)] {
        let source = SourceText::new(text.clone());
        let mut offset = 0;
        while offset <= text.len() {
            if text.is_char_boundary(offset) {
                assert_eq!(
                    source.line_col(offset).column,
                    naive(&text, offset),
                    "at {offset}"
                );
            }
            offset += 97;
        }
        assert_eq!(source.line_col(text.len()).column, naive(&text, text.len()));
    }
}
