//! OSS's error response: XML, `<Error>` with `<Code>AccessDenied</Code>`
//! and, for a RAM denial, `<AccessDeniedDetail>` with the same members as
//! RAM's JSON body (`AuthAction`, `PolicyType`, `NoPermissionType`, ...).
//! Source: OSS error code 0003-00000201
//! (<https://www.alibabacloud.com/help/en/oss/support/0003-00000201>).
//!
//! The reader takes only that shape, fails closed on anything else, and
//! names the line and column: an optional XML declaration, one `<Error>`
//! element whose children are text elements or the one `<AccessDeniedDetail>`
//! of text elements; no attributes, comments, CDATA, DOCTYPE or entities
//! beyond the five predefined and numeric character references (so no
//! entity expansion).

use std::collections::BTreeMap;

use crate::json::Position;

/// An error response as read: the `<Error>` children's texts, and the
/// `<AccessDeniedDetail>` children's, each with where its element starts.
#[derive(Debug, Default)]
pub(crate) struct OssError {
    pub(crate) fields: BTreeMap<String, (String, Position)>,
    pub(crate) detail: Option<BTreeMap<String, (String, Position)>>,
}

/// Why the text is not such a response, and where.
#[derive(Debug)]
pub(crate) struct XmlError {
    pub(crate) message: String,
    pub(crate) position: Position,
}

struct Cursor<'a> {
    text: &'a str,
    offset: usize,
    line: u32,
    column: u32,
}

impl<'a> Cursor<'a> {
    fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
            offset: self.offset,
        }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.offset..]
    }

    fn bump(&mut self, bytes: usize) {
        for c in self.text[self.offset..self.offset + bytes].chars() {
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.offset += bytes;
    }

    fn skip_space(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.bump(n);
    }

    fn error(&self, message: impl Into<String>) -> XmlError {
        XmlError {
            message: message.into(),
            position: self.position(),
        }
    }

    /// `<Name>` with no attributes; returns the name.
    fn open_tag(&mut self) -> Result<String, XmlError> {
        if !self.rest().starts_with('<') || self.rest().starts_with("</") {
            return Err(self.error("expected an element"));
        }
        for refused in ["<!--", "<![CDATA[", "<!DOCTYPE", "<?"] {
            if self.rest().starts_with(refused) {
                return Err(self.error(format!(
                    "{refused} is not read: an error response has only elements and text"
                )));
            }
        }
        let end = self
            .rest()
            .find('>')
            .ok_or_else(|| self.error("unterminated tag"))?;
        let name = &self.rest()[1..end];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        {
            return Err(self.error(format!("tag <{name}>: expected a name without attributes")));
        }
        let name = name.to_string();
        self.bump(end + 1);
        Ok(name)
    }

    fn close_tag(&mut self, name: &str) -> Result<(), XmlError> {
        let tag = format!("</{name}>");
        if !self.rest().starts_with(&tag) {
            return Err(self.error(format!("expected {tag}")));
        }
        self.bump(tag.len());
        Ok(())
    }

    /// Text up to the next `<`, with references resolved.
    fn text(&mut self) -> Result<String, XmlError> {
        let end = self.rest().find('<').unwrap_or(self.rest().len());
        let raw = &self.rest()[..end];
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let semi = rest[amp..]
                .find(';')
                .ok_or_else(|| self.error("an `&` that starts no reference"))?;
            let name = &rest[amp + 1..amp + semi];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = if let Some(hex) = name.strip_prefix("#x") {
                        u32::from_str_radix(hex, 16).ok()
                    } else if let Some(dec) = name.strip_prefix('#') {
                        dec.parse().ok()
                    } else {
                        None
                    };
                    code.and_then(char::from_u32).ok_or_else(|| {
                        self.error(format!("&{name}; is not a reference this reader knows"))
                    })?
                }
            };
            out.push(c);
            rest = &rest[amp + semi + 1..];
        }
        out.push_str(rest);
        self.bump(end);
        Ok(out)
    }
}

/// Whether the text looks like XML rather than JSON.
pub(crate) fn is_xml(text: &str) -> bool {
    text.trim_start().starts_with('<')
}

/// Reads an OSS error response.
pub(crate) fn parse(text: &str) -> Result<OssError, XmlError> {
    let mut c = Cursor {
        text,
        offset: 0,
        line: 1,
        column: 1,
    };
    c.skip_space();
    if c.rest().starts_with("<?xml") {
        let end = c
            .rest()
            .find("?>")
            .ok_or_else(|| c.error("unterminated XML declaration"))?;
        c.bump(end + 2);
        c.skip_space();
    }
    let root = c.open_tag()?;
    if root != "Error" {
        return Err(XmlError {
            message: format!("<{root}>: expected an OSS error response, <Error>"),
            position: Position {
                line: 1,
                column: 1,
                offset: 0,
            },
        });
    }
    let mut out = OssError::default();
    loop {
        c.skip_space();
        if c.rest().starts_with("</") {
            c.close_tag("Error")?;
            break;
        }
        let at = c.position();
        let name = c.open_tag()?;
        if name == "AccessDeniedDetail" {
            if out.detail.is_some() {
                return Err(XmlError {
                    message: "<AccessDeniedDetail> given twice".into(),
                    position: at,
                });
            }
            let mut detail = BTreeMap::new();
            loop {
                c.skip_space();
                if c.rest().starts_with("</") {
                    c.close_tag("AccessDeniedDetail")?;
                    break;
                }
                let at = c.position();
                let child = c.open_tag()?;
                let value = c.text()?;
                c.close_tag(&child)?;
                if detail.insert(child.clone(), (value, at)).is_some() {
                    return Err(XmlError {
                        message: format!("<{child}> given twice"),
                        position: at,
                    });
                }
            }
            out.detail = Some(detail);
            continue;
        }
        let value = c.text()?;
        c.close_tag(&name)?;
        if out.fields.insert(name.clone(), (value, at)).is_some() {
            return Err(XmlError {
                message: format!("<{name}> given twice"),
                position: at,
            });
        }
    }
    c.skip_space();
    if !c.rest().is_empty() {
        return Err(c.error("content after </Error>"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>AccessDenied</Code>\n  <Message>You have no right to access this object &amp; more.</Message>\n  <AccessDeniedDetail>\n    <AuthAction>oss:GetObject</AuthAction>\n    <NoPermissionType>ImplicitDeny</NoPermissionType>\n  </AccessDeniedDetail>\n  <EC>0003-00000001</EC>\n</Error>\n";

    #[test]
    fn reads_the_error_and_its_detail() {
        let e = parse(BODY).unwrap();
        assert_eq!(e.fields["Code"].0, "AccessDenied");
        assert_eq!(
            e.fields["Message"].0,
            "You have no right to access this object & more."
        );
        let d = e.detail.unwrap();
        assert_eq!(d["AuthAction"].0, "oss:GetObject");
        assert_eq!((d["AuthAction"].1.line, d["AuthAction"].1.column), (6, 5));
    }

    #[test]
    fn anything_else_is_refused_with_its_place() {
        for (text, expected, line) in [
            (
                "<Error><Code a=\"1\">x</Code></Error>",
                "without attributes",
                1,
            ),
            ("<!DOCTYPE x [<!ENTITY a \"b\">]><Error/>", "<!DOCTYPE", 1),
            ("<Error>\n<Code>&a;</Code></Error>", "&a;", 2),
            (
                "<Error>\n<Code>x</Code>\n<Code>y</Code></Error>",
                "given twice",
                3,
            ),
            ("<Error><Code>x</Cod></Error>", "expected </Code>", 1),
            ("<Error><Code>x</Code></Error><x/>", "content after", 1),
            ("<Other></Other>", "expected an OSS error response", 1),
            ("<Error><Code>x", "expected </Code>", 1),
            ("<Error><A><B>x</B></A></Error>", "expected </A>", 1),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.message.contains(expected), "{text}: {}", e.message);
            assert_eq!(e.position.line, line, "{text}");
        }
        // Every prefix: an error, never a panic.
        for (i, _) in BODY.char_indices() {
            let _ = parse(&BODY[..i]);
        }
    }
}
