//! Bytes → `json::parse_bytes`. On success every node's and key's span must
//! lie inside the input, on character boundaries, with start <= end, and its
//! line/column (1-based, columns in characters) must agree with its offset.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramcheck::json::{self, Node, Position, Span, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(root) = json::parse_bytes(data) else {
        return;
    };
    // parse_bytes only succeeds on valid UTF-8.
    let text = std::str::from_utf8(data).expect("parse_bytes accepted invalid UTF-8");
    check_node(text, &root);
});

fn check_node(text: &str, node: &Node) {
    check_span(text, &node.span, &node.pointer);
    match &node.value {
        Value::Array(items) => {
            for item in items {
                check_node(text, item);
            }
        }
        Value::Object(members) => {
            for m in members {
                check_span(text, &m.key_span, &m.value.pointer);
                check_node(text, &m.value);
            }
        }
        _ => {}
    }
}

fn check_span(text: &str, span: &Span, pointer: &str) {
    let (s, e) = (span.start, span.end);
    assert!(
        s.offset <= e.offset,
        "{pointer}: span start {s:?} after end {e:?}"
    );
    assert!(
        e.offset <= text.len(),
        "{pointer}: span end {e:?} past input length {}",
        text.len()
    );
    check_position(text, &s, pointer);
    check_position(text, &e, pointer);
    assert!(
        (s.line, s.column) <= (e.line, e.column),
        "{pointer}: span start {s:?} after end {e:?} in line/column"
    );
}

fn check_position(text: &str, p: &Position, pointer: &str) {
    assert!(p.line >= 1, "{pointer}: line 0 in {p:?}");
    assert!(p.column >= 1, "{pointer}: column 0 in {p:?}");
    assert!(
        text.is_char_boundary(p.offset),
        "{pointer}: offset {} not on a char boundary",
        p.offset
    );
    let before = &text[..p.offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..p.offset].chars().count() + 1;
    assert_eq!(
        (p.line as usize, p.column as usize),
        (line, column),
        "{pointer}: line/column disagree with offset {}",
        p.offset
    );
}
