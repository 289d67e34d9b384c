//! Alibaba Cloud Resource Names: `acs:<ram-code>:<region>:<account>:<relative-id>`.
//!
//! The one place ARNs are split, checked, built and compared with the
//! catalogue's templates (docs/semantics.md, "ARNs"):
//!
//! - [`Arn`] splits an ARN as written, in a policy (where any part may
//!   hold wildcards) or a request (concrete), into its five parts, with
//!   the byte range of each so that findings can point at a part.
//! - [`validate_pattern`] and [`validate_request`] are the grammars of a
//!   policy `Resource` entry and of a request's resource.
//! - [`Template`] is an ARN template of the catalogue in the documentation's
//!   notation (`acs:imm:{#regionId}:{#accountId}:project/{#ProjectName}`):
//!   filled with a call's values, or asked whether an ARN has its shape.

use std::ops::Range;

use crate::patterns::{Budget, Pattern, TemplatePiece, intersects};

/// An ARN split into its five parts. The relative id may itself hold `:`
/// and `/`; only the first four `:` separate parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    text: &'a str,
    /// Byte offsets of the four separating `:`.
    colons: [usize; 4],
}

/// The parts of an ARN, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `acs`.
    Scheme,
    /// The RAM code of the service, e.g. `imm`.
    Service,
    /// The region, empty for global services.
    Region,
    /// The account ID.
    Account,
    /// What follows the account, e.g. `project/immtest`.
    RelativeId,
}

impl<'a> Arn<'a> {
    /// Splits `text` at its first four `:`; `None` when it has fewer, or
    /// does not start with `acs:`.
    pub fn split(text: &'a str) -> Option<Arn<'a>> {
        let mut colons = [0; 4];
        let mut found = text.match_indices(':').map(|(i, _)| i);
        for slot in &mut colons {
            *slot = found.next()?;
        }
        (text[..colons[0]] == *"acs").then_some(Arn { text, colons })
    }

    /// The byte range of `part` in the text.
    pub fn range(&self, part: Part) -> Range<usize> {
        let c = self.colons;
        match part {
            Part::Scheme => 0..c[0],
            Part::Service => c[0] + 1..c[1],
            Part::Region => c[1] + 1..c[2],
            Part::Account => c[2] + 1..c[3],
            Part::RelativeId => c[3] + 1..self.text.len(),
        }
    }

    /// The text of `part`, e.g. `imm` for [`Part::Service`].
    pub fn part(&self, part: Part) -> &'a str {
        &self.text[self.range(part)]
    }

    /// The service's RAM code, e.g. `imm`.
    pub fn service(&self) -> &'a str {
        self.part(Part::Service)
    }

    /// The region, empty for global services.
    pub fn region(&self) -> &'a str {
        self.part(Part::Region)
    }

    /// The account ID.
    pub fn account(&self) -> &'a str {
        self.part(Part::Account)
    }

    /// Everything after the account, e.g. `project/immtest`.
    pub fn relative_id(&self) -> &'a str {
        self.part(Part::RelativeId)
    }
}

/// Why a text is not an ARN of the expected kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// A policy resource that is neither `*` nor starts with `acs:`.
    #[error("a resource must be \"*\" or an ARN starting with \"acs:\"")]
    NotAnArn,
    /// Fewer than five `:`-separated parts, or, in a request, a text not starting
    /// with `acs:`. A policy pattern may stop early only at a part holding `*`.
    #[error("expected acs:<ram-code>:<region>:<account-id>:<relative-id>")]
    TooFewParts,
    /// The service part (the RAM code) is empty.
    #[error("the service (ram-code) part is empty")]
    EmptyService,
    /// Nothing follows the account part.
    #[error("the relative id (after the account) is empty")]
    EmptyRelativeId,
    /// The text holds whitespace or a control character.
    #[error("whitespace is not allowed in a resource")]
    Whitespace,
    /// A request's resource holds `?`: a request names one resource.
    #[error("`?` is a policy wildcard; a request names one resource")]
    WildcardInRequest,
}

/// A policy `Resource` entry: `*`, or an ARN pattern. Fewer than five
/// parts are accepted only when the last one written holds a `*`, which
/// can span the rest (`acs:imm:*`); anything else is refused (fail closed
/// on what RAM's grammar does not describe).
pub fn validate_pattern(text: &str) -> Result<(), ArnError> {
    if text == "*" {
        return Ok(());
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ArnError::Whitespace);
    }
    if !text.starts_with("acs:") {
        return Err(ArnError::NotAnArn);
    }
    match Arn::split(text) {
        None if text
            .rsplit(':')
            .next()
            .is_some_and(|last| last.contains('*')) =>
        {
            Ok(())
        }
        None => Err(ArnError::TooFewParts),
        Some(arn) if arn.service().is_empty() => Err(ArnError::EmptyService),
        Some(arn) if arn.relative_id().is_empty() => Err(ArnError::EmptyRelativeId),
        Some(_) => Ok(()),
    }
}

/// A request's resource: `*`, or a concrete ARN of five parts. A `*` inside
/// it is a literal character, because RAM authorizes list actions on ARNs
/// such as `acs:imm:<region>:<account>:project/*`; `?` has no such use.
pub fn validate_request(text: &str) -> Result<(), ArnError> {
    if text == "*" {
        return Ok(());
    }
    if text.contains('?') {
        return Err(ArnError::WildcardInRequest);
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ArnError::Whitespace);
    }
    let arn = Arn::split(text).ok_or(ArnError::TooFewParts)?;
    if arn.service().is_empty() {
        return Err(ArnError::EmptyService);
    }
    if arn.relative_id().is_empty() {
        return Err(ArnError::EmptyRelativeId);
    }
    Ok(())
}

/// `acs:ram::<account>:role/<name>`.
pub fn role(account: &str, name: &str) -> String {
    format!("acs:ram::{account}:role/{name}")
}

/// The role name an ARN `acs:ram::<account>:role/<name>` names, when the
/// account is `account`: where `sts:AssumeRole` finds the trust policy.
pub fn role_in_account<'r>(resource: &'r str, account: &str) -> Option<&'r str> {
    let arn = Arn::split(resource)?;
    let role = arn.relative_id().strip_prefix("role/")?;
    (arn.service() == "ram"
        && arn.region().is_empty()
        && arn.account() == account
        && !role.is_empty())
    .then_some(role)
}

/// The placeholder filled from the call's region.
pub const REGION_PLACEHOLDER: &str = "regionId";
/// The placeholder filled from the call's account.
pub const ACCOUNT_PLACEHOLDER: &str = "accountId";

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Text that must appear as is.
    Literal(String),
    /// `{#Name}`: one non-empty run without `/` or `:`; a path
    /// placeholder (an object key, a directory path) may hold `/` and `:`.
    Placeholder {
        /// The placeholder's name, e.g. `ProjectName`.
        name: String,
        /// Whether the value is a path of several segments.
        path: bool,
    },
    /// A `*` ending the template: any non-empty rest.
    Rest,
    /// A `*` inside the template (a region or account the page writes as
    /// `*`): any run, also empty.
    Any,
}

/// An ARN template of the catalogue, in the documentation's notation.
/// `*` alone is the "All Resources" template of actions without
/// resource-level authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
    pieces: Vec<Piece>,
    pattern: Pattern,
}

/// Why a template could not be filled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FillError {
    /// No value was given for a placeholder.
    #[error("no value for {{#{placeholder}}}")]
    Missing {
        /// The placeholder's name, e.g. `ProjectName`.
        placeholder: String,
    },
    /// A value that would change the ARN's shape or make it a pattern: it
    /// is empty or holds `/`, `:`, `*`, `?`, whitespace or a control
    /// character. Refused rather than escaped: RAM has no escapes.
    #[error(
        "the value for {{#{placeholder}}} may not be empty, be a pattern ('*', '?') or contain \
         a character that changes the ARN's shape ('/', ':', whitespace; a path may hold '/')"
    )]
    Invalid {
        /// The placeholder's name, e.g. `ProjectName`.
        placeholder: String,
    },
}

impl Template {
    /// Reads a template. A `{#` without its `}` and a `*` anywhere but at
    /// the end are literal text: the documentation uses neither, and
    /// reading them as syntax would silently widen what the template
    /// covers.
    pub fn parse(text: &str) -> Template {
        Template::with_paths(text, &[])
    }

    /// Reads a template whose placeholders named in `paths` stand for
    /// values of several `/`-separated segments (OSS's `{#ObjectPath}`,
    /// a KMS secret name such as `acs/ecs/db`): the catalogue says which,
    /// per resource type (docs/catalog.md).
    pub fn with_paths(text: &str, paths: &[String]) -> Template {
        let (body, rest) = match text.strip_suffix('*') {
            Some(body) if !body.is_empty() => (body, true),
            _ => (text, false),
        };
        let mut pieces = Vec::new();
        let mut s = body;
        let literal = |text: &str, pieces: &mut Vec<Piece>| {
            for (i, part) in text.split('*').enumerate() {
                if i > 0 {
                    pieces.push(Piece::Any);
                }
                if !part.is_empty() {
                    pieces.push(Piece::Literal(part.to_string()));
                }
            }
        };
        while !s.is_empty() {
            let placeholder = s.find("{#").and_then(|start| {
                let end = s[start + 2..].find('}')?;
                (end > 0).then_some((start, start + 2 + end))
            });
            match placeholder {
                Some((start, end)) => {
                    literal(&s[..start], &mut pieces);
                    let name = &s[start + 2..end];
                    pieces.push(Piece::Placeholder {
                        name: name.to_string(),
                        path: paths.iter().any(|p| p == name),
                    });
                    s = &s[end + 1..];
                }
                None => {
                    literal(s, &mut pieces);
                    s = "";
                }
            }
        }
        if rest {
            pieces.push(Piece::Rest);
        }
        let pattern = Pattern::from_template_pieces(pieces.iter().map(|p| match p {
            Piece::Literal(l) => TemplatePiece::Literal(l),
            Piece::Placeholder { path: false, .. } => TemplatePiece::Segment,
            Piece::Placeholder { path: true, .. } => TemplatePiece::Rest,
            Piece::Rest => TemplatePiece::Rest,
            Piece::Any => TemplatePiece::Any,
        }));
        Template {
            text: text.to_string(),
            pieces,
            pattern,
        }
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The "All Resources" template, `*`.
    pub fn is_all_resources(&self) -> bool {
        self.text == "*"
    }

    /// The placeholders' names, in order (`regionId`, `accountId`, ...).
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Placeholder { name, .. } => Some(name.as_str()),
            _ => None,
        })
    }

    /// The template as a pattern, for comparison with policy patterns.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// Fills every placeholder with `value(name)`; a trailing `*` stays.
    pub fn fill<'v>(&self, value: impl Fn(&str) -> Option<&'v str>) -> Result<String, FillError> {
        if self.is_all_resources() {
            return Ok("*".to_string());
        }
        let mut out = String::with_capacity(self.text.len() + 32);
        for piece in &self.pieces {
            match piece {
                Piece::Literal(l) => out.push_str(l),
                Piece::Rest | Piece::Any => out.push('*'),
                Piece::Placeholder { name, path } => match value(name) {
                    None => {
                        return Err(FillError::Missing {
                            placeholder: name.clone(),
                        });
                    }
                    Some(v)
                        if !(if *path {
                            is_valid_path(v)
                        } else {
                            is_valid_value(v)
                        }) =>
                    {
                        return Err(FillError::Invalid {
                            placeholder: name.clone(),
                        });
                    }
                    Some(v) => out.push_str(v),
                },
            }
        }
        Ok(out)
    }

    /// Whether a concrete ARN has this template's shape: literal parts
    /// exactly (case-sensitive), each placeholder one non-empty run without
    /// `/` or `:` (a path placeholder any non-empty run), a trailing `*`
    /// any non-empty rest. Characters of `arn`
    /// are all literal: this classifies resources. "All Resources" fits
    /// only `*`.
    pub fn fits(&self, arn: &str) -> bool {
        if self.is_all_resources() {
            return arn == "*";
        }
        // Linear in the ARN for a template of fixed length; a hostile ARN
        // past the per-comparison cap does not fit.
        intersects(
            &Pattern::literal(arn),
            &self.pattern,
            &Budget::new(u64::MAX),
        ) == Some(true)
    }
}

/// Whether a value can stand in for a placeholder without changing the
/// ARN's structure or turning it into a pattern.
pub fn is_valid_value(value: &str) -> bool {
    !value.is_empty()
        && !value.contains(['/', ':', '*', '?'])
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Whether a value can stand in for a path placeholder: segments may be
/// separated by `/`, but the value may not be a pattern or hold control
/// characters.
pub fn is_valid_path(value: &str) -> bool {
    !value.is_empty() && !value.contains(['*', '?']) && !value.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        let arn = Arn::split("acs:imm:cn-hangzhou:1234567890123456:project/a:b").unwrap();
        assert_eq!(arn.service(), "imm");
        assert_eq!(arn.region(), "cn-hangzhou");
        assert_eq!(arn.account(), "1234567890123456");
        assert_eq!(arn.relative_id(), "project/a:b");
        assert_eq!(arn.range(Part::Service), 4..7);
        assert_eq!(Arn::split("acs:ram::1:role/x").unwrap().region(), "");
        assert!(Arn::split("acs:imm:*").is_none());
        assert!(Arn::split("arn:aws:s3:::x").is_none());
    }

    #[test]
    fn grammars() {
        assert!(validate_pattern("*").is_ok());
        assert!(validate_pattern("acs:imm:*").is_ok());
        assert!(validate_pattern("acs:ram::1234567890123456:role/admin").is_ok());
        assert!(validate_pattern("acs:imm:cn-hangzhou:1:project/a:b").is_ok());
        assert_eq!(
            validate_pattern("acs:imm:cn-hangzhou"),
            Err(ArnError::TooFewParts)
        );
        assert_eq!(
            validate_pattern("acs::cn-hangzhou:1:x"),
            Err(ArnError::EmptyService)
        );
        assert_eq!(
            validate_pattern("acs:imm:cn-hangzhou:1:"),
            Err(ArnError::EmptyRelativeId)
        );
        assert_eq!(validate_pattern("*:project/x"), Err(ArnError::NotAnArn));
        assert_eq!(
            validate_pattern("acs:imm:cn-hangzhou:1:project/ x"),
            Err(ArnError::Whitespace)
        );
        assert!(validate_request("acs:imm:cn-hangzhou:1:project/*").is_ok());
        assert_eq!(
            validate_request("acs:imm:cn-hangzhou:1:project/?"),
            Err(ArnError::WildcardInRequest)
        );
        assert_eq!(validate_request("acs:imm:*"), Err(ArnError::TooFewParts));
        assert_eq!(
            role_in_account("acs:ram::1:role/deployer", "1"),
            Some("deployer")
        );
        assert_eq!(role_in_account("acs:ram::2:role/deployer", "1"), None);
        assert_eq!(
            role_in_account("acs:ram:cn-hangzhou:1:role/deployer", "1"),
            None
        );
        assert_eq!(role("1", "x"), "acs:ram::1:role/x");
    }

    #[test]
    fn templates() {
        let project = Template::parse("acs:imm:{#regionId}:{#accountId}:project/{#ProjectName}");
        assert_eq!(
            project.placeholders().collect::<Vec<_>>(),
            ["regionId", "accountId", "ProjectName"]
        );
        let values = |name: &str| match name {
            "regionId" => Some("cn-hangzhou"),
            "accountId" => Some("1234567890123456"),
            "ProjectName" => Some("immtest"),
            _ => None,
        };
        let filled = project.fill(values).unwrap();
        assert_eq!(
            filled,
            "acs:imm:cn-hangzhou:1234567890123456:project/immtest"
        );
        assert!(project.fits(&filled));
        assert!(!project.fits("acs:imm:cn-hangzhou:1:project/p/dataset/d"));
        assert!(!project.fits("acs:imm:cn-hangzhou:1:project/"));
        let invalid = project.fill(|n| {
            if n == "ProjectName" {
                Some("a*")
            } else {
                values(n)
            }
        });
        assert!(matches!(invalid, Err(FillError::Invalid { .. })));
        let missing = project.fill(|n| if n == "ProjectName" { None } else { values(n) });
        assert!(matches!(missing, Err(FillError::Missing { .. })));
        let trigger =
            Template::parse("acs:imm:{#regionId}:{#accountId}:project/{#ProjectName}/trigger/*");
        assert!(trigger.fits("acs:imm:cn-hangzhou:1:project/p/trigger/t1"));
        assert!(!trigger.fits("acs:imm:cn-hangzhou:1:project/p/trigger/"));
        assert!(Template::parse("*").fits("*"));
        assert!(!Template::parse("*").fits("acs:imm:x:1:y"));
        // A literal `*` in the ARN is literal.
        assert!(!project.fits("acs:imm:cn-hangzhou:1:project/*/x"));
        // A `*` the page writes for a region is any region, also none.
        let role = Template::parse("acs:ram:*:{#accountId}:role/{#RoleName}");
        assert!(role.fits("acs:ram::1:role/x"));
        assert!(role.fits("acs:ram:cn-hangzhou:1:role/x"));
        assert_eq!(role.fill(|_| Some("v")).unwrap(), "acs:ram:*:v:role/v");
    }
}
