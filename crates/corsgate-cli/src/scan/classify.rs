//! Turns what the server answered to each probe into findings. Pure: no I/O.
//!
//! A probe "hits" when the server reflects its origin in `Access-Control-Allow-Origin`, byte for
//! byte (what a browser compares). Hits that a broader mistake already explains are folded into
//! it: a server that reflects every origin gets one `origin-reflection`, not fifteen findings.

use super::probes::Probe;
use super::{Class, Severity};
use serde_json::{json, Value};

/// The CORS-relevant part of one response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    pub status: u16,
    /// Every `Access-Control-Allow-Origin` line (more than one is itself invalid).
    pub acao: Vec<String>,
    pub acac: Option<String>,
    /// Every `Vary` line, joined with ", ".
    pub vary: Option<String>,
    pub acam: Option<String>,
    pub acah: Option<String>,
}

impl Observed {
    fn acao_is(&self, origin: &str) -> bool {
        self.acao.len() == 1 && self.acao[0] == origin
    }

    fn wildcard(&self) -> bool {
        self.acao.len() == 1 && self.acao[0] == "*"
    }

    /// `Access-Control-Allow-Credentials: true`, exactly (browsers ignore anything else).
    fn credentialed(&self) -> bool {
        self.acac.as_deref() == Some("true")
    }

    fn varies_by_origin(&self) -> bool {
        self.vary.as_deref().is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.eq_ignore_ascii_case("origin"))
        })
    }

    fn evidence(&self, request: &str) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert("request".into(), json!(request));
        m.insert("status".into(), json!(self.status));
        m.insert(
            "acao".into(),
            match self.acao.len() {
                0 => Value::Null,
                1 => json!(self.acao[0]),
                _ => json!(self.acao),
            },
        );
        m.insert("acac".into(), json!(self.acac));
        m.insert("vary".into(), json!(self.vary));
        if self.acam.is_some() || self.acah.is_some() {
            m.insert("acam".into(), json!(self.acam));
            m.insert("acah".into(), json!(self.acah));
        }
        m
    }
}

/// The method and headers every probe preflight asks for.
pub const PREFLIGHT_METHOD: &str = "PUT";
pub const PREFLIGHT_HEADERS: &str = "authorization,x-corsgate-probe";
/// Methods asked for in follow-up preflights from an origin whose preflight was allowed.
pub const FOLLOW_UP_METHODS: &[&str] = &["DELETE", "PATCH"];

/// Everything sent for one probe origin (`None`: the request failed).
#[derive(Clone, Debug)]
pub struct ProbeResult {
    pub probe: Probe,
    pub actual: Option<Observed>,
    pub with_cookie: Option<Observed>,
    pub preflight: Option<Observed>,
    /// Follow-up preflights: (method, answer).
    pub follow_ups: Vec<(String, Observed)>,
}

/// Requests for the trusted origins themselves (for `Vary`), and one without `Origin`.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    pub no_origin: Option<Observed>,
    /// (trusted origin, answer without cookie, answer with cookie).
    pub trusted: Vec<(String, Option<Observed>, Option<Observed>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub class: Class,
    pub severity: Severity,
    pub origin_sent: String,
    pub evidence: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Actual,
    Preflight,
}

#[derive(Clone, Debug)]
struct Hit<'a> {
    probe: &'a Probe,
    mode: Mode,
    credentialed: bool,
    cookie_only: bool,
    observed: &'a Observed,
    request: String,
}

/// The host of a serialised origin (`scheme://host[:port]`), or "".
fn host_of(origin: &str) -> &str {
    let rest = origin.split_once("://").map_or("", |(_, r)| r);
    match rest.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => rest,
    }
}

/// Whether the broader hit `by` already accounts for `h` (same mode).
fn explains(by: &Hit<'_>, h: &Hit<'_>) -> bool {
    if by.mode != h.mode || std::ptr::eq(by.probe, h.probe) {
        return false;
    }
    match by.probe.class {
        Class::OriginReflection => h.probe.class != Class::OriginReflection,
        // Anything after a trusted name passes: the prefix probe and the special characters
        // (`app.example.com_.attacker.com`) are the same hole.
        Class::UnanchoredRegex => {
            matches!(h.probe.class, Class::PrefixMatch | Class::SpecialCharBypass)
        }
        Class::PrefixMatch => {
            h.probe.class == Class::SpecialCharBypass
                && h.probe.origin.starts_with(&by.probe.anchor)
        }
        // Anything ending in the trusted domain passes: subdomains, and dots read as any
        // character when the result still ends in the domain.
        Class::SuffixMatch => {
            matches!(h.probe.class, Class::AnySubdomain | Class::UnescapedDot)
                && host_of(&h.probe.origin).ends_with(&by.probe.anchor)
        }
        _ => false,
    }
}

/// The severity of a mistake, by who can exploit it and whether cookies go along.
pub fn severity(class: Class, credentialed: bool, needs_foothold: bool) -> Severity {
    match class {
        Class::WildcardPublic => Severity::Info,
        Class::WildcardWithCredentials | Class::MissingVary => Severity::Low,
        Class::LocalhostOrigin if credentialed => Severity::Low,
        Class::LocalhostOrigin => Severity::Info,
        Class::AnySubdomain | Class::HttpOriginTrusted if credentialed => Severity::Medium,
        Class::AnySubdomain | Class::HttpOriginTrusted => Severity::Low,
        _ if needs_foothold && credentialed => Severity::Medium,
        _ if needs_foothold => Severity::Low,
        _ if credentialed => Severity::High,
        _ => Severity::Medium,
    }
}

/// Every finding, most severe first.
pub fn classify(baseline: &Baseline, results: &[ProbeResult]) -> Vec<Finding> {
    let mut hits: Vec<Hit<'_>> = Vec::new();
    for r in results {
        let origin = r.probe.origin.as_str();
        let plain = r.actual.as_ref().filter(|o| o.acao_is(origin));
        let cookie = r.with_cookie.as_ref().filter(|o| o.acao_is(origin));
        let credentialed_answer = [(plain, "GET"), (cookie, "GET with Cookie")]
            .into_iter()
            .find(|(o, _)| o.is_some_and(Observed::credentialed));
        let chosen = credentialed_answer.or_else(|| {
            [(plain, "GET"), (cookie, "GET with Cookie")]
                .into_iter()
                .find(|(o, _)| o.is_some())
        });
        if let Some((Some(observed), request)) = chosen {
            hits.push(Hit {
                probe: &r.probe,
                mode: Mode::Actual,
                credentialed: credentialed_answer.is_some(),
                cookie_only: plain.is_none(),
                observed,
                request: request.to_string(),
            });
        }
        if let Some(observed) = r.preflight.as_ref().filter(|o| o.acao_is(origin)) {
            hits.push(Hit {
                probe: &r.probe,
                mode: Mode::Preflight,
                credentialed: observed.credentialed(),
                cookie_only: false,
                observed,
                request: format!(
                    "OPTIONS preflight for {PREFLIGHT_METHOD} with {PREFLIGHT_HEADERS}"
                ),
            });
        }
    }
    let kept: Vec<&Hit<'_>> = hits
        .iter()
        .filter(|h| !hits.iter().any(|by| explains(by, h)))
        .collect();

    let mut findings = Vec::new();
    let mut classes: Vec<Class> = Vec::new();
    for h in &kept {
        if !classes.contains(&h.probe.class) {
            classes.push(h.probe.class);
        }
    }
    for class in classes {
        let actual: Vec<&&Hit<'_>> = kept
            .iter()
            .filter(|h| h.probe.class == class && h.mode == Mode::Actual)
            .collect();
        let preflight: Vec<&&Hit<'_>> = kept
            .iter()
            .filter(|h| h.probe.class == class && h.mode == Mode::Preflight)
            .collect();
        let (group, reported) = if !actual.is_empty() {
            (&actual, class)
        } else if class == Class::OriginReflection {
            (&preflight, Class::PreflightReflection)
        } else {
            (&preflight, class)
        };
        // The worst hit of the group speaks for it (the first of the worst, in probe order).
        let sev = |h: &Hit<'_>| {
            let s = severity(class, h.credentialed, h.probe.needs_foothold);
            h.probe.cap.map_or(s, |cap| s.min(cap))
        };
        let mut worst: Option<&&Hit<'_>> = None;
        for h in group.iter() {
            if worst.is_none_or(|w| sev(h) > sev(w)) {
                worst = Some(h);
            }
        }
        let Some(worst) = worst else {
            continue;
        };
        let sev = sev(worst);
        let mut ev = worst.observed.evidence(&worst.request);
        if worst.probe.cap.is_some() {
            ev.insert(
                "note".into(),
                json!("the look-alike ends in a top-level domain that does not exist, so no one can register it today; the check is still wrong"),
            );
        }
        if worst.cookie_only {
            ev.insert(
                "note".into(),
                json!("reflected only when the request carries a Cookie, as Starlette did for allow_origins=[\"*\"] with allow_credentials=True; scanners that send no cookie miss it"),
            );
        }
        let also: Vec<&str> = group
            .iter()
            .map(|h| h.probe.origin.as_str())
            .filter(|o| *o != worst.probe.origin)
            .collect();
        if !also.is_empty() {
            ev.insert("also_allowed".into(), json!(also));
        }
        // What the reported origin may do in preflighted requests (the scan sends follow-up
        // preflights for DELETE and PATCH to reported origins), else another of the group.
        let allowed = |r: &&ProbeResult| {
            r.preflight
                .as_ref()
                .is_some_and(|o| o.acao_is(&r.probe.origin))
        };
        let pf = results
            .iter()
            .filter(allowed)
            .find(|r| std::ptr::eq(&r.probe, worst.probe))
            .or_else(|| {
                results
                    .iter()
                    .filter(allowed)
                    .find(|r| group.iter().any(|h| std::ptr::eq(&r.probe, h.probe)))
            });
        if let Some(r) = pf {
            ev.insert("preflight_allows".into(), preflight_allows(r));
        }
        if reported == Class::PreflightReflection {
            ev.insert(
                "note".into(),
                json!("the preflight lets this origin through, the actual response does not: the browser still sends the request (with cookies when ACAC is true), so state-changing requests run even though the page cannot read the answer"),
            );
        }
        findings.push(Finding {
            class: reported,
            severity: sev,
            origin_sent: worst.probe.origin.clone(),
            evidence: Value::Object(ev),
        });
    }

    // `*`, with and without credentials: not about any one origin.
    let all_actual = baseline
        .no_origin
        .iter()
        .map(|o| (None, o))
        .chain(baseline.trusted.iter().flat_map(|(t, a, c)| {
            [a, c]
                .into_iter()
                .flatten()
                .map(move |o| (Some(t.as_str()), o))
        }))
        .chain(results.iter().flat_map(|r| {
            [&r.actual, &r.with_cookie]
                .into_iter()
                .flatten()
                .map(move |o| (Some(r.probe.origin.as_str()), o))
        }));
    let mut star_credentials = None;
    let mut star_public = None;
    for (origin, o) in all_actual {
        if o.wildcard() {
            let slot = if o.credentialed() {
                &mut star_credentials
            } else {
                &mut star_public
            };
            if slot.is_none() {
                *slot = Some((origin, o));
            }
        }
    }
    let star_preflight = results.iter().find_map(|r| {
        r.preflight
            .as_ref()
            .filter(|o| o.wildcard() && !o.credentialed())
            .map(|_| r)
    });
    for (class, slot) in [
        (Class::WildcardWithCredentials, star_credentials),
        (Class::WildcardPublic, star_public),
    ] {
        if let Some((origin, o)) = slot {
            let mut ev = o.evidence(if origin.is_some() {
                "GET"
            } else {
                "GET without Origin"
            });
            if class == Class::WildcardPublic {
                if let Some(r) = star_preflight {
                    ev.insert("preflight_allows".into(), preflight_allows(r));
                }
            }
            findings.push(Finding {
                class,
                severity: severity(class, o.credentialed(), false),
                origin_sent: origin.unwrap_or("").to_string(),
                evidence: Value::Object(ev),
            });
        }
    }

    // A reflected origin without `Vary: Origin`: a shared cache can serve one origin's answer
    // to another. Only when the answer really depends on the origin.
    let reflected = baseline
        .trusted
        .iter()
        .flat_map(|(t, a, c)| [a, c].into_iter().flatten().map(move |o| (t.as_str(), o)))
        .chain(results.iter().flat_map(|r| {
            [&r.actual, &r.with_cookie]
                .into_iter()
                .flatten()
                .map(move |o| (r.probe.origin.as_str(), o))
        }))
        .find(|(origin, o)| {
            o.acao_is(origin)
                && !o.varies_by_origin()
                && !baseline
                    .no_origin
                    .as_ref()
                    .is_some_and(|b| b.acao_is(origin))
        });
    if let Some((origin, o)) = reflected {
        let mut ev = o.evidence("GET");
        ev.insert(
            "no_origin_acao".into(),
            json!(baseline
                .no_origin
                .as_ref()
                .and_then(|b| b.acao.first().cloned())),
        );
        findings.push(Finding {
            class: Class::MissingVary,
            severity: Severity::Low,
            origin_sent: origin.to_string(),
            evidence: Value::Object(ev),
        });
    }

    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then((a.class as u8).cmp(&(b.class as u8)))
    });
    findings
}

/// Methods and headers the preflights from this origin were granted.
fn preflight_allows(r: &ProbeResult) -> Value {
    let origin = r.probe.origin.as_str();
    let mut methods = Vec::new();
    let mut headers = Vec::new();
    if let Some(p) = r.preflight.as_ref() {
        if grants_method(p, origin, PREFLIGHT_METHOD) {
            methods.push(PREFLIGHT_METHOD.to_string());
        }
        for h in PREFLIGHT_HEADERS.split(',') {
            if grants_header(p, h) {
                headers.push(h.to_string());
            }
        }
    }
    for (m, o) in &r.follow_ups {
        if grants_method(o, origin, m) {
            methods.push(m.clone());
        }
    }
    json!({"methods": methods, "headers": headers})
}

fn list_has(list: Option<&str>, item: &str, case_sensitive: bool) -> bool {
    list.is_some_and(|l| {
        l.split(',').map(str::trim).any(|x| {
            if case_sensitive {
                x == item
            } else {
                x.eq_ignore_ascii_case(item)
            }
        })
    })
}

fn grants_method(o: &Observed, origin: &str, method: &str) -> bool {
    (o.acao_is(origin) || o.wildcard())
        && (list_has(o.acam.as_deref(), method, true)
            || (!o.credentialed() && list_has(o.acam.as_deref(), "*", true)))
}

fn grants_header(o: &Observed, header: &str) -> bool {
    list_has(o.acah.as_deref(), header, false)
        || (!o.credentialed() && list_has(o.acah.as_deref(), "*", true))
}

#[cfg(test)]
mod tests {
    use super::super::probes::{probes, Trusted};
    use super::*;

    fn answer(acao: &str, acac: bool, vary: bool) -> Observed {
        Observed {
            status: 200,
            acao: vec![acao.to_string()],
            acac: acac.then(|| "true".to_string()),
            vary: vary.then(|| "Origin".to_string()),
            acam: None,
            acah: None,
        }
    }

    /// Runs every probe for https://app.example.com against a pretend server.
    fn scan(server: impl Fn(&str, bool, bool) -> Observed) -> Vec<(Class, Severity)> {
        let trusted = Trusted::parse("https://app.example.com").unwrap();
        let results: Vec<ProbeResult> = probes(&[trusted])
            .into_iter()
            .map(|p| ProbeResult {
                actual: Some(server(&p.origin, false, false)),
                with_cookie: Some(server(&p.origin, true, false)),
                preflight: Some(server(&p.origin, false, true)),
                follow_ups: Vec::new(),
                probe: p,
            })
            .collect();
        let baseline = Baseline {
            no_origin: Some(Observed::default()),
            trusted: vec![(
                "https://app.example.com".into(),
                Some(server("https://app.example.com", false, false)),
                Some(server("https://app.example.com", true, false)),
            )],
        };
        classify(&baseline, &results)
            .into_iter()
            .map(|f| (f.class, f.severity))
            .collect()
    }

    fn allow_if(ok: impl Fn(&str) -> bool) -> impl Fn(&str, bool, bool) -> Observed {
        move |o, _, _| {
            if ok(o) {
                answer(o, true, true)
            } else {
                Observed::default()
            }
        }
    }

    #[test]
    fn reflection_is_one_finding() {
        assert_eq!(
            scan(allow_if(|_| true)),
            [(Class::OriginReflection, Severity::High)]
        );
    }

    #[test]
    fn each_flawed_check_gets_its_class() {
        let t = "https://app.example.com";
        assert_eq!(
            scan(allow_if(|o| o.starts_with(t))),
            [(Class::PrefixMatch, Severity::High)]
        );
        assert_eq!(
            scan(allow_if(|o| o == t || o == "null")),
            [(Class::NullOrigin, Severity::High)]
        );
        assert_eq!(
            scan(allow_if(
                |o| o.starts_with("https://") && o.ends_with("example.com")
            )),
            [(Class::SuffixMatch, Severity::High)]
        );
        assert_eq!(
            scan(allow_if(|o| {
                "https://app.example.com https://www.example.com".contains(o)
            })),
            [(Class::SubstringMatch, Severity::High)]
        );
        // ^https://app.example\.com$: the first dot matches any character.
        let dot = |o: &str| {
            o.len() == t.len() && o.starts_with("https://app") && o.ends_with("example.com")
        };
        assert_eq!(scan(allow_if(dot)), [(Class::UnescapedDot, Severity::High)]);
        // ^https://app\.example.com$: only the dot before the top-level domain is loose.
        let last_dot = |o: &str| {
            o.len() == t.len() && o.starts_with("https://app.example") && o.ends_with("com")
        };
        assert_eq!(
            scan(allow_if(last_dot)),
            [(Class::UnescapedDot, Severity::Low)]
        );
        assert_eq!(
            scan(allow_if(|o| o == t || o == "http://app.example.com")),
            [(Class::HttpOriginTrusted, Severity::Medium)]
        );
        assert_eq!(
            scan(allow_if(
                |o| o.starts_with("https://") && o.ends_with(".example.com")
            )),
            [(Class::AnySubdomain, Severity::Medium)]
        );
        assert_eq!(
            scan(allow_if(|o| o == t || o.ends_with(".github.io"))),
            [(Class::ThirdPartyOrigin, Severity::High)]
        );
        assert_eq!(
            scan(allow_if(|o| o == t || o == "http://localhost:3000")),
            [(Class::LocalhostOrigin, Severity::Low)]
        );
    }

    #[test]
    fn credentials_and_cookies_change_the_severity() {
        let no_creds = |o: &str, _: bool, _: bool| answer(o, false, true);
        assert_eq!(
            scan(no_creds),
            [(Class::OriginReflection, Severity::Medium)]
        );
        // Older Starlette with allow_origins=["*"], allow_credentials=True.
        let starlette = |o: &str, cookie: bool, _: bool| {
            if cookie {
                answer(o, true, true)
            } else {
                answer("*", true, false)
            }
        };
        assert_eq!(
            scan(starlette),
            [
                (Class::OriginReflection, Severity::High),
                (Class::WildcardWithCredentials, Severity::Low)
            ]
        );
    }

    #[test]
    fn preflight_only_and_vary() {
        let t = "https://app.example.com";
        let preflight_only = |o: &str, _: bool, preflight: bool| {
            if preflight || o == t {
                answer(o, true, true)
            } else {
                Observed::default()
            }
        };
        assert_eq!(
            scan(preflight_only),
            [(Class::PreflightReflection, Severity::High)]
        );
        let no_vary = |o: &str, _: bool, _: bool| {
            if o == t {
                answer(o, true, false)
            } else {
                Observed::default()
            }
        };
        assert_eq!(scan(no_vary), [(Class::MissingVary, Severity::Low)]);
        let public = |_: &str, _: bool, _: bool| answer("*", false, false);
        assert_eq!(scan(public), [(Class::WildcardPublic, Severity::Info)]);
    }

    #[test]
    fn correct_servers_have_no_findings() {
        let t = "https://app.example.com";
        assert!(scan(allow_if(|o| o == t)).is_empty());
        assert!(scan(|_: &str, _: bool, _: bool| Observed::default()).is_empty());
        // One fixed origin for everyone needs no Vary.
        let fixed = |_: &str, _: bool, _: bool| answer(t, true, false);
        let trusted = Trusted::parse(t).unwrap();
        let results: Vec<ProbeResult> = probes(&[trusted])
            .into_iter()
            .map(|p| ProbeResult {
                actual: Some(fixed(&p.origin, false, false)),
                with_cookie: None,
                preflight: None,
                follow_ups: Vec::new(),
                probe: p,
            })
            .collect();
        let baseline = Baseline {
            no_origin: Some(fixed("", false, false)),
            trusted: vec![(t.into(), Some(fixed(t, false, false)), None)],
        };
        assert!(classify(&baseline, &results).is_empty());
    }

    #[test]
    fn methods_granted_to_an_untrusted_preflight() {
        let o = "https://corsgate-attacker.com";
        let mut put = answer(o, true, true);
        put.acam = Some("GET, PUT, DELETE".into());
        put.acah = Some("authorization".into());
        let mut delete = put.clone();
        delete.acam = Some("DELETE".into());
        let r = ProbeResult {
            probe: probes(&[]).remove(0),
            actual: None,
            with_cookie: None,
            preflight: Some(put),
            follow_ups: vec![
                ("DELETE".into(), delete),
                ("PATCH".into(), Observed::default()),
            ],
        };
        assert_eq!(
            preflight_allows(&r),
            json!({"methods": ["PUT", "DELETE"], "headers": ["authorization"]})
        );
    }
}
