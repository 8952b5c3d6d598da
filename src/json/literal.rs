//! JSON held in a JSON string (a plan's `assume_role_policy`, a `*.tf.json`
//! attribute): the decoded text is parsed on its own, and its spans are mapped
//! back through the string's escapes so findings point at the file as written.

use super::{Node, Span, Value};

/// For a JSON string literal as written (quotes included): the offset in the
/// literal of each byte of the decoded string, plus one for its end.
pub fn offsets(raw: &str) -> Option<Vec<usize>> {
    let bytes = raw.as_bytes();
    if bytes.len() < 2 {
        return None;
    }
    let last = bytes.len() - 1;
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 1;
    while i < last {
        if bytes[i] == b'\\' {
            let esc = *bytes.get(i + 1)?;
            if esc == b'u' {
                let cp = u32::from_str_radix(raw.get(i + 2..i + 6)?, 16).ok()?;
                let (ch, len) = if (0xD800..0xDC00).contains(&cp) {
                    let lo = u32::from_str_radix(raw.get(i + 8..i + 12)?, 16).ok()?;
                    let c = 0x10000 + ((cp - 0xD800) << 10) + lo.checked_sub(0xDC00)?;
                    (char::from_u32(c)?, 12)
                } else {
                    (char::from_u32(cp)?, 6)
                };
                out.extend(std::iter::repeat_n(i, ch.len_utf8()));
                i += len;
            } else {
                out.push(i);
                i += 2;
            }
        } else {
            let ch = raw.get(i..)?.chars().next()?;
            out.extend((0..ch.len_utf8()).map(|k| i + k));
            i += ch.len_utf8();
        }
    }
    out.push(last);
    Some(out)
}

/// Maps the spans of JSON parsed from a decoded string back into the file.
pub fn remap(mut node: Node, map: &[usize], base: usize) -> Node {
    fn at(map: &[usize], base: usize, offset: usize) -> usize {
        base + map.get(offset).or(map.last()).copied().unwrap_or(0)
    }
    fn walk(n: &mut Node, map: &[usize], base: usize) {
        n.span = Span::new(at(map, base, n.span.start), at(map, base, n.span.end));
        match &mut n.value {
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, map, base)),
            Value::Object(members) => {
                for m in members {
                    m.key_span = Span::new(
                        at(map, base, m.key_span.start),
                        at(map, base, m.key_span.end),
                    );
                    walk(&mut m.value, map, base);
                }
            }
            _ => {}
        }
    }
    walk(&mut node, map, base);
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_map_back_to_the_literal() {
        let raw = r#""{\"a\":\"\u00e9x\"}""#;
        let decoded = "{\"a\":\"\u{e9}x\"}";
        let map = offsets(raw).unwrap();
        assert_eq!(map.len(), decoded.len() + 1);
        assert_eq!(map[0], 1); // `{`
        assert_eq!(map[1], 2); // `\"`
        assert_eq!(&raw[map[6]..map[6] + 2], r"\u"); // é, both bytes
        assert_eq!(map[7], map[6]);
        assert_eq!(&raw[map[8]..map[8] + 1], "x");
    }
}
