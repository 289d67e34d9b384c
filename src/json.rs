//! Strict RFC 8259 JSON with a source span on every key and value.
//!
//! `serde_json` can neither report where a value sits nor notice that an
//! object names the same key twice, and both matter here: a policy finding
//! must point at its line, and a duplicate key must be refused because two
//! readers that keep different copies would grant different access
//! (docs/semantics.md, "Document grammar", decided). Lexical pieces (whitespace, numbers) are nom
//! parsers; the recursive structure is driven by hand so that every error
//! carries the exact position of the offending byte.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;

use nom::branch::alt;
use nom::bytes::complete::{take_while, take_while_m_n};
use nom::character::complete::{char, digit0, digit1, one_of};
use nom::combinator::{opt, recognize};
use nom::{IResult, Parser};

/// Objects with more members than this get a hash index for duplicate
/// detection; smaller ones (every real policy object, and an ActionTrail
/// event's 17 or so top-level fields) are scanned.
const INDEX_MEMBERS_FROM: usize = 32;

/// Documents nested deeper than this are refused rather than recursed into,
/// so hostile input cannot overflow the stack. Real policies nest five deep.
pub const MAX_DEPTH: usize = 128;

/// A point in the source: `line` and `column` count from 1 (columns in
/// characters), `offset` counts bytes from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Position {
    /// The line, counting from 1.
    pub line: u32,
    /// The column within the line, counting characters from 1.
    pub column: u32,
    /// The byte offset from the start of the text, counting from 0.
    pub offset: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The source range of a node: `end` is the position just past its last byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Span {
    /// Where the first byte is.
    pub start: Position,
    /// The position just past the last byte.
    pub end: Position,
}

/// A JSON value together with where it was written and its JSON pointer
/// (RFC 6901), e.g. `/Statement/0/Effect`.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value itself.
    pub value: Value,
    /// Where the value is written, quotes and brackets included.
    pub span: Span,
    /// The JSON pointer to the value, e.g. `/Statement/0/Effect`; empty for the
    /// whole document.
    pub pointer: String,
}

/// A JSON value; the elements of arrays and objects are [`Node`]s, each
/// with its own span and pointer.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// The number exactly as written; callers decide how to read it.
    Number(String),
    /// A string, its escapes decoded.
    String(String),
    /// An array's elements, in source order.
    Array(Vec<Node>),
    /// Members in source order; keys are unique (duplicates are an error).
    Object(Vec<Member>),
}

/// One `"key": value` member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The key, its escapes decoded.
    pub key: String,
    /// Where the key is written, quotes included.
    pub key_span: Span,
    /// The member's value.
    pub value: Node,
}

impl Value {
    /// The JSON type name used in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

impl Node {
    /// The text of a string value; `None` for any other type.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// An object's members in source order; `None` for any other type.
    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.value {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    /// The member named `key`, compared exactly.
    pub fn get(&self, key: &str) -> Option<&Member> {
        self.as_object()?.iter().find(|m| m.key == key)
    }
}

/// Why a document is not strict JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonErrorKind {
    /// The text ended where the grammar needs more.
    #[error("unexpected end of input, expected {expected}")]
    UnexpectedEnd {
        /// What the grammar needs there.
        expected: &'static str,
    },
    /// A character that cannot stand where it was found.
    #[error("unexpected {found}, expected {expected}")]
    UnexpectedChar {
        /// The character, quoted, or as `character U+XXXX` when it is a control
        /// or whitespace character.
        found: String,
        /// What the grammar allows there.
        expected: &'static str,
    },
    /// A comma right before the `]` or `}` that closes an array or object.
    #[error("trailing comma: strict JSON allows no comma before `{closer}`")]
    TrailingComma {
        /// The bracket the comma precedes, `]` or `}`.
        closer: char,
    },
    /// A `//`, `/*` or `#` comment: strict JSON has none (docs/semantics.md,
    /// "Document grammar").
    #[error("comments are not allowed in JSON")]
    Comment,
    /// An object that names the same key twice, compared exactly; refused rather
    /// than resolved (docs/semantics.md, "Document grammar").
    #[error("duplicate key {key:?} (first at line {first_line}, column {first_column})")]
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// The line of the key's first occurrence, counting from 1.
        first_line: u32,
        /// The column of the key's first occurrence, counting characters from 1.
        first_column: u32,
    },
    /// A backslash followed by a character that starts no JSON escape.
    #[error("invalid escape sequence in string")]
    InvalidEscape,
    /// A `\u` escape that is not four hex digits or is an unpaired surrogate;
    /// the reason says which.
    #[error("invalid \\u escape: {0}")]
    InvalidUnicodeEscape(&'static str),
    /// A control character (below U+0020) written raw inside a string; holds
    /// its code point.
    #[error("unescaped control character U+{0:04X} in string")]
    ControlCharacter(u32),
    /// A number outside JSON's grammar, such as `01`, `1.` or `-`; the reason
    /// says what is wrong.
    #[error("invalid number: {0}")]
    InvalidNumber(&'static str),
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Anything but whitespace after the document's one value.
    #[error("unexpected content after the JSON value")]
    TrailingContent,
    /// A byte order mark (U+FEFF) at the start of the text.
    #[error("a byte order mark is not allowed at the start of a JSON text")]
    ByteOrderMark,
    /// Bytes that are not valid UTF-8.
    #[error("input is not valid UTF-8")]
    InvalidUtf8,
}

/// A JSON syntax error and the position of the first offending character.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{position}: {kind}")]
pub struct JsonError {
    /// What is wrong.
    pub kind: JsonErrorKind,
    /// Where the first offending character is.
    pub position: Position,
}

/// Maps byte offsets to line and column.
///
/// The parser asks for positions in document order, so the last answer is
/// kept and the next column is counted on from it: a minified policy, all
/// on one line, costs linear time rather than a scan from the line start
/// for every node.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    src: &'a str,
    line_starts: Vec<usize>,
    /// The last position answered: offset, line index, column (from 0).
    cursor: Cell<(usize, usize, usize)>,
}

impl<'a> LineIndex<'a> {
    /// An index of the lines of `src`.
    pub fn new(src: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            src,
            line_starts,
            cursor: Cell::new((0, 0, 0)),
        }
    }

    /// The position of byte `offset`; an offset past the end is taken as the end
    /// of the text.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.src.len());
        let (last_offset, last_line, last_column) = self.cursor.get();
        let next_line_start = |l: usize| self.line_starts.get(l + 1).copied().unwrap_or(usize::MAX);
        let line = if last_offset <= offset && offset < next_line_start(last_line) {
            last_line
        } else {
            self.line_starts.partition_point(|&s| s <= offset) - 1
        };
        let (from, base) = if last_line == line && last_offset <= offset {
            (last_offset, last_column)
        } else {
            (self.line_starts[line], 0)
        };
        // `offset` may fall inside a multi-byte character only for errors
        // raised on raw bytes; count the characters that begin before it.
        let column = base
            + self.src.as_bytes()[from..offset]
                .iter()
                .filter(|&&b| (b as i8) >= -0x40)
                .count();
        self.cursor.set((offset, line, column));
        Position {
            line: line as u32 + 1,
            column: column as u32 + 1,
            offset,
        }
    }
}

/// Parses raw bytes, reporting invalid UTF-8 at the first bad byte.
pub fn parse_bytes(bytes: &[u8]) -> Result<Node, JsonError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            // The prefix is valid UTF-8 by construction.
            let text = std::str::from_utf8(valid).unwrap_or_default();
            Err(JsonError {
                kind: JsonErrorKind::InvalidUtf8,
                position: LineIndex::new(text).position(text.len()),
            })
        }
    }
}

/// Parses one strict JSON text.
pub fn parse(src: &str) -> Result<Node, JsonError> {
    let reader = Reader {
        src,
        lines: LineIndex::new(src),
    };
    if src.starts_with('\u{feff}') {
        return Err(reader.error_at(0, JsonErrorKind::ByteOrderMark));
    }
    let rest = reader.skip_ws(src)?;
    let mut pointer = String::new();
    let (rest, node) = reader.value(rest, &mut pointer, 0)?;
    let rest = reader.skip_ws(rest)?;
    if !rest.is_empty() {
        return Err(reader.error_at(reader.offset(rest), JsonErrorKind::TrailingContent));
    }
    Ok(node)
}

/// Escapes one JSON-pointer reference token (RFC 6901 §3).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

struct Reader<'a> {
    src: &'a str,
    lines: LineIndex<'a>,
}

fn ws(input: &str) -> IResult<&str, &str> {
    // RFC 8259 whitespace is exactly these four characters.
    take_while(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))(input)
}

fn number(input: &str) -> IResult<&str, &str> {
    recognize((
        opt(char('-')),
        alt((
            recognize(char('0')),
            recognize((one_of("123456789"), digit0)),
        )),
        opt((char('.'), digit1)),
        opt((one_of("eE"), opt(one_of("+-")), digit1)),
    ))
    .parse(input)
}

impl<'a> Reader<'a> {
    fn offset(&self, rest: &str) -> usize {
        self.src.len() - rest.len()
    }

    fn error_at(&self, offset: usize, kind: JsonErrorKind) -> JsonError {
        JsonError {
            kind,
            position: self.lines.position(offset),
        }
    }

    fn unexpected(&self, rest: &str, expected: &'static str) -> JsonError {
        let offset = self.offset(rest);
        match rest.chars().next() {
            None => self.error_at(offset, JsonErrorKind::UnexpectedEnd { expected }),
            Some('/') if rest.starts_with("//") || rest.starts_with("/*") => {
                self.error_at(offset, JsonErrorKind::Comment)
            }
            Some(c) => self.error_at(
                offset,
                JsonErrorKind::UnexpectedChar {
                    found: describe_char(c),
                    expected,
                },
            ),
        }
    }

    fn skip_ws(&self, input: &'a str) -> Result<&'a str, JsonError> {
        let (rest, _) = ws(input).map_err(|_| self.unexpected(input, "whitespace"))?;
        if rest.starts_with("//") || rest.starts_with("/*") || rest.starts_with('#') {
            return Err(self.error_at(self.offset(rest), JsonErrorKind::Comment));
        }
        Ok(rest)
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span {
            start: self.lines.position(start),
            end: self.lines.position(end),
        }
    }

    fn value(
        &self,
        input: &'a str,
        pointer: &mut String,
        depth: usize,
    ) -> Result<(&'a str, Node), JsonError> {
        let start = self.offset(input);
        // Taken before the children's positions, to keep document order.
        let start_position = self.lines.position(start);
        let Some(first) = input.chars().next() else {
            return Err(self.unexpected(input, "a JSON value"));
        };
        let (rest, value) = match first {
            '{' => self.object(input, pointer, depth + 1)?,
            '[' => self.array(input, pointer, depth + 1)?,
            '"' => {
                let (rest, s) = self.string(input)?;
                (rest, Value::String(s))
            }
            '-' | '0'..='9' => self.number(input)?,
            _ => {
                if let Some(rest) = input.strip_prefix("true") {
                    (rest, Value::Bool(true))
                } else if let Some(rest) = input.strip_prefix("false") {
                    (rest, Value::Bool(false))
                } else if let Some(rest) = input.strip_prefix("null") {
                    (rest, Value::Null)
                } else {
                    return Err(self.unexpected(input, "a JSON value"));
                }
            }
        };
        let node = Node {
            value,
            span: Span {
                start: start_position,
                end: self.lines.position(self.offset(rest)),
            },
            pointer: pointer.clone(),
        };
        Ok((rest, node))
    }

    fn number(&self, input: &'a str) -> Result<(&'a str, Value), JsonError> {
        match number(input) {
            Ok((rest, text)) => {
                // `01` or `1.` would otherwise parse as `0` then junk.
                if let Some(c) = rest.chars().next() {
                    if c.is_ascii_digit() {
                        return Err(self.error_at(
                            self.offset(rest),
                            JsonErrorKind::InvalidNumber("leading zeros are not allowed"),
                        ));
                    }
                    if c == '.' || c == 'e' || c == 'E' {
                        return Err(self.error_at(
                            self.offset(rest),
                            JsonErrorKind::InvalidNumber("a digit must follow"),
                        ));
                    }
                }
                Ok((rest, Value::Number(text.to_string())))
            }
            Err(_) => Err(self.error_at(
                self.offset(input),
                JsonErrorKind::InvalidNumber("expected a digit"),
            )),
        }
    }

    fn enter(&self, input: &str, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            Err(self.error_at(self.offset(input), JsonErrorKind::TooDeep))
        } else {
            Ok(())
        }
    }

    fn array(
        &self,
        input: &'a str,
        pointer: &mut String,
        depth: usize,
    ) -> Result<(&'a str, Value), JsonError> {
        self.enter(input, depth)?;
        let mut rest = self.skip_ws(&input[1..])?;
        let mut items = Vec::new();
        if let Some(after) = rest.strip_prefix(']') {
            return Ok((after, Value::Array(items)));
        }
        loop {
            let len = pointer.len();
            pointer.push('/');
            let _ = write!(pointer, "{}", items.len());
            let (after, node) = self.value(rest, pointer, depth)?;
            pointer.truncate(len);
            items.push(node);
            rest = self.skip_ws(after)?;
            if let Some(after) = rest.strip_prefix(']') {
                return Ok((after, Value::Array(items)));
            }
            let Some(after) = rest.strip_prefix(',') else {
                return Err(self.unexpected(rest, "`,` or `]`"));
            };
            let comma = self.offset(rest);
            rest = self.skip_ws(after)?;
            if rest.starts_with(']') {
                return Err(self.error_at(comma, JsonErrorKind::TrailingComma { closer: ']' }));
            }
        }
    }

    fn object(
        &self,
        input: &'a str,
        pointer: &mut String,
        depth: usize,
    ) -> Result<(&'a str, Value), JsonError> {
        self.enter(input, depth)?;
        let mut rest = self.skip_ws(&input[1..])?;
        let mut members: Vec<Member> = Vec::new();
        // Duplicate keys are found by scanning the members read so far;
        // only an object that grows large gets a hash index.
        let mut index: Option<HashMap<String, usize>> = None;
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((after, Value::Object(members)));
        }
        loop {
            if !rest.starts_with('"') {
                return Err(self.unexpected(rest, "a string key"));
            }
            let key_start = self.offset(rest);
            let (after, key) = self.string(rest)?;
            let key_span = self.span(key_start, self.offset(after));
            let duplicate = match &index {
                Some(map) => map.get(&key).copied(),
                None => members.iter().position(|m| m.key == key),
            };
            if let Some(i) = duplicate {
                let first = members[i].key_span.start;
                return Err(self.error_at(
                    key_start,
                    JsonErrorKind::DuplicateKey {
                        key,
                        first_line: first.line,
                        first_column: first.column,
                    },
                ));
            }
            match &mut index {
                Some(map) => {
                    map.insert(key.clone(), members.len());
                }
                None if members.len() >= INDEX_MEMBERS_FROM => {
                    let mut map: HashMap<String, usize> = members
                        .iter()
                        .enumerate()
                        .map(|(i, m)| (m.key.clone(), i))
                        .collect();
                    map.insert(key.clone(), members.len());
                    index = Some(map);
                }
                None => {}
            }
            rest = self.skip_ws(after)?;
            let Some(after) = rest.strip_prefix(':') else {
                return Err(self.unexpected(rest, "`:`"));
            };
            rest = self.skip_ws(after)?;
            let len = pointer.len();
            pointer.push('/');
            if key.contains(['~', '/']) {
                pointer.push_str(&escape_pointer_token(&key));
            } else {
                pointer.push_str(&key);
            }
            let (after, value) = self.value(rest, pointer, depth)?;
            pointer.truncate(len);
            members.push(Member {
                key,
                key_span,
                value,
            });
            rest = self.skip_ws(after)?;
            if let Some(after) = rest.strip_prefix('}') {
                return Ok((after, Value::Object(members)));
            }
            let Some(after) = rest.strip_prefix(',') else {
                return Err(self.unexpected(rest, "`,` or `}`"));
            };
            let comma = self.offset(rest);
            rest = self.skip_ws(after)?;
            if rest.starts_with('}') {
                return Err(self.error_at(comma, JsonErrorKind::TrailingComma { closer: '}' }));
            }
        }
    }

    /// Reads a string starting at its opening quote.
    fn string(&self, input: &'a str) -> Result<(&'a str, String), JsonError> {
        let mut out = String::new();
        let mut rest = &input[1..];
        loop {
            // Copy the longest run that needs no attention in one go. The
            // bytes that need it are ASCII, and no byte of a multi-byte
            // UTF-8 character is below 0x80, so scanning bytes finds the
            // same place as scanning characters, faster.
            let plain = rest
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            out.push_str(&rest[..plain]);
            rest = &rest[plain..];
            let Some(c) = rest.chars().next() else {
                return Err(self.unexpected(rest, "`\"` to close the string"));
            };
            match c {
                '"' => return Ok((&rest[1..], out)),
                '\\' => {
                    let (after, ch) = self.escape(rest)?;
                    out.push(ch);
                    rest = after;
                }
                _ => {
                    return Err(
                        self.error_at(self.offset(rest), JsonErrorKind::ControlCharacter(c as u32))
                    );
                }
            }
        }
    }

    /// Reads one escape sequence starting at its backslash.
    fn escape(&self, input: &'a str) -> Result<(&'a str, char), JsonError> {
        let at = self.offset(input);
        let rest = &input[1..];
        let simple = |c| -> Option<char> {
            Some(match c {
                '"' => '"',
                '\\' => '\\',
                '/' => '/',
                'b' => '\u{8}',
                'f' => '\u{c}',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                _ => return None,
            })
        };
        match rest.chars().next() {
            Some('u') => {
                let (rest, high) = self.hex4(&rest[1..], at)?;
                match high {
                    0xD800..=0xDBFF => {
                        let Some(low_input) = rest.strip_prefix("\\u") else {
                            return Err(self.error_at(
                                at,
                                JsonErrorKind::InvalidUnicodeEscape("unpaired high surrogate"),
                            ));
                        };
                        let (rest, low) = self.hex4(low_input, at)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(self.error_at(
                                at,
                                JsonErrorKind::InvalidUnicodeEscape("unpaired high surrogate"),
                            ));
                        }
                        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                        let ch = char::from_u32(code).ok_or_else(|| {
                            self.error_at(at, JsonErrorKind::InvalidUnicodeEscape("not a scalar"))
                        })?;
                        Ok((rest, ch))
                    }
                    0xDC00..=0xDFFF => Err(self.error_at(
                        at,
                        JsonErrorKind::InvalidUnicodeEscape("unpaired low surrogate"),
                    )),
                    _ => {
                        let ch = char::from_u32(high).ok_or_else(|| {
                            self.error_at(at, JsonErrorKind::InvalidUnicodeEscape("not a scalar"))
                        })?;
                        Ok((rest, ch))
                    }
                }
            }
            Some(c) => match simple(c) {
                Some(ch) => Ok((&rest[c.len_utf8()..], ch)),
                None => Err(self.error_at(at, JsonErrorKind::InvalidEscape)),
            },
            None => Err(self.unexpected(rest, "an escape character")),
        }
    }

    fn hex4(&self, input: &'a str, at: usize) -> Result<(&'a str, u32), JsonError> {
        let parsed: IResult<&str, &str> =
            take_while_m_n(4, 4, |c: char| c.is_ascii_hexdigit()).parse(input);
        match parsed {
            Ok((rest, digits)) => {
                let code = u32::from_str_radix(digits, 16).map_err(|_| {
                    self.error_at(at, JsonErrorKind::InvalidUnicodeEscape("four hex digits"))
                })?;
                Ok((rest, code))
            }
            Err(_) => Err(self.error_at(
                at,
                JsonErrorKind::InvalidUnicodeEscape("expected four hex digits"),
            )),
        }
    }
}

fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("character U+{:04X}", c as u32)
    } else {
        format!("`{c}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> JsonError {
        parse(src).expect_err(src)
    }

    #[test]
    fn spans_and_pointers() {
        let src = "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\"}\n  ]\n}";
        let root = parse(src).unwrap();
        let stmt = &root.get("Statement").unwrap().value;
        let Value::Array(items) = &stmt.value else {
            panic!()
        };
        let effect = items[0].get("Effect").unwrap();
        assert_eq!(effect.value.pointer, "/Statement/0/Effect");
        assert_eq!(effect.key_span.start.line, 3);
        assert_eq!(effect.key_span.start.column, 6);
        assert_eq!(effect.value.span.start.column, 16);
        assert_eq!(effect.value.span.end.column, 23);
        assert_eq!(
            &src[effect.value.span.start.offset..effect.value.span.end.offset],
            "\"Allow\""
        );
    }

    #[test]
    fn columns_count_characters() {
        let root = parse("{\"é\": \"ü\", \"b\": 1}").unwrap();
        let b = root.get("b").unwrap();
        assert_eq!(b.key_span.start.column, 12);
        assert_eq!(b.key_span.start.offset, 13);
    }

    #[test]
    fn duplicate_keys_are_rejected_with_both_positions() {
        let e = err("{\"a\": 1,\n \"a\": 2}");
        assert_eq!(
            e.kind,
            JsonErrorKind::DuplicateKey {
                key: "a".into(),
                first_line: 1,
                first_column: 2
            }
        );
        assert_eq!((e.position.line, e.position.column), (2, 2));
        // Escaped spellings of the same key are the same key.
        assert!(matches!(
            err(r#"{"a": 1, "\u0061": 2}"#).kind,
            JsonErrorKind::DuplicateKey { .. }
        ));
        // Large objects use an index; the answer is the same.
        let members: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        let big = format!("{{{}, \"k3\": 0}}", members.join(", "));
        let e = err(&big);
        assert!(matches!(e.kind, JsonErrorKind::DuplicateKey { ref key, .. } if key == "k3"));
        assert!(parse(&format!("{{{}}}", members.join(", "))).is_ok());
    }

    #[test]
    fn strictness() {
        assert!(matches!(
            err("[1,]").kind,
            JsonErrorKind::TrailingComma { closer: ']' }
        ));
        assert_eq!(err("{\"a\":1 , }").position.column, 8);
        assert_eq!(err("{\"a\":1} // c").kind, JsonErrorKind::Comment);
        assert_eq!(err("/* c */ {}").kind, JsonErrorKind::Comment);
        assert_eq!(err("{\"a\": /*x*/ 1}").kind, JsonErrorKind::Comment);
        assert!(matches!(err("01").kind, JsonErrorKind::InvalidNumber(_)));
        assert!(matches!(err("1.").kind, JsonErrorKind::InvalidNumber(_)));
        assert!(matches!(err("-").kind, JsonErrorKind::InvalidNumber(_)));
        assert!(matches!(
            err("'a'").kind,
            JsonErrorKind::UnexpectedChar { .. }
        ));
        assert_eq!(err("\"a\tb\"").kind, JsonErrorKind::ControlCharacter(9));
        assert_eq!(err("\"\\x\"").kind, JsonErrorKind::InvalidEscape);
        assert!(matches!(
            err("\"\\ud800\"").kind,
            JsonErrorKind::InvalidUnicodeEscape(_)
        ));
        assert_eq!(err("{} {}").kind, JsonErrorKind::TrailingContent);
        assert_eq!(err("\u{feff}{}").kind, JsonErrorKind::ByteOrderMark);
        assert!(matches!(err("").kind, JsonErrorKind::UnexpectedEnd { .. }));
        assert!(matches!(
            err("{\"a\" 1}").kind,
            JsonErrorKind::UnexpectedChar { .. }
        ));
        assert!(matches!(
            err("tru").kind,
            JsonErrorKind::UnexpectedChar { .. }
        ));
        assert_eq!(err(&"[".repeat(10_000)).kind, JsonErrorKind::TooDeep);
    }

    #[test]
    fn values() {
        let root = parse(r#"[true, false, null, -1.5e3, "a\"\u00e9\ud83d\ude00"]"#).unwrap();
        let Value::Array(items) = root.value else {
            panic!()
        };
        assert_eq!(items[0].value, Value::Bool(true));
        assert_eq!(items[2].value, Value::Null);
        assert_eq!(items[3].value, Value::Number("-1.5e3".into()));
        assert_eq!(items[4].value, Value::String("a\"é😀".into()));
        assert_eq!(items[4].pointer, "/4");
    }

    #[test]
    fn positions_in_any_order_agree_with_a_scan() {
        let src = "{\"a\": [1, \"é\", {\"b\": true}],\n \"c\": null}";
        let index = LineIndex::new(src);
        let scan = |offset: usize| {
            let before = &src[..offset];
            let line = before.matches('\n').count() as u32 + 1;
            let column = before.rsplit('\n').next().unwrap().chars().count() as u32 + 1;
            (line, column)
        };
        let offsets: Vec<usize> = (0..=src.len())
            .filter(|&i| src.is_char_boundary(i))
            .collect();
        for &o in offsets
            .iter()
            .chain(offsets.iter().rev())
            .chain(offsets.iter().step_by(3))
        {
            let p = index.position(o);
            assert_eq!((p.line, p.column), scan(o), "offset {o}");
        }
    }

    #[test]
    fn a_long_single_line_parses_in_linear_time() {
        // 20,000 statements on one line: quadratic column counting would
        // take minutes here.
        let statement = r#"{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}"#;
        let src = format!("[{}]", vec![statement; 20_000].join(","));
        let root = parse(&src).unwrap();
        let Value::Array(items) = root.value else {
            panic!()
        };
        let last = items.last().unwrap().get("Resource").unwrap();
        assert_eq!(last.value.span.end.column as usize, src.len() - 1);
    }

    #[test]
    fn invalid_utf8_position() {
        let e = parse_bytes(b"{\"a\":\n \"\xff\"}").unwrap_err();
        assert_eq!(e.kind, JsonErrorKind::InvalidUtf8);
        assert_eq!((e.position.line, e.position.column), (2, 3));
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        let root = parse(r#"{"a/b~c": 1}"#).unwrap();
        assert_eq!(root.as_object().unwrap()[0].value.pointer, "/a~1b~0c");
    }
}
