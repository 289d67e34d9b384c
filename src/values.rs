//! Typed values of conditions and requests: exact decimals, RFC 3339
//! instants, booleans, IP addresses and blocks, and the table of RAM's
//! common condition keys with their types. Both the policy side
//! ([`crate::condition`]) and the request side ([`crate::request`]) read
//! values through here, so a value means the same on both sides
//! (docs/semantics.md, "Conditions").

use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The type an operator reads its values in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Any string, compared as text.
    String,
    /// An integer or decimal, compared exactly.
    Number,
    /// An RFC 3339 date-time with `Z` or an offset, compared as an instant.
    Date,
    /// `true` or `false`.
    Boolean,
    /// An IPv4 or IPv6 address; policy values may also be CIDR blocks.
    Ip,
    /// `Null` takes `true` (key absent) or `false` (key present).
    Presence,
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueType::String => "string",
            ValueType::Number => "number",
            ValueType::Date => "RFC 3339 date-time",
            ValueType::Boolean => "boolean (true or false)",
            ValueType::Ip => "IP address or CIDR block",
            ValueType::Presence => "boolean (true or false)",
        })
    }
}

/// An exact decimal number, so that `NumericEquals` on large integers or
/// long fractions never suffers binary floating-point rounding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    /// Integer digits without leading zeros.
    int: String,
    /// Fraction digits without trailing zeros.
    frac: String,
}

/// A decimal read in place from request text, so that comparing a request
/// value allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalRef<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
}

impl<'a> DecimalRef<'a> {
    /// Accepts `-?digits(.digits)?`: RAM documents integers and decimals.
    pub fn parse(s: &'a str) -> Result<Self, &'static str> {
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || (body.contains('.') && !digits(frac)) {
            return Err("expected an integer or decimal number such as 42 or -1.5");
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let zero = int.is_empty() && frac.is_empty();
        Ok(DecimalRef {
            negative: negative && !zero,
            int,
            frac,
        })
    }
}

impl Ord for DecimalRef<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let magnitude = self
            .int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(other.int))
            .then_with(|| self.frac.cmp(other.frac));
        match (self.negative, other.negative) {
            (false, false) => magnitude,
            (true, true) => magnitude.reverse(),
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
        }
    }
}

impl PartialOrd for DecimalRef<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Decimal {
    /// The number as a [`DecimalRef`], to compare with request values.
    pub fn as_ref(&self) -> DecimalRef<'_> {
        DecimalRef {
            negative: self.negative,
            int: &self.int,
            frac: &self.frac,
        }
    }
}

impl FromStr for Decimal {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let d = DecimalRef::parse(s)?;
        Ok(Decimal {
            negative: d.negative,
            int: d.int.to_string(),
            frac: d.frac.to_string(),
        })
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_ref().cmp(&other.as_ref())
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Reads an RFC 3339 date-time (with `Z` or an offset) as an instant.
pub fn parse_date(s: &str) -> Result<OffsetDateTime, &'static str> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(
        |_| "expected an RFC 3339 date-time with Z or an offset, such as 2019-08-12T17:00:00+08:00",
    )
}

/// Reads a bool the way RAM writes it: `true` or `false`.
pub fn parse_bool(s: &str) -> Result<bool, &'static str> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected true or false"),
    }
}

/// Reads an address or CIDR block; a bare address is a /32 or /128. A block
/// inside the IPv4-mapped range (`::ffff:203.0.113.0/120`) is read as the
/// IPv4 block it maps (`203.0.113.0/24`).
pub fn parse_network(s: &str) -> Result<IpNet, &'static str> {
    let net = match IpNet::from_str(s) {
        // `192.0.2.1/24` has host bits set; RAM reads it as its block.
        Ok(net) => net.trunc(),
        Err(_) => IpAddr::from_str(s)
            .map(IpNet::from)
            .map_err(|_| "expected an IPv4 or IPv6 address or CIDR block such as 192.0.2.0/24")?,
    };
    if let IpNet::V6(v6) = net
        && v6.prefix_len() >= 96
        && let IpAddr::V4(v4) = IpAddr::V6(v6.network()).to_canonical()
        && let Ok(mapped) = ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
    {
        return Ok(IpNet::V4(mapped));
    }
    Ok(net)
}

/// Reads a request address. An IPv4-mapped IPv6 address
/// (`::ffff:203.0.113.5`) is the IPv4 address it maps, so that no spelling
/// of an address escapes an IPv4 block (docs/semantics.md, "Request values").
pub fn parse_address(s: &str) -> Option<IpAddr> {
    IpAddr::from_str(s).ok().map(|ip| ip.to_canonical())
}

/// Whether `net` holds `ip`, whichever way either is written: an IPv4
/// address is in an IPv6 block when its IPv4-mapped form is.
pub fn network_contains(net: &IpNet, ip: IpAddr) -> bool {
    match (net, ip.to_canonical()) {
        (IpNet::V6(v6), IpAddr::V4(v4)) => v6.contains(&v4.to_ipv6_mapped()),
        (net, ip) => net.contains(&ip),
    }
}

/// The common `acs:` keys (docs/semantics.md, "Common condition keys") and
/// the identity providers' `saml:`/`oidc:` keys, as RAM's documentation spells
/// them, with their types and whether they carry several values. Keys
/// compare case-insensitively. The one table: the evaluator, the linter and
/// the generator all read it.
pub const COMMON_KEYS: &[(&str, ValueType, bool)] = &[
    ("acs:SourceIp", ValueType::Ip, false),
    ("acs:SourceVpc", ValueType::String, false),
    ("acs:SecureTransport", ValueType::Boolean, false),
    ("acs:CurrentTime", ValueType::Date, false),
    ("acs:MFAPresent", ValueType::Boolean, false),
    ("acs:UserAgent", ValueType::String, false),
    ("acs:Referer", ValueType::String, false),
    ("acs:Service", ValueType::String, false),
    ("acs:TagKeys", ValueType::String, true),
    ("acs:PrincipalARN", ValueType::String, false),
    ("acs:AccessId", ValueType::String, false),
    // What an identity provider's token says, tested by the trust policies
    // of roles for role-based SSO (docs/semantics.md, "Principals").
    ("saml:recipient", ValueType::String, false),
    ("oidc:iss", ValueType::String, false),
    ("oidc:aud", ValueType::String, false),
    ("oidc:sub", ValueType::String, false),
];

/// Tag keys: `acs:ResourceTag/<tag-key>` and `acs:RequestTag/<tag-key>`,
/// strings.
pub const TAG_KEY_PREFIXES: &[&str] = &["acs:ResourceTag/", "acs:RequestTag/"];

/// The documented spelling of a common key written in any case, e.g.
/// `acs:SourceIp` for `ACS:SOURCEIP`; tag keys keep their tag as written.
pub fn common_key_name(key: &str) -> Option<String> {
    if let Some((name, _, _)) = COMMON_KEYS
        .iter()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
    {
        return Some((*name).to_string());
    }
    TAG_KEY_PREFIXES.iter().find_map(|prefix| {
        let head = key.get(..prefix.len())?;
        (head.eq_ignore_ascii_case(prefix) && key.len() > prefix.len())
            .then(|| format!("{prefix}{}", &key[prefix.len()..]))
    })
}

/// The type of a common key (including `acs:ResourceTag/…` and
/// `acs:RequestTag/…`), and whether it may carry several values.
pub fn common_key_type(key: &str) -> Option<(ValueType, bool)> {
    if let Some(&(_, t, multi)) = COMMON_KEYS
        .iter()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
    {
        return Some((t, multi));
    }
    let is_tag = TAG_KEY_PREFIXES.iter().any(|prefix| {
        key.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    });
    is_tag.then_some((ValueType::String, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_compare_exactly() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(d("10"), d("010.000"));
        assert_eq!(d("-0"), d("0.0"));
        assert!(d("9007199254740993") > d("9007199254740992"));
        assert!(d("-2") < d("-1.5"));
        assert!(d("0.10001") > d("0.1"));
        assert!(d("-0.5") < d("0"));
        for bad in ["", "-", "1.", ".5", "1e3", "ten", "+1", "1,5"] {
            assert!(bad.parse::<Decimal>().is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_are_instants() {
        let a = parse_date("2019-08-12T17:00:00+08:00").unwrap();
        let b = parse_date("2019-08-12T09:00:00Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_date("2019-08-12").is_err());
        assert!(parse_date("yesterday").is_err());
    }

    #[test]
    fn ipv4_mapped_addresses_are_the_ipv4_address() {
        let block = parse_network("203.0.113.0/24").unwrap();
        for spelling in [
            "203.0.113.5",
            "::ffff:203.0.113.5",
            "::ffff:cb00:7105",
            "::FFFF:CB00:7105",
        ] {
            let ip = parse_address(spelling).unwrap();
            assert!(network_contains(&block, ip), "{spelling}");
        }
        assert!(!network_contains(
            &block,
            parse_address("::ffff:198.51.100.1").unwrap()
        ));
        // A mapped block is the IPv4 block.
        assert_eq!(
            parse_network("::ffff:203.0.113.0/120").unwrap(),
            parse_network("203.0.113.0/24").unwrap()
        );
        // An IPv6 block that holds the mapped range holds IPv4 addresses.
        let all6 = parse_network("::/0").unwrap();
        assert!(network_contains(
            &all6,
            parse_address("203.0.113.5").unwrap()
        ));
        assert!(!network_contains(
            &parse_network("2001:db8::/32").unwrap(),
            parse_address("203.0.113.5").unwrap()
        ));
    }

    #[test]
    fn networks() {
        assert!(parse_network("192.0.2.0/24").is_ok());
        assert!(
            parse_network("192.0.2.7")
                .unwrap()
                .contains(&"192.0.2.7".parse::<IpAddr>().unwrap())
        );
        assert!(parse_network("2001:db8::/32").is_ok());
        assert!(parse_network("192.0.2.0/33").is_err());
        assert!(parse_network("abc").is_err());
        assert!(
            parse_network("192.0.2.9/24")
                .unwrap()
                .contains(&"192.0.2.200".parse::<IpAddr>().unwrap())
        );
    }

    #[test]
    fn common_key_spellings() {
        assert_eq!(
            common_key_name("ACS:SOURCEIP").as_deref(),
            Some("acs:SourceIp")
        );
        assert_eq!(
            common_key_name("acs:resourcetag/Env").as_deref(),
            Some("acs:ResourceTag/Env")
        );
        assert_eq!(common_key_name("acs:ResourceTag/"), None);
        assert_eq!(common_key_name("acs:SourceIP6"), None);
        assert_eq!(
            common_key_type("ACS:TagKeys"),
            Some((ValueType::String, true))
        );
        assert_eq!(
            common_key_type("acs:RequestTag/team"),
            Some((ValueType::String, false))
        );
        assert_eq!(common_key_type("imm:Count"), None);
    }
}
