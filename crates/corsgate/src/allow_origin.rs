//! Which request origins a policy allows: exact entries, patterns, an anchored regex, `*`, `null`.

use crate::error::{ConfigError, ConfigWarning};
use crate::origin::{self, OriginEntry, OriginPattern, RequestOrigin};
use http::HeaderValue;
use regex::Regex;

/// How an allowed origin was matched; reported in decisions and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    /// `*` in `allow_origins`.
    Any,
    /// An exact `allow_origins` entry.
    Exact,
    /// An `allow_origins` pattern such as `https://*.example.com`.
    Pattern,
    /// `allow_origin_regex`.
    Regex,
    /// `allow_null_origin`.
    Null,
}

#[derive(Debug)]
pub(crate) struct OriginSet {
    pub(crate) any: bool,
    /// Sorted, as listed by [`OriginSet::exact`].
    exact: Vec<Box<str>>,
    /// The same entries ordered by length, for the per-request look-up.
    exact_by_len: Vec<Box<str>>,
    patterns: Vec<OriginPattern>,
    regex: Option<Regex>,
    null: bool,
}

pub(crate) enum OriginVerdict<'a> {
    Allowed(MatchedBy),
    /// Printable ASCII, but allowed by nothing.
    NotAllowed(&'a str),
    NullNotAllowed,
    /// Not printable ASCII (`HeaderValue::to_str` fails).
    Invalid,
}

impl OriginSet {
    /// Checks a request's `Origin` value, in this order: `*`, `null`, exact entries, patterns,
    /// regex. Allocation-free.
    pub(crate) fn check<'a>(&self, value: &'a HeaderValue) -> OriginVerdict<'a> {
        // Exact entries are printable ASCII and never `null`, so a byte-for-byte hit needs no
        // validation and cannot pre-empt the `null` rule; `*` comes first, so not with `*`.
        if !self.any && self.is_exact(value.as_bytes()) {
            return OriginVerdict::Allowed(MatchedBy::Exact);
        }
        let Ok(origin) = value.to_str() else {
            return OriginVerdict::Invalid;
        };
        if self.any {
            return OriginVerdict::Allowed(MatchedBy::Any);
        }
        if origin == "null" {
            // `null` is shared by every sandboxed document; only an explicit opt-in reflects it.
            return if self.null {
                OriginVerdict::Allowed(MatchedBy::Null)
            } else {
                OriginVerdict::NullNotAllowed
            };
        }
        if !self.patterns.is_empty() {
            if let Some(parsed) = RequestOrigin::parse(origin) {
                if self.patterns.iter().any(|p| p.matches(&parsed)) {
                    return OriginVerdict::Allowed(MatchedBy::Pattern);
                }
            }
        }
        if let Some(re) = &self.regex {
            if re.is_match(origin) {
                return OriginVerdict::Allowed(MatchedBy::Regex);
            }
        }
        OriginVerdict::NotAllowed(origin)
    }

    /// A binary search on the length, then a comparison with the (few) entries of that length.
    fn is_exact(&self, origin: &[u8]) -> bool {
        let first = self
            .exact_by_len
            .partition_point(|e| e.len() < origin.len());
        self.exact_by_len[first..]
            .iter()
            .take_while(|e| e.len() == origin.len())
            .any(|e| e.as_bytes() == origin)
    }

    /// A plain-http origin the regex accepts, found by probing the domains written in it.
    pub(crate) fn regex_http_example(&self, src: &str) -> Option<String> {
        let re = self.regex.as_ref()?;
        literal_domains(src)
            .iter()
            .flat_map(|d| {
                [
                    format!("http://{d}"),
                    format!("http://www.{d}"),
                    format!("http://app.{d}"),
                ]
            })
            .find(|probe| re.is_match(probe))
    }

    pub(crate) fn exact(&self) -> impl Iterator<Item = &str> {
        self.exact.iter().map(|s| &**s)
    }

    pub(crate) fn patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|p| p.as_str())
    }
}

/// Builds the set, pushing every problem found; returns the normalised `allow_origins` list too.
pub(crate) fn build(
    allow_origins: &[String],
    allow_origin_regex: Option<&str>,
    allow_null_origin: bool,
    errors: &mut Vec<ConfigError>,
    warnings: &mut Vec<ConfigWarning>,
) -> (OriginSet, Vec<String>) {
    let mut set = OriginSet {
        any: false,
        exact: Vec::new(),
        exact_by_len: Vec::new(),
        patterns: Vec::new(),
        regex: None,
        null: allow_null_origin,
    };
    let mut normalised = Vec::new();
    for raw in allow_origins {
        match origin::parse_entry(raw) {
            Ok((entry, notes)) => {
                for note in notes {
                    warnings.push(ConfigWarning::new(
                        "allow_origins",
                        raw.clone(),
                        note.to_string(),
                    ));
                }
                match entry {
                    OriginEntry::Any => {
                        set.any = true;
                        normalised.push("*".to_string());
                    }
                    OriginEntry::Exact(s) => {
                        normalised.push(s.clone());
                        set.exact.push(s.into_boxed_str());
                    }
                    OriginEntry::Pattern(p) => {
                        normalised.push(p.as_str().to_string());
                        set.patterns.push(p);
                    }
                }
            }
            Err(e) => errors.push(ConfigError::new(
                "allow_origins",
                raw.clone(),
                format!("not a valid origin: {}", e.why),
                e.fix,
            )),
        }
    }
    set.exact.sort();
    set.exact.dedup();
    set.exact_by_len = set.exact.clone();
    set.exact_by_len
        .sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    let mut seen = std::collections::HashSet::new();
    normalised.retain(|o| seen.insert(o.clone()));

    if let Some(src) = allow_origin_regex {
        // Parse the regex alone first: wrapped unchecked, `a)|(.*` would become
        // `^(?:a)|(.*)$` and escape the anchors.
        match Regex::new(src).and_then(|_| Regex::new(&format!("^(?:{src})$"))) {
            Ok(re) => {
                regex_warnings(src, &re, warnings);
                set.regex = Some(re);
            }
            Err(e) => errors.push(ConfigError::new(
                "allow_origin_regex",
                src,
                format!("not a valid regex: {}", one_line(&e.to_string())),
                "fix the syntax (Rust regex syntax; look-around and backreferences are not supported, the engine runs in linear time)",
            )),
        }
    }
    if allow_null_origin && !set.any {
        warnings.push(ConfigWarning::new(
            "allow_null_origin",
            "true",
            "the null origin is shared by every sandboxed iframe, file: page and cross-site redirect; any of them can use this API as an allowed origin",
        ));
    }
    (set, normalised)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Warns about the classic regex mistakes: a `.` that matches any character where a domain dot
/// was meant, and patterns that also accept origins on someone else's domain.
fn regex_warnings(src: &str, re: &Regex, warnings: &mut Vec<ConfigWarning>) {
    if has_unescaped_domain_dot(src) {
        warnings.push(ConfigWarning::new(
            "allow_origin_regex",
            src,
            "contains an unescaped '.' between name characters; it matches any character (\"myapp.com\" also matches \"myappxcom\"); write \\. for a literal dot",
        ));
    }
    for domain in literal_domains(src) {
        for probe in cross_domain_probes(&domain) {
            if re.is_match(&probe) {
                warnings.push(ConfigWarning::new(
                    "allow_origin_regex",
                    src,
                    format!("also matches {probe}, an origin outside {domain}; anchor the domain, e.g. https://([a-z0-9-]+\\.)*{}", domain.replace('.', "\\.")),
                ));
                return;
            }
        }
    }
}

/// A `.` outside a character class, not escaped, between a name character or a group and a name
/// character (`myapp.com`, `(www|app).myapp`); `.*` and `.+` are deliberate wildcards and are not
/// reported.
fn has_unescaped_domain_dot(src: &str) -> bool {
    let b = src.as_bytes();
    let mut in_class = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'.' if !in_class => {
                let name = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
                // A name or a group on the left (`(www|app).myapp`), a name on the right.
                let left = i > 0 && (name(b[i - 1]) || b[i - 1] == b')');
                if left && b.get(i + 1).copied().is_some_and(name) {
                    return true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Literal domain names written in the regex (`myapp\.com` → `myapp.com`).
fn literal_domains(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = src.chars().peekable();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        let d = cur.trim_matches('.').to_ascii_lowercase();
        if d.contains('.') && !out.contains(&d) {
            out.push(d);
        }
        cur.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                cur.push('.');
            }
            '.' if chars.peek().is_some_and(|n| n.is_ascii_alphanumeric()) && !cur.is_empty() => {
                cur.push('.')
            }
            c if c.is_ascii_alphanumeric() || c == '-' => cur.push(c),
            _ => flush(&mut cur, &mut out),
        }
    }
    flush(&mut cur, &mut out);
    // `https` / `http` alone never contain a dot, so scheme text is not mistaken for a domain.
    out
}

/// Origins on other registrable domains that a sloppy regex for `domain` tends to accept.
fn cross_domain_probes(domain: &str) -> Vec<String> {
    let squashed = domain.replace('.', "x");
    let mut probes = Vec::new();
    for scheme in ["https", "http"] {
        probes.push(format!("{scheme}://evil{domain}"));
        probes.push(format!("{scheme}://evil-{domain}"));
        probes.push(format!("{scheme}://{domain}.evil.example"));
        probes.push(format!("{scheme}://{domain}-evil.example"));
        probes.push(format!("{scheme}://evil.{domain}evil.example"));
        probes.push(format!("{scheme}://{squashed}"));
        probes.push(format!("{scheme}://www.{squashed}"));
    }
    probes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings_for(src: &str) -> Vec<ConfigWarning> {
        let (mut e, mut w) = (Vec::new(), Vec::new());
        build(&[], Some(src), false, &mut e, &mut w);
        assert!(e.is_empty(), "{e:?}");
        w
    }

    #[test]
    fn guide_regex_is_clean() {
        assert!(warnings_for(r"https://.*\.myapp\.com").is_empty());
        assert!(warnings_for(r"https://([a-z0-9-]+\.)*myapp\.com").is_empty());
    }

    #[test]
    fn sloppy_regexes_warn() {
        let w = warnings_for(r"https://(www|app).myapp\.com");
        assert!(w.iter().any(|w| w.message.contains("unescaped")), "{w:?}");
        let w = warnings_for(r"https://.*\.myapp.com");
        assert!(w.iter().any(|w| w.message.contains("unescaped")), "{w:?}");
        let w = warnings_for(r"https://.*myapp\.com");
        assert!(
            w.iter().any(|w| w.message.contains("evilmyapp.com")),
            "{w:?}"
        );
    }
}
