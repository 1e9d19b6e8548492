//! Probe origins: crafted `Origin` values, each aimed at one class of misconfigured origin check,
//! built from the origins the site means to trust. Pure: no I/O.

use super::{Class, Severity};

/// The attacker's registrable domain in the probes. Any name works against a server that
/// reflects; one that no one would list keeps a probe from ever being trusted by accident.
pub const ATTACKER: &str = "corsgate-attacker.com";
/// The label used where a probe needs a (sub)domain label of its own.
pub const LABEL: &str = "corsgate-probe";

/// Characters that break hand-written origin parsers (Kettle's "breaking parsers"; CORScanner's
/// and nuclei's lists). `_` gets through Chrome and Firefox; the others mainly Safari.
pub const SPECIAL_CHARS: &[&str] = &[
    "_", "`", "%60", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", "~", "{", "}", "|", "^",
];

/// Sites where anyone can publish a page: trusting them trusts every user of the host.
pub const THIRD_PARTY: &[&str] = &[
    "https://corsgate-probe.github.io",
    "https://codepen.io",
    "https://s.codepen.io",
    "https://jsfiddle.net",
    "https://fiddle.jshell.net",
    "https://jsbin.com",
    "https://repl.it",
    "https://corsgate-probe.netlify.app",
    "https://corsgate-probe.vercel.app",
    "https://corsgate-probe.herokuapp.com",
    "https://corsgate-probe.pages.dev",
    "https://corsgate-probe.web.app",
    "https://storage.googleapis.com",
];

/// Local development origins: what a development policy trusts on purpose.
pub const LOCALHOST: &[&str] = &[
    "http://localhost",
    "http://localhost:3000",
    "http://localhost:5173",
    "http://localhost:8080",
    "http://localhost:4200",
    "http://127.0.0.1",
    "http://127.0.0.1:3000",
    "http://127.0.0.1:5173",
    "http://127.0.0.1:8080",
    "http://[::1]:3000",
];

/// One trusted origin, split (`scheme://host[:port]`). Patterns are turned into one concrete
/// origin before probing (`https://*.example.com` → `https://www.example.com`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trusted {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
}

impl Trusted {
    /// Splits a serialised origin (already validated and normalised by the engine); `None` for
    /// anything else (`null`, a pattern with `*` left in it).
    pub fn parse(origin: &str) -> Option<Trusted> {
        let (scheme, rest) = origin.split_once("://")?;
        if rest.is_empty() || rest.contains(['/', '*', '?', '#', '@']) {
            return None;
        }
        let (host, port) = if rest.starts_with('[') {
            let end = rest.find(']')?;
            let (h, p) = rest.split_at(end + 1);
            (h, p.strip_prefix(':'))
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        let port = match port {
            Some(p) => Some(p.parse().ok()?),
            None => None,
        };
        Some(Trusted {
            scheme: scheme.to_string(),
            host: host.to_string(),
            port,
        })
    }

    /// The concrete origin a pattern stands for when probing: `*.` becomes `www.`, `:*` no port.
    pub fn from_pattern(pattern: &str) -> Option<Trusted> {
        let concrete = pattern.replacen("://*.", "://www.", 1);
        let concrete = concrete.strip_suffix(":*").unwrap_or(&concrete);
        Trusted::parse(concrete)
    }

    pub fn origin(&self) -> String {
        format!("{}://{}{}", self.scheme, self.host, self.port_suffix())
    }

    fn port_suffix(&self) -> String {
        self.port.map(|p| format!(":{p}")).unwrap_or_default()
    }

    /// An IP address or `localhost`: no registrable domain to play games with.
    fn is_loopback_or_ip(&self) -> bool {
        let h = self.host.trim_start_matches('[').trim_end_matches(']');
        h == "localhost"
            || h.ends_with(".localhost")
            || h.parse::<std::net::IpAddr>().is_ok()
            || !h.contains('.')
    }

    /// The registrable domain ("site"), by a short list of two-label public suffixes; good
    /// enough to build look-alikes, not a Public Suffix List.
    pub fn registrable(&self) -> String {
        registrable(&self.host)
    }
}

/// `app.example.co.uk` → `example.co.uk`; `app.example.com` → `example.com`.
pub fn registrable(host: &str) -> String {
    const TWO_LABEL: &[&str] = &[
        "co.uk",
        "org.uk",
        "ac.uk",
        "gov.uk",
        "com.au",
        "net.au",
        "org.au",
        "co.nz",
        "co.jp",
        "ne.jp",
        "com.br",
        "co.in",
        "com.cn",
        "com.mx",
        "co.za",
        "com.tr",
        "com.sg",
        "co.kr",
        "github.io",
        "gitlab.io",
        "vercel.app",
        "netlify.app",
        "herokuapp.com",
        "pages.dev",
        "web.app",
        "firebaseapp.com",
        "azurewebsites.net",
        "cloudfront.net",
        "appspot.com",
    ];
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() <= 2 {
        return host.to_string();
    }
    let last_two = labels[labels.len() - 2..].join(".");
    let take = if TWO_LABEL.contains(&last_two.as_str()) {
        3
    } else {
        2
    };
    labels[labels.len().saturating_sub(take)..].join(".")
}

/// One `Origin` value to send and the class of check it is aimed at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub origin: String,
    pub class: Class,
    /// The attacker needs a foothold on the victim's own site or machine (a subdomain of the
    /// trusted domain, another port on the trusted host): lowers the severity.
    pub needs_foothold: bool,
    /// What the flawed check matched on: the trusted `scheme://host` for a prefix probe, the
    /// trusted domain for a suffix probe; empty otherwise.
    pub anchor: String,
    /// The most this probe's hit can be worth: a look-alike no one can register (the dot
    /// before the top-level domain replaced) shows a flawed check that cannot be exploited.
    pub cap: Option<Severity>,
}

impl Probe {
    fn new(origin: String, class: Class) -> Probe {
        Probe {
            origin,
            class,
            needs_foothold: false,
            anchor: String::new(),
            cap: None,
        }
    }

    fn anchored(mut self, anchor: String) -> Probe {
        self.anchor = anchor;
        self
    }

    fn foothold(mut self) -> Probe {
        self.needs_foothold = true;
        self
    }
}

/// Every probe for the given trusted origins, without duplicates; the caller drops those the
/// site trusts. The first probe is the arbitrary-origin one.
pub fn probes(trusted: &[Trusted]) -> Vec<Probe> {
    let mut out: Vec<Probe> = Vec::new();
    let mut schemes: Vec<&str> = trusted.iter().map(|t| t.scheme.as_str()).collect();
    if schemes.is_empty() {
        schemes.push("https");
    }
    schemes.dedup();
    for s in &schemes {
        out.push(Probe::new(
            format!("{s}://{ATTACKER}"),
            Class::OriginReflection,
        ));
    }
    out.push(Probe::new("null".to_string(), Class::NullOrigin));
    for t in trusted {
        let s = &t.scheme;
        let h = &t.host;
        let ps = t.port_suffix();
        let domain = t.registrable();
        // The trusted origin followed by the attacker's domain: `startswith`, `re.match`.
        let anchor = format!("{s}://{h}");
        out.push(
            Probe::new(format!("{s}://{h}.{ATTACKER}{ps}"), Class::PrefixMatch)
                .anchored(anchor.clone()),
        );
        if !ps.is_empty() {
            out.push(
                Probe::new(format!("{s}://{h}.{ATTACKER}"), Class::PrefixMatch).anchored(anchor),
            );
        }
        for c in SPECIAL_CHARS {
            out.push(Probe::new(
                format!("{s}://{h}{c}.{ATTACKER}{ps}"),
                Class::SpecialCharBypass,
            ));
        }
        if t.scheme == "https" {
            out.push(Probe::new(format!("http://{h}{ps}"), Class::HttpOriginTrusted).foothold());
        }
        if t.is_loopback_or_ip() {
            continue;
        }
        // A subdomain pattern whose end is not anchored: another name under the trusted domain,
        // then the attacker's domain. `startswith(trusted)` does not match it; `re.match(r"https://
        // .*\.example\.com")` and `"example.com" in origin` do.
        out.push(Probe::new(
            format!("{s}://{LABEL}.{domain}.{ATTACKER}{ps}"),
            Class::UnanchoredRegex,
        ));
        // The attacker registers a name ending in the trusted domain: `endswith("example.com")`.
        out.push(
            Probe::new(
                format!("{s}://{}{domain}{ps}", ATTACKER.replace(".com", "")),
                Class::SuffixMatch,
            )
            .anchored(domain.clone()),
        );
        // A prefix of the trusted origin: `origin in "https://app.example.com,..."`.
        let mut shorter = h.clone();
        shorter.pop();
        if shorter.contains('.') && !shorter.ends_with('.') {
            out.push(Probe::new(
                format!("{s}://{shorter}{ps}"),
                Class::SubstringMatch,
            ));
        }
        if let Some(p) = t.port.filter(|p| *p >= 10) {
            out.push(Probe::new(format!("{s}://{h}:{}", p / 10), Class::SubstringMatch).foothold());
        }
        // Each dot in turn read as "any character": `app.example\.com` lets `appxexample.com` in.
        let last_dot = h.rfind('.');
        for (i, _) in h.match_indices('.') {
            let mut dotless = h.clone();
            dotless.replace_range(i..i + 1, "x");
            let mut probe = Probe::new(format!("{s}://{dotless}{ps}"), Class::UnescapedDot);
            if Some(i) == last_dot {
                probe.cap = Some(Severity::Low);
            }
            out.push(probe);
        }
        out.push(Probe::new(format!("{s}://{LABEL}.{h}{ps}"), Class::AnySubdomain).foothold());
        if *h != domain {
            out.push(
                Probe::new(format!("{s}://{LABEL}.{domain}{ps}"), Class::AnySubdomain).foothold(),
            );
        }
    }
    for o in THIRD_PARTY {
        out.push(Probe::new(o.to_string(), Class::ThirdPartyOrigin));
    }
    for o in LOCALHOST {
        out.push(Probe::new(o.to_string(), Class::LocalhostOrigin).foothold());
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.origin.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(trusted: &str) -> Vec<(String, Class)> {
        probes(&[Trusted::parse(trusted).unwrap()])
            .into_iter()
            .map(|p| (p.origin, p.class))
            .collect()
    }

    fn has(list: &[(String, Class)], origin: &str, class: Class) -> bool {
        list.iter().any(|(o, c)| o == origin && *c == class)
    }

    #[test]
    fn splits_origins() {
        let t = Trusted::parse("https://app.example.com").unwrap();
        assert_eq!(
            (t.scheme.as_str(), t.host.as_str(), t.port),
            ("https", "app.example.com", None)
        );
        let t = Trusted::parse("http://[::1]:3000").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("[::1]", Some(3000)));
        assert_eq!(t.origin(), "http://[::1]:3000");
        assert!(Trusted::parse("null").is_none());
        assert!(Trusted::parse("https://a.com/path").is_none());
        assert!(Trusted::parse("https://a.com:x").is_none());
        assert_eq!(
            Trusted::from_pattern("https://*.example.com")
                .unwrap()
                .origin(),
            "https://www.example.com"
        );
        assert_eq!(
            Trusted::from_pattern("http://localhost:*")
                .unwrap()
                .origin(),
            "http://localhost"
        );
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable("app.example.com"), "example.com");
        assert_eq!(registrable("example.com"), "example.com");
        assert_eq!(registrable("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(registrable("me.github.io"), "me.github.io");
    }

    #[test]
    fn one_probe_per_class_from_a_domain() {
        let p = origins("https://app.example.com");
        assert!(has(
            &p,
            "https://corsgate-attacker.com",
            Class::OriginReflection
        ));
        assert!(has(&p, "null", Class::NullOrigin));
        assert!(has(
            &p,
            "https://app.example.com.corsgate-attacker.com",
            Class::PrefixMatch
        ));
        assert!(has(
            &p,
            "https://corsgate-attackerexample.com",
            Class::SuffixMatch
        ));
        assert!(has(&p, "https://app.example.co", Class::SubstringMatch));
        assert!(has(&p, "https://appxexample.com", Class::UnescapedDot));
        assert!(has(&p, "https://app.examplexcom", Class::UnescapedDot));
        assert!(has(
            &p,
            "https://corsgate-probe.example.com.corsgate-attacker.com",
            Class::UnanchoredRegex
        ));
        assert!(has(
            &p,
            "https://corsgate-probe.app.example.com",
            Class::AnySubdomain
        ));
        assert!(has(
            &p,
            "https://corsgate-probe.example.com",
            Class::AnySubdomain
        ));
        assert!(has(&p, "http://app.example.com", Class::HttpOriginTrusted));
        assert!(has(
            &p,
            "https://app.example.com_.corsgate-attacker.com",
            Class::SpecialCharBypass
        ));
        assert!(has(
            &p,
            "https://app.example.com%60.corsgate-attacker.com",
            Class::SpecialCharBypass
        ));
        assert!(has(
            &p,
            "https://corsgate-probe.github.io",
            Class::ThirdPartyOrigin
        ));
        assert!(has(&p, "http://localhost:3000", Class::LocalhostOrigin));
        // No probe is the trusted origin itself, and none repeats.
        assert!(!p.iter().any(|(o, _)| o == "https://app.example.com"));
        let mut seen = std::collections::HashSet::new();
        assert!(p.iter().all(|(o, _)| seen.insert(o.clone())));
    }

    #[test]
    fn loopback_and_ports() {
        let p = origins("http://127.0.0.1:8000");
        assert!(has(
            &p,
            "http://127.0.0.1.corsgate-attacker.com:8000",
            Class::PrefixMatch
        ));
        assert!(has(
            &p,
            "http://127.0.0.1.corsgate-attacker.com",
            Class::PrefixMatch
        ));
        assert!(has(
            &p,
            "http://corsgate-attacker.com",
            Class::OriginReflection
        ));
        // No look-alike domains of an IP address, and no http downgrade of an http origin.
        assert!(!p.iter().any(|(_, c)| matches!(
            c,
            Class::SuffixMatch
                | Class::UnescapedDot
                | Class::AnySubdomain
                | Class::HttpOriginTrusted
        )));
        let p = origins("https://api.example.com:8443");
        assert!(has(
            &p,
            "https://api.example.com:844",
            Class::SubstringMatch
        ));
        assert!(has(
            &p,
            "http://api.example.com:8443",
            Class::HttpOriginTrusted
        ));
    }

    #[test]
    fn every_probe_is_a_valid_header_value() {
        for (o, _) in origins("https://app.example.com") {
            assert!(http::HeaderValue::from_str(&o).is_ok(), "{o}");
        }
    }
}
