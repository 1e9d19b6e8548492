//! Origins, as the Fetch and URL standards serialise them: `scheme://host[:port]`, lower-case,
//! default port omitted, no trailing slash, or the opaque `null`.
//!
//! Two jobs live here: parsing a *configured* origin entry (lenient, with normalisation notes and
//! precise errors), and splitting a *request* `Origin` value into its parts without allocating.

use std::fmt;

/// How a configured `allow_origins` entry matches request origins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OriginEntry {
    /// `*`: every origin.
    Any,
    /// One serialised origin, compared byte for byte.
    Exact(String),
    /// `https://*.example.com`, `http://localhost:*` and their combinations.
    Pattern(OriginPattern),
}

/// A wildcard entry: `*.` as the first host label and/or `*` as the port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OriginPattern {
    scheme: String,
    host: HostPattern,
    port: PortPattern,
    /// The normalised entry as written in config, for display.
    display: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// Stored with its leading dot (`.example.com`) so a suffix test cannot match
    /// `evil-example.com`.
    Subdomains(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PortPattern {
    /// No port in the origin (the scheme's default).
    Default,
    Exact(String),
    Any,
}

impl OriginPattern {
    pub(crate) fn matches(&self, origin: &RequestOrigin<'_>) -> bool {
        if origin.scheme != self.scheme {
            return false;
        }
        let port_ok = match (&self.port, origin.port) {
            (PortPattern::Any, _) => true,
            (PortPattern::Default, None) => true,
            (PortPattern::Exact(p), Some(q)) => p == q,
            _ => false,
        };
        if !port_ok {
            return false;
        }
        match &self.host {
            HostPattern::Exact(h) => origin.host == h,
            HostPattern::Subdomains(suffix) => {
                origin.host.len() > suffix.len()
                    && origin.host.ends_with(suffix.as_str())
                    && is_dns_labels(&origin.host[..origin.host.len() - suffix.len()])
            }
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.display
    }
}

/// One or more non-empty DNS labels separated by dots, lower-case as browsers serialise them.
fn is_dns_labels(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

/// A request's `Origin` value split into parts. Borrowed: parsing allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RequestOrigin<'a> {
    pub(crate) scheme: &'a str,
    pub(crate) host: &'a str,
    pub(crate) port: Option<&'a str>,
}

impl<'a> RequestOrigin<'a> {
    /// Splits a serialised origin. Returns `None` for anything a browser would not send
    /// (which then simply matches no pattern).
    pub(crate) fn parse(s: &'a str) -> Option<Self> {
        // Byte scans rather than `split_once("://")` and `contains([..])`: this runs for every
        // origin that is not an exact entry. All the delimiters are ASCII, so every index found
        // is a char boundary.
        let at = s.as_bytes().windows(3).position(|w| w == b"://")?;
        let (scheme, rest) = (&s[..at], &s[at + 3..]);
        if scheme.is_empty()
            || rest.is_empty()
            || rest.bytes().any(|b| matches!(b, b'/' | b'?' | b'#' | b'@'))
        {
            return None;
        }
        let (host, port) = split_host_port(rest)?;
        if host.is_empty() {
            return None;
        }
        Some(RequestOrigin { scheme, host, port })
    }
}

/// Splits `host[:port]`, keeping IPv6 literals (`[::1]:8080`) whole.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if authority.starts_with('[') {
        let end = authority.find(']')?;
        let host = &authority[..=end];
        let rest = &authority[end + 1..];
        return match rest.strip_prefix(':') {
            Some(port) => Some((host, Some(port))),
            None if rest.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port))),
        None => Some((authority, None)),
    }
}

/// What normalising a configured origin changed; each becomes a configuration warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Normalisation {
    Trimmed,
    TrailingSlash,
    LowerCased,
    DefaultPort(u16),
}

impl fmt::Display for Normalisation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Normalisation::Trimmed => f.write_str("surrounding whitespace removed"),
            Normalisation::TrailingSlash => f.write_str(
                "trailing '/' removed (browsers send origins without one, so it would never match)",
            ),
            Normalisation::LowerCased => {
                f.write_str("scheme and host lower-cased (browsers always send them in lower case)")
            }
            Normalisation::DefaultPort(p) => write!(
                f,
                "default port :{p} removed (browsers omit the default port from the Origin header)"
            ),
        }
    }
}

/// Why a configured origin entry is unusable; `fix` is a corrected entry or an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OriginError {
    pub(crate) why: String,
    pub(crate) fix: String,
}

fn err(why: impl Into<String>, fix: impl Into<String>) -> OriginError {
    OriginError {
        why: why.into(),
        fix: fix.into(),
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// Parses one configured `allow_origins` entry.
pub(crate) fn parse_entry(raw: &str) -> Result<(OriginEntry, Vec<Normalisation>), OriginError> {
    let mut notes = Vec::new();
    let s = raw.trim();
    if s.len() != raw.len() {
        notes.push(Normalisation::Trimmed);
    }
    if s == "*" {
        return Ok((OriginEntry::Any, notes));
    }
    if s.is_empty() {
        return Err(err(
            "it is empty",
            "remove the empty entry (a trailing comma in a list makes one)",
        ));
    }
    if s.eq_ignore_ascii_case("null") {
        return Err(err(
            "the `null` origin (sandboxed iframes, file: pages, redirected requests) cannot be listed as an origin",
            "remove it and set allow_null_origin = true if you really mean to trust every opaque origin",
        ));
    }
    let Some((scheme_raw, rest)) = s.split_once("://") else {
        let fix = if s.contains("//") || s.contains(' ') {
            "write it as scheme://host[:port], e.g. \"http://localhost:3000\"".to_string()
        } else {
            format!("write it with its scheme: \"http://{s}\" or \"https://{s}\"")
        };
        return Err(err(
            "it has no scheme (an origin is scheme://host[:port])",
            fix,
        ));
    };
    let scheme_ok = scheme_raw.bytes().enumerate().all(|(i, b)| {
        b.is_ascii_alphabetic()
            || (i > 0 && (b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.')))
    });
    if scheme_raw.is_empty() || !scheme_ok {
        return Err(err(
            format!("`{scheme_raw}` is not a valid URL scheme"),
            "use a scheme such as http or https, e.g. \"https://app.example.com\"",
        ));
    }
    let scheme = scheme_raw.to_ascii_lowercase();
    let mut lowered = scheme != scheme_raw;

    let tail_at = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(tail_at);
    let suggestion = || format!("{scheme}://{}", authority.to_ascii_lowercase());
    match tail {
        "" => {}
        "/" => notes.push(Normalisation::TrailingSlash),
        t if t.starts_with('?') => {
            return Err(err(
                format!("it has a query (`{t}`); an origin is only scheme://host[:port]"),
                format!("write \"{}\"", suggestion()),
            ))
        }
        t if t.starts_with('#') => {
            return Err(err(
                format!("it has a fragment (`{t}`); an origin is only scheme://host[:port]"),
                format!("write \"{}\"", suggestion()),
            ))
        }
        t => {
            return Err(err(
                format!("it has a path (`{t}`); an origin is only scheme://host[:port], browsers never send a path in Origin"),
                format!("write \"{}\"", suggestion()),
            ))
        }
    }
    if let Some(at) = authority.rfind('@') {
        return Err(err(
            "it has a user name or password (`userinfo@`); browsers never send credentials in Origin",
            format!("write \"{scheme}://{}\"", authority[at + 1..].to_ascii_lowercase()),
        ));
    }
    if authority.is_empty() {
        return Err(err(
            "it has no host",
            "write scheme://host[:port], e.g. \"http://localhost:3000\"",
        ));
    }
    let Some((host_raw, port_raw)) = split_host_port(authority) else {
        return Err(err(
            "its host is not valid (an IPv6 address must be written in brackets, e.g. http://[::1]:8000)",
            "write scheme://host[:port], e.g. \"http://[::1]:8000\"",
        ));
    };
    let host = host_raw.to_ascii_lowercase();
    lowered |= host != host_raw;
    if lowered {
        notes.push(Normalisation::LowerCased);
    }

    let port = match port_raw {
        None => PortPattern::Default,
        Some("*") => PortPattern::Any,
        Some("") => {
            return Err(err(
                "it ends with ':' but has no port",
                format!("remove the ':' or add a port, e.g. \"{scheme}://{host}:8080\""),
            ))
        }
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => {
                if default_port(&scheme) == Some(n) {
                    notes.push(Normalisation::DefaultPort(n));
                    PortPattern::Default
                } else {
                    // Browsers never send leading zeros.
                    PortPattern::Exact(n.to_string())
                }
            }
            _ => {
                return Err(err(
                    format!("`{p}` is not a port (1-65535, or `*` for any port)"),
                    format!("write e.g. \"{scheme}://{host}:8080\" or \"{scheme}://{host}:*\""),
                ))
            }
        },
    };

    let host_pattern = if let Some(suffix) = host.strip_prefix("*.") {
        check_host(suffix, &scheme)?;
        if !suffix.contains('.') && suffix != "localhost" {
            return Err(err(
                format!("`*.{suffix}` would allow every site under a top-level domain"),
                format!("name your own domain, e.g. \"{scheme}://*.example.{suffix}\""),
            ));
        }
        HostPattern::Subdomains(format!(".{suffix}"))
    } else if host.contains('*') {
        return Err(err(
            format!("`{host}`: `*` is only supported as the whole first label (`*.example.com`) or as the port (`:*`)"),
            format!("write \"{scheme}://*.example.com\", or use allow_origin_regex for other shapes"),
        ));
    } else {
        check_host(&host, &scheme)?;
        HostPattern::Exact(host.clone())
    };

    let port_text = match &port {
        PortPattern::Default => String::new(),
        PortPattern::Exact(p) => format!(":{p}"),
        PortPattern::Any => ":*".to_string(),
    };
    let display = format!("{scheme}://{host}{port_text}");
    Ok(match (host_pattern, port) {
        (HostPattern::Exact(_), PortPattern::Default | PortPattern::Exact(_)) => {
            (OriginEntry::Exact(display), notes)
        }
        (host, port) => (
            OriginEntry::Pattern(OriginPattern {
                scheme,
                host,
                port,
                display,
            }),
            notes,
        ),
    })
}

fn check_host(host: &str, scheme: &str) -> Result<(), OriginError> {
    if host.starts_with('[') {
        let inner = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or("");
        if inner.parse::<std::net::Ipv6Addr>().is_ok() {
            return Ok(());
        }
        return Err(err(
            format!("`{host}` is not a valid IPv6 address"),
            "write it as browsers do, e.g. \"http://[::1]:8000\"",
        ));
    }
    if !host.is_ascii() {
        return Err(err(
            format!("`{host}` is not ASCII; browsers send internationalised hosts in punycode"),
            format!("write the punycode (xn--) form, e.g. \"{scheme}://xn--bcher-kva.example\""),
        ));
    }
    if !is_dns_labels(host) {
        return Err(err(
            format!("`{host}` is not a valid host name (letters, digits, '-' and '.' between non-empty labels)"),
            format!("write e.g. \"{scheme}://app.example.com\""),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(s: &str) -> String {
        match parse_entry(s).expect("valid entry").0 {
            OriginEntry::Exact(e) => e,
            other => panic!("expected exact, got {other:?}"),
        }
    }

    #[test]
    fn normalises_configured_origins() {
        assert_eq!(exact("http://localhost:3000"), "http://localhost:3000");
        assert_eq!(exact("http://localhost:3000/"), "http://localhost:3000");
        assert_eq!(exact("HTTPS://MyApp.COM"), "https://myapp.com");
        assert_eq!(exact("https://myapp.com:443"), "https://myapp.com");
        assert_eq!(exact("http://myapp.com:80/"), "http://myapp.com");
        assert_eq!(exact("http://myapp.com:0443"), "http://myapp.com:443");
        assert_eq!(exact("capacitor://localhost"), "capacitor://localhost");
        assert_eq!(exact("http://[::1]:8000"), "http://[::1]:8000");
    }

    #[test]
    fn rejects_non_origins() {
        for bad in [
            "https://example.com/path",
            "https://example.com?q",
            "https://example.com#f",
            "https://user:pw@example.com",
            "localhost:3000",
            "https://",
            "https://exa mple.com",
            "https://example.com:99999",
            "https://example.com:",
            "https://*.com",
            "https://a*.example.com",
            "null",
            "",
            "https://bücher.example",
            "https://*.[",
            "https://*.[ß",
            "https://[",
            "https://[]",
        ] {
            assert!(parse_entry(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn subdomain_pattern_never_matches_bare_or_lookalike_domain() {
        let (OriginEntry::Pattern(p), _) = parse_entry("https://*.example.com").unwrap() else {
            panic!("pattern expected")
        };
        let m = |s: &str| RequestOrigin::parse(s).is_some_and(|o| p.matches(&o));
        assert!(m("https://a.example.com"));
        assert!(m("https://a.b.example.com"));
        assert!(!m("https://example.com"));
        assert!(!m("https://evil-example.com"));
        assert!(!m("https://.example.com"));
        assert!(!m("http://a.example.com"));
        assert!(!m("https://a.example.com:8443"));
        assert!(!m("https://a.example.com.evil.com"));
    }

    #[test]
    fn any_port_pattern() {
        let (OriginEntry::Pattern(p), _) = parse_entry("http://localhost:*").unwrap() else {
            panic!("pattern expected")
        };
        let m = |s: &str| RequestOrigin::parse(s).is_some_and(|o| p.matches(&o));
        assert!(m("http://localhost:3000"));
        assert!(m("http://localhost"));
        assert!(!m("http://localhost.evil.com:3000"));
        assert!(!m("https://localhost:3000"));
    }
}
