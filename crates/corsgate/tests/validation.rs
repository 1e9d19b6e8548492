//! Configuration validation through the public API: every error and warning that
//! `CorsOptions::build()` / `build_for(Profile::Production)` can produce (SPEC.md, "Policy
//! options", the list after "Configuration is validated once"), the normalised origins matching
//! real requests, and the matching semantics the SPEC states for patterns, `null` and methods.

use corsgate::{
    ConfigError, ConfigErrors, ConfigWarning, CorsOptions, MatchedBy, Policy, Profile, Reason,
};
use http::{HeaderMap, HeaderValue, Method};

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn with_origins(list: &[&str]) -> CorsOptions {
    CorsOptions {
        allow_origins: strings(list),
        ..CorsOptions::default()
    }
}

fn with_regex(re: &str) -> CorsOptions {
    CorsOptions {
        allow_origin_regex: Some(re.to_string()),
        ..CorsOptions::default()
    }
}

fn build_ok(options: &CorsOptions) -> Policy {
    build_ok_for(options, Profile::Development)
}

fn build_ok_for(options: &CorsOptions, profile: Profile) -> Policy {
    options
        .build_for(profile)
        .unwrap_or_else(|e| panic!("expected {options:?} to build, got:\n{e}"))
}

fn build_err(options: &CorsOptions) -> Vec<ConfigError> {
    match options.build() {
        Ok(p) => panic!(
            "expected {options:?} to be rejected, but it built into {:?} with warnings {:?}",
            p.options(),
            p.warnings()
        ),
        Err(ConfigErrors(errors)) => {
            assert!(!errors.is_empty(), "Err with an empty error list");
            errors
        }
    }
}

/// The single error a configuration produces; also checks its Display contract.
fn only_error(options: &CorsOptions) -> ConfigError {
    let errors = build_err(options);
    assert_eq!(
        errors.len(),
        1,
        "expected exactly one error, got {errors:#?}"
    );
    let e = errors.into_iter().next().unwrap();
    assert_display_contract(&e);
    e
}

/// The one error for a single bad `allow_origins` entry.
fn origin_error(entry: &str) -> ConfigError {
    let e = only_error(&with_origins(&[entry]));
    assert_eq!(e.option, "allow_origins", "{e:?}");
    assert_eq!(e.value, entry, "{e:?}");
    assert!(
        e.problem.contains("not a valid origin"),
        "problem should say it is not a valid origin: {e:?}"
    );
    assert!(!e.fix.trim().is_empty(), "empty fix: {e:?}");
    e
}

/// Every error's Display names the option and the bad value, and contains "fix:".
fn assert_display_contract(e: &ConfigError) {
    let shown = e.to_string();
    assert!(shown.contains(&e.option), "option missing in {shown:?}");
    assert!(
        shown.contains(&e.value),
        "value {:?} missing in {shown:?}",
        e.value
    );
    assert!(shown.contains(&e.problem), "problem missing in {shown:?}");
    assert!(shown.contains("fix:"), "no \"fix:\" in {shown:?}");
    assert!(shown.contains(&e.fix), "fix text missing in {shown:?}");
}

fn warnings_for<'p>(policy: &'p Policy, option: &str) -> Vec<&'p ConfigWarning> {
    policy
        .warnings()
        .iter()
        .filter(|w| w.option == option)
        .collect()
}

/// Asserts exactly one warning for `option` whose message contains `needle`, and returns it.
fn one_warning<'p>(policy: &'p Policy, option: &str, needle: &str) -> &'p ConfigWarning {
    let hits: Vec<_> = warnings_for(policy, option)
        .into_iter()
        .filter(|w| w.message.contains(needle))
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "expected one {option} warning containing {needle:?}; all warnings: {:#?}",
        policy.warnings()
    );
    let w = hits[0];
    let shown = w.to_string();
    assert!(
        shown.contains(option) && shown.contains(&w.message),
        "{shown:?}"
    );
    w
}

fn origin_request(origin: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("origin", HeaderValue::from_str(origin).unwrap());
    h
}

fn preflight_request(origin: &str, method: &str) -> HeaderMap {
    let mut h = origin_request(origin);
    h.insert(
        "access-control-request-method",
        HeaderValue::from_str(method).unwrap(),
    );
    h
}

/// Whether an actual GET from `origin` is allowed.
fn allows(policy: &Policy, origin: &str) -> bool {
    policy
        .decide(&Method::GET, &origin_request(origin))
        .is_allowed()
}

/// Whether a preflight from `origin` asking for `method` is allowed.
fn preflight_allows(policy: &Policy, origin: &str, method: &str) -> bool {
    let h = preflight_request(origin, method);
    let d = policy.decide(&Method::OPTIONS, &h);
    assert_eq!(d.kind, corsgate::RequestKind::Preflight);
    d.is_allowed()
}

// ---------------------------------------------------------------------------------------------
// errors: `*` with credentials
// ---------------------------------------------------------------------------------------------

#[test]
fn star_with_credentials_is_an_error_naming_three_ways_out() {
    let e = only_error(&CorsOptions {
        allow_origins: strings(&["*"]),
        allow_credentials: true,
        ..CorsOptions::default()
    });
    assert_eq!(e.option, "allow_origins");
    assert_eq!(e.value, "*");
    // The problem: `*` and credentials together.
    assert!(e.problem.contains('*'), "{e:?}");
    assert!(e.problem.contains("allow_credentials"), "{e:?}");
    // The three ways out.
    let fix = e.fix.to_ascii_lowercase();
    assert!(
        fix.contains("list the origins") || fix.contains("allow_origins = ["),
        "way out 1 (list origins) missing: {fix}"
    );
    assert!(
        fix.contains("pattern") && fix.contains("regex"),
        "way out 2 (pattern / regex) missing: {fix}"
    );
    assert!(
        fix.contains("allow_credentials = false"),
        "way out 3 (credentials off) missing: {fix}"
    );
    assert!(e.fix.contains("(1)") && e.fix.contains("(2)") && e.fix.contains("(3)"));
}

#[test]
fn star_with_credentials_is_an_error_however_it_is_written() {
    // Surrounded by whitespace, or next to other entries: still `*`.
    for list in [&[" * "][..], &["https://app.example.com", "*"][..]] {
        let errors = build_err(&CorsOptions {
            allow_origins: strings(list),
            allow_credentials: true,
            ..CorsOptions::default()
        });
        assert!(
            errors
                .iter()
                .any(|e| e.option == "allow_origins" && e.problem.contains("allow_credentials")),
            "{list:?}: {errors:#?}"
        );
    }
    // Without credentials it is fine, and with credentials a list is fine.
    build_ok(&with_origins(&["*"]));
    build_ok(&CorsOptions {
        allow_origins: strings(&["https://app.example.com", "https://*.example.com"]),
        allow_credentials: true,
        ..CorsOptions::default()
    });
}

// ---------------------------------------------------------------------------------------------
// errors: origins that are not origins
// ---------------------------------------------------------------------------------------------

#[test]
fn origin_with_a_path_is_an_error() {
    for entry in [
        "https://app.example.com/path",
        "https://app.example.com/api/",
        "http://localhost:3000//",
    ] {
        let e = origin_error(entry);
        assert!(e.problem.contains("path"), "{e:?}");
    }
    // The fix is the bare origin.
    let e = origin_error("https://App.Example.com/path");
    assert!(e.fix.contains("\"https://app.example.com\""), "{e:?}");
}

#[test]
fn origin_with_a_query_is_an_error() {
    let e = origin_error("https://app.example.com?x=1");
    assert!(e.problem.contains("query"), "{e:?}");
    assert!(e.fix.contains("\"https://app.example.com\""), "{e:?}");
}

#[test]
fn origin_with_a_fragment_is_an_error() {
    let e = origin_error("https://app.example.com#top");
    assert!(e.problem.contains("fragment"), "{e:?}");
    assert!(e.fix.contains("\"https://app.example.com\""), "{e:?}");
}

#[test]
fn origin_with_userinfo_is_an_error() {
    for entry in [
        "https://user:pw@app.example.com",
        "https://user@app.example.com",
    ] {
        let e = origin_error(entry);
        assert!(
            e.problem.contains("user name or password") || e.problem.contains("userinfo"),
            "{e:?}"
        );
        assert!(e.fix.contains("\"https://app.example.com\""), "{e:?}");
    }
}

#[test]
fn origin_without_a_scheme_is_an_error() {
    let e = origin_error("localhost:3000");
    assert!(e.problem.contains("scheme"), "{e:?}");
    assert!(e.fix.contains("http://localhost:3000"), "{e:?}");
    for entry in ["app.example.com", "//app.example.com", "://app.example.com"] {
        origin_error(entry);
    }
}

#[test]
fn origin_with_a_bad_port_is_an_error() {
    for entry in [
        "https://app.example.com:99999",
        "https://app.example.com:0",
        "https://app.example.com:abc",
        "https://app.example.com:-1",
        "https://app.example.com:+80",
        "https://app.example.com:",
    ] {
        let e = origin_error(entry);
        assert!(e.problem.contains("port"), "{e:?}");
    }
}

#[test]
fn empty_origin_is_an_error() {
    for entry in ["", "   "] {
        let e = origin_error(entry);
        assert!(e.problem.contains("empty"), "{e:?}");
    }
}

#[test]
fn origin_with_a_bad_host_is_an_error() {
    for entry in [
        "https://",
        "https://exa mple.com",
        "https://a..example.com",
        "https://example.com.",
        "https://exa%41mple.com",
        "https://[::1",
        "https://[not-ipv6]",
        "https://[::1]x",
    ] {
        let e = origin_error(entry);
        assert!(
            e.problem.contains("host") || e.problem.contains("IPv6"),
            "{e:?}"
        );
    }
    // Valid IP hosts stay valid.
    build_ok(&with_origins(&[
        "http://[::1]:8000",
        "http://127.0.0.1:3000",
    ]));
}

#[test]
fn origin_with_a_non_ascii_host_is_an_error() {
    let e = origin_error("https://bücher.example");
    assert!(e.problem.contains("ASCII"), "{e:?}");
    assert!(
        e.fix.contains("xn--"),
        "fix should point at punycode: {e:?}"
    );
    build_ok(&with_origins(&["https://xn--bcher-kva.example"]));
}

#[test]
fn literal_null_origin_is_an_error() {
    for entry in ["null", "NULL", " null "] {
        let e = origin_error(entry);
        assert!(e.problem.contains("null"), "{e:?}");
        assert!(e.fix.contains("allow_null_origin"), "{e:?}");
    }
}

#[test]
fn wildcard_over_a_top_level_domain_is_an_error() {
    for entry in ["https://*.com", "http://*.dev"] {
        let e = origin_error(entry);
        assert!(e.problem.contains("top-level domain"), "{e:?}");
    }
    build_ok(&with_origins(&[
        "https://*.example.com",
        "http://*.localhost",
    ]));
}

#[test]
fn star_inside_a_label_is_an_error() {
    for entry in [
        "https://a*.example.com",
        "https://app.*.example.com",
        "https://*example.com",
        "https://*",
        "https://*.*.example.com",
    ] {
        origin_error(entry);
    }
    let e = origin_error("https://a*.example.com");
    assert!(e.problem.contains("first label"), "{e:?}");
    assert!(e.fix.contains("allow_origin_regex"), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// errors: regex, statuses, names
// ---------------------------------------------------------------------------------------------

#[test]
fn unparsable_regex_is_an_error() {
    for re in [
        r"https://(.*\.example\.com",
        r"https://[a-z+\.example\.com",
        r"*",
        r"a{2,1}",
    ] {
        let e = only_error(&with_regex(re));
        assert_eq!(e.option, "allow_origin_regex");
        assert_eq!(e.value, re);
        assert!(e.problem.contains("not a valid regex"), "{e:?}");
        assert!(
            !e.problem.contains('\n'),
            "problem should be one line: {e:?}"
        );
    }
    // Look-around is not supported by the linear-time engine: an error, not a panic.
    let e = only_error(&with_regex(r"https://(?!evil).*\.example\.com"));
    assert!(e.fix.contains("look-around"), "{e:?}");
}

/// SPEC: the regex is a full match, and an unparsable regex is an error. A regex that only
/// parses once wrapped in `^(?:…)$` is unparsable as written, and accepting it breaks the
/// anchoring: `https://app\.example\.com)|(.*` turns into `^(?:https://app\.example\.com)|(.*)$`.
#[test]
fn regex_with_unbalanced_parentheses_cannot_escape_the_anchors() {
    let re = r"https://app\.example\.com)|(.*";
    match with_regex(re).build() {
        Err(ConfigErrors(errors)) => assert!(
            errors.iter().any(|e| e.option == "allow_origin_regex"),
            "{errors:#?}"
        ),
        Ok(policy) => {
            assert!(
                !allows(&policy, "https://evil.example"),
                "{re:?} was accepted and allows https://evil.example"
            );
            panic!("{re:?} is not a valid regex on its own but was accepted");
        }
    }
}

#[test]
fn preflight_status_out_of_range_is_an_error() {
    for status in [0u16, 99, 199, 300, 304, 404, 1000, u16::MAX] {
        let e = only_error(&CorsOptions {
            preflight_status: status,
            ..CorsOptions::default()
        });
        assert_eq!(e.option, "preflight_status");
        assert_eq!(e.value, status.to_string());
        assert!(
            e.problem.contains("200") && e.problem.contains("299"),
            "{e:?}"
        );
    }
    for status in [200u16, 204, 299] {
        let p = build_ok(&CorsOptions {
            preflight_status: status,
            ..CorsOptions::default()
        });
        assert_eq!(p.preflight_status().as_u16(), status);
    }
}

#[test]
fn reject_status_out_of_range_is_an_error() {
    for status in [0u16, 200, 399, 500, 503, 1000] {
        let e = only_error(&CorsOptions {
            reject_status: status,
            ..CorsOptions::default()
        });
        assert_eq!(e.option, "reject_status");
        assert_eq!(e.value, status.to_string());
        assert!(
            e.problem.contains("400") && e.problem.contains("499"),
            "{e:?}"
        );
    }
    for status in [400u16, 403, 499] {
        let p = build_ok(&CorsOptions {
            reject_status: status,
            ..CorsOptions::default()
        });
        assert_eq!(p.reject_status().as_u16(), status);
    }
}

#[test]
fn invalid_method_names_are_errors() {
    for m in ["", "GE T", "GET,POST", "GET, POST", "PÖST", "(GET)"] {
        let e = only_error(&CorsOptions {
            allow_methods: strings(&[m]),
            ..CorsOptions::default()
        });
        assert_eq!(e.option, "allow_methods", "{m:?}");
        assert_eq!(e.value, m);
        assert!(e.problem.contains("method"), "{e:?}");
    }
}

#[test]
fn invalid_header_names_are_errors() {
    for h in [
        "",
        "X Custom",
        "X-Custom:",
        "Authorization, X-Id",
        "Ümlaut",
        "a/b",
    ] {
        let e = only_error(&CorsOptions {
            allow_headers: strings(&[h]),
            ..CorsOptions::default()
        });
        assert_eq!(e.option, "allow_headers", "{h:?}");
        assert_eq!(e.value, h);
        assert!(e.problem.contains("header name"), "{e:?}");
    }
}

#[test]
fn invalid_expose_header_names_are_errors() {
    for h in ["", "X Total", "X-Total-Count:", "a,b", "Ümlaut"] {
        let e = only_error(&CorsOptions {
            expose_headers: strings(&[h]),
            ..CorsOptions::default()
        });
        assert_eq!(e.option, "expose_headers", "{h:?}");
        assert_eq!(e.value, h);
        assert!(e.problem.contains("header name"), "{e:?}");
    }
}

#[test]
fn all_errors_are_reported_at_once() {
    let errors = build_err(&CorsOptions {
        allow_origins: strings(&[
            "*",
            "https://app.example.com/path",
            "app.example.com",
            "https://ok.example.com",
        ]),
        allow_origin_regex: Some("(".into()),
        allow_methods: strings(&["GE T", "GET"]),
        allow_headers: strings(&["X Custom"]),
        allow_credentials: true,
        expose_headers: strings(&["X Total"]),
        preflight_status: 300,
        reject_status: 200,
        ..CorsOptions::default()
    });
    let mut got: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e.option.as_str(), e.value.as_str()))
        .collect();
    got.sort();
    let mut want = vec![
        ("allow_origins", "*"),
        ("allow_origins", "https://app.example.com/path"),
        ("allow_origins", "app.example.com"),
        ("allow_origin_regex", "("),
        ("allow_methods", "GE T"),
        ("allow_headers", "X Custom"),
        ("expose_headers", "X Total"),
        ("preflight_status", "300"),
        ("reject_status", "200"),
    ];
    want.sort();
    assert_eq!(got, want, "{errors:#?}");

    // ConfigErrors' Display shows every one of them.
    let shown = ConfigErrors(errors.clone()).to_string();
    let starting = |prefix: &str| shown.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(starting("error: "), errors.len(), "{shown}");
    assert_eq!(starting("  fix: "), errors.len(), "{shown}");
    for e in &errors {
        assert!(shown.contains(&e.to_string()), "{shown}");
    }
}

#[test]
fn every_error_display_names_option_value_and_fix() {
    let bad: Vec<CorsOptions> = vec![
        CorsOptions {
            allow_origins: strings(&["*"]),
            allow_credentials: true,
            ..CorsOptions::default()
        },
        with_origins(&["https://a.example.com/p"]),
        with_origins(&["https://a.example.com?q"]),
        with_origins(&["https://a.example.com#f"]),
        with_origins(&["https://u@a.example.com"]),
        with_origins(&["a.example.com"]),
        with_origins(&["https://a.example.com:70000"]),
        with_origins(&[""]),
        with_origins(&["https://a..b"]),
        with_origins(&["https://ß.example"]),
        with_origins(&["null"]),
        with_origins(&["https://*.com"]),
        with_origins(&["https://a*.example.com"]),
        with_regex("(unclosed"),
        CorsOptions {
            preflight_status: 100,
            ..CorsOptions::default()
        },
        CorsOptions {
            reject_status: 500,
            ..CorsOptions::default()
        },
        CorsOptions {
            allow_methods: strings(&["G T"]),
            ..CorsOptions::default()
        },
        CorsOptions {
            allow_headers: strings(&["a b"]),
            ..CorsOptions::default()
        },
        CorsOptions {
            expose_headers: strings(&["a b"]),
            ..CorsOptions::default()
        },
    ];
    for options in &bad {
        let errors = build_err(options);
        for e in &errors {
            assert_display_contract(e);
            assert!(!e.problem.is_empty() && !e.fix.is_empty(), "{e:?}");
            assert!(
                CorsOptions::NAMES.contains(&e.option.as_str()),
                "error names an unknown option: {e:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// normalised with a warning
// ---------------------------------------------------------------------------------------------

/// Builds one origin entry, asserts it normalised to `normalised` with a warning containing
/// `note`, and that the normalised origin matches a real request.
fn assert_normalised(entry: &str, normalised: &str, note: &str) -> Policy {
    let policy = build_ok(&with_origins(&[entry]));
    assert_eq!(policy.options().allow_origins, vec![normalised.to_string()]);
    let w = one_warning(&policy, "allow_origins", note);
    assert_eq!(w.value, entry, "warning should quote the entry as written");
    assert!(
        allows(&policy, normalised),
        "{normalised} should be allowed by {entry:?}"
    );
    policy
}

#[test]
fn trailing_slash_is_normalised_with_a_warning() {
    let p = assert_normalised(
        "http://localhost:3000/",
        "http://localhost:3000",
        "trailing '/'",
    );
    assert!(preflight_allows(&p, "http://localhost:3000", "GET"));
    assert_normalised(
        "https://app.example.com/",
        "https://app.example.com",
        "trailing '/'",
    );
}

#[test]
fn upper_case_scheme_and_host_are_normalised_with_a_warning() {
    assert_normalised("HTTPS://MyApp.COM", "https://myapp.com", "lower-cased");
    assert_normalised(
        "Http://LocalHost:3000",
        "http://localhost:3000",
        "lower-cased",
    );
    let p = assert_normalised(
        "https://APP.example.com",
        "https://app.example.com",
        "lower-cased",
    );
    assert!(
        !allows(&p, "https://APP.example.com"),
        "browsers never send upper case"
    );
}

#[test]
fn default_port_is_normalised_with_a_warning() {
    assert_normalised(
        "https://myapp.com:443",
        "https://myapp.com",
        "default port :443",
    );
    assert_normalised(
        "http://myapp.com:80",
        "http://myapp.com",
        "default port :80",
    );
    // Not the default port for the scheme: kept, no warning.
    for entry in [
        "http://myapp.com:443",
        "https://myapp.com:80",
        "https://myapp.com:8443",
    ] {
        let p = build_ok(&with_origins(&[entry]));
        assert_eq!(p.options().allow_origins, vec![entry.to_string()]);
        assert!(p.warnings().is_empty(), "{entry}: {:?}", p.warnings());
        assert!(allows(&p, entry));
    }
}

#[test]
fn surrounding_whitespace_is_normalised_with_a_warning() {
    assert_normalised(
        " http://localhost:3000",
        "http://localhost:3000",
        "whitespace",
    );
    assert_normalised("https://myapp.com \t", "https://myapp.com", "whitespace");
}

#[test]
fn several_normalisations_each_warn_and_the_result_matches() {
    let entry = " HTTPS://*.Example.COM:443/ ";
    let p = build_ok(&with_origins(&[entry]));
    assert_eq!(
        p.options().allow_origins,
        vec!["https://*.example.com".to_string()]
    );
    for note in [
        "whitespace",
        "trailing '/'",
        "lower-cased",
        "default port :443",
    ] {
        one_warning(&p, "allow_origins", note);
    }
    assert_eq!(p.warnings().len(), 4, "{:#?}", p.warnings());
    assert!(allows(&p, "https://api.example.com"));
    assert!(!allows(&p, "https://example.com"));
}

#[test]
fn a_clean_configuration_has_no_warnings() {
    let p = build_ok_for(
        &CorsOptions {
            allow_origins: strings(&["https://app.example.com", "https://*.example.com"]),
            allow_origin_regex: Some(r"https://([a-z0-9-]+\.)*example\.org".into()),
            allow_methods: strings(&["GET", "POST", "PATCH"]),
            allow_headers: strings(&["Authorization", "X-Request-ID"]),
            allow_credentials: true,
            expose_headers: strings(&["X-Total-Count"]),
            max_age: 7200,
            ..CorsOptions::default()
        },
        Profile::Production,
    );
    assert!(p.warnings().is_empty(), "{:#?}", p.warnings());
}

// ---------------------------------------------------------------------------------------------
// warnings
// ---------------------------------------------------------------------------------------------

#[test]
fn http_origins_warn_in_production_only() {
    let options = with_origins(&[
        "http://app.example.com",
        "HTTP://Other.Example.com/",
        "http://localhost:*",
        "https://secure.example.com",
        "capacitor://localhost",
    ]);
    let dev = build_ok_for(&options, Profile::Development);
    assert!(
        !dev.warnings()
            .iter()
            .any(|w| w.message.contains("production")),
        "{:#?}",
        dev.warnings()
    );
    assert_eq!(build_ok(&options).warnings(), dev.warnings());

    let prod = build_ok_for(&options, Profile::Production);
    let mut flagged: Vec<&str> = prod
        .warnings()
        .iter()
        .filter(|w| w.message.contains("http://") && w.message.contains("production"))
        .map(|w| {
            assert_eq!(w.option, "allow_origins");
            w.value.as_str()
        })
        .collect();
    flagged.sort();
    assert_eq!(
        flagged,
        vec![
            "http://app.example.com",
            "http://localhost:*",
            "http://other.example.com"
        ],
        "{:#?}",
        prod.warnings()
    );
    // A warning, not an error: the origin still works.
    assert!(allows(&prod, "http://app.example.com"));
}

#[test]
fn unescaped_dot_in_regex_warns() {
    let re = r"https://.*\.myapp.com";
    let p = build_ok(&with_regex(re));
    let w = one_warning(&p, "allow_origin_regex", "unescaped '.'");
    assert_eq!(w.value, re);
    assert!(
        w.message.contains(r"\."),
        "fix should say to write \\.: {w:?}"
    );
    // And it really is too broad.
    assert!(allows(&p, "https://a.myappxcom"));
}

#[test]
fn regex_matching_another_registrable_domain_warns() {
    let re = r"https://.*myapp\.com";
    let p = build_ok(&with_regex(re));
    assert!(
        allows(&p, "https://evilmyapp.com"),
        "the probe really matches"
    );
    let w = one_warning(&p, "allow_origin_regex", "evilmyapp.com");
    assert_eq!(w.value, re);

    for re in [
        r"https://myapp\.com.*",
        r"https://[a-z]*myapp\.com",
        r"https://(www\.)?myapp\.co.*",
    ] {
        let p = build_ok(&with_regex(re));
        assert!(
            warnings_for(&p, "allow_origin_regex")
                .iter()
                .any(|w| w.message.contains("outside")),
            "{re}: {:#?}",
            p.warnings()
        );
    }
}

#[test]
fn the_fastapi_guide_regex_gives_no_warning() {
    let p = build_ok(&with_regex(r"https://.*\.myapp\.com"));
    assert!(p.warnings().is_empty(), "{:#?}", p.warnings());
    assert!(allows(&p, "https://app.myapp.com"));
    assert!(allows(&p, "https://a.b.myapp.com"));
    assert!(!allows(&p, "https://evilmyapp.com"));
    assert!(!allows(&p, "https://myapp.com.evil.example"));
    // Full match: no prefix or suffix slips through.
    assert!(!allows(&p, "http://app.myapp.com"));
    assert!(!allows(&p, "https://app.myapp.com:8443"));

    let p = build_ok(&with_regex(r"https://([a-z0-9-]+\.)*myapp\.com"));
    assert!(p.warnings().is_empty(), "{:#?}", p.warnings());
}

#[test]
fn allowing_null_warns() {
    let p = build_ok(&CorsOptions {
        allow_origins: strings(&["https://app.example.com"]),
        allow_null_origin: true,
        ..CorsOptions::default()
    });
    let w = one_warning(&p, "allow_null_origin", "null origin");
    assert_eq!(w.value, "true");
    // Off: no such warning.
    let p = build_ok(&with_origins(&["https://app.example.com"]));
    assert!(warnings_for(&p, "allow_null_origin").is_empty());
}

#[test]
fn max_age_above_7200_warns() {
    for (max_age, warns) in [
        (0, false),
        (600, false),
        (7200, false),
        (7201, true),
        (86400, true),
    ] {
        let p = build_ok(&CorsOptions {
            allow_origins: strings(&["https://app.example.com"]),
            max_age,
            ..CorsOptions::default()
        });
        let ws = warnings_for(&p, "max_age");
        assert_eq!(!ws.is_empty(), warns, "max_age {max_age}: {ws:?}");
        if warns {
            assert_eq!(ws.len(), 1);
            assert_eq!(ws[0].value, max_age.to_string());
            assert!(ws[0].message.contains("7200"), "{:?}", ws[0]);
        }
    }
}

#[test]
fn lower_case_browser_normalised_methods_are_upper_cased_with_a_warning() {
    let p = build_ok(&CorsOptions {
        allow_origins: strings(&["https://app.example.com"]),
        allow_methods: strings(&["get", "Post", "delete", "PUT"]),
        ..CorsOptions::default()
    });
    assert_eq!(
        p.options().allow_methods,
        strings(&["GET", "POST", "DELETE", "PUT"])
    );
    let ws = warnings_for(&p, "allow_methods");
    assert_eq!(ws.len(), 3, "{ws:#?}");
    for (raw, upper) in [("get", "GET"), ("Post", "POST"), ("delete", "DELETE")] {
        let w = ws.iter().find(|w| w.value == raw).expect(raw);
        assert!(w.message.contains(&format!("\"{upper}\"")), "{w:?}");
    }
    // The browser sends "POST" for fetch(url, {method: "post"}): allowed.
    assert!(preflight_allows(&p, "https://app.example.com", "POST"));
    assert!(preflight_allows(&p, "https://app.example.com", "DELETE"));
}

#[test]
fn other_lower_case_methods_keep_their_case_with_a_warning() {
    let p = build_ok(&CorsOptions {
        allow_origins: strings(&["https://app.example.com"]),
        allow_methods: strings(&["patch"]),
        ..CorsOptions::default()
    });
    assert_eq!(p.options().allow_methods, strings(&["patch"]));
    let w = one_warning(&p, "allow_methods", "case-sensitively");
    assert_eq!(w.value, "patch");
    assert!(w.message.contains("PATCH"), "{w:?}");
    assert!(preflight_allows(&p, "https://app.example.com", "patch"));
    assert!(!preflight_allows(&p, "https://app.example.com", "PATCH"));
}

#[test]
fn forbidden_methods_warn() {
    for m in ["CONNECT", "TRACE", "TRACK"] {
        let p = build_ok(&CorsOptions {
            allow_origins: strings(&["https://app.example.com"]),
            allow_methods: strings(&["GET", m]),
            ..CorsOptions::default()
        });
        let w = one_warning(&p, "allow_methods", "forbidden");
        assert_eq!(w.value, m);
    }
}

#[test]
fn forbidden_headers_warn() {
    for h in [
        "Cookie",
        "host",
        "Origin",
        "Content-Length",
        "Sec-Fetch-Mode",
        "Proxy-Authorization",
    ] {
        let p = build_ok(&CorsOptions {
            allow_origins: strings(&["https://app.example.com"]),
            allow_headers: strings(&["Authorization", h]),
            ..CorsOptions::default()
        });
        let w = one_warning(&p, "allow_headers", "forbidden");
        assert_eq!(w.value, h);
    }
    // Ordinary headers: no warning.
    let p = build_ok(&CorsOptions {
        allow_origins: strings(&["https://app.example.com"]),
        allow_headers: strings(&["Authorization", "X-Request-ID", "Content-Type"]),
        ..CorsOptions::default()
    });
    assert!(p.warnings().is_empty(), "{:#?}", p.warnings());
}

#[test]
fn redundant_entries_next_to_star_warn() {
    let p = build_ok(&with_origins(&["*", "https://app.example.com"]));
    let w = one_warning(&p, "allow_origins", "redundant");
    assert_eq!(w.value, "*");
    let p = build_ok(&with_origins(&["*"]));
    assert!(p.warnings().is_empty(), "{:#?}", p.warnings());
}

#[test]
fn empty_allow_origins_warns() {
    let p = build_ok(&CorsOptions::default());
    let w = one_warning(&p, "allow_origins", "empty");
    assert!(w.message.contains("http://localhost:3000"), "{w:?}");
    assert!(!allows(&p, "http://localhost:3000"));

    // Origins come from somewhere else: no "empty" warning.
    let p = build_ok(&with_regex(r"https://app\.example\.com"));
    assert!(p.warnings().is_empty(), "{:#?}", p.warnings());
    let p = build_ok(&CorsOptions {
        allow_null_origin: true,
        ..CorsOptions::default()
    });
    assert!(
        !p.warnings().iter().any(|w| w.message.contains("empty")),
        "{:#?}",
        p.warnings()
    );
}

// ---------------------------------------------------------------------------------------------
// nothing panics
// ---------------------------------------------------------------------------------------------

const FRAGMENTS: &[&str] = &[
    "http", "https", "://", "*.", "*", ":", "/", "@", "[::1]", "[", "]", "ß", " ", "%", "#", "?",
    ".", "a", "80", "null", "\\", "(", ")", "|",
];

/// Deterministic odd strings: every pair and triple of fragments, and the same after `https://`.
fn odd_strings() -> Vec<String> {
    let mut out = Vec::new();
    for a in FRAGMENTS {
        for b in FRAGMENTS {
            out.push(format!("{a}{b}"));
            out.push(format!("https://{a}{b}"));
            for c in FRAGMENTS {
                out.push(format!("{a}{b}{c}"));
                out.push(format!("https://{a}{b}{c}"));
            }
        }
    }
    out
}

/// Builds `options` under `catch_unwind`; returns whether it panicked.
fn build_panics(options: CorsOptions) -> bool {
    std::panic::catch_unwind(move || {
        for profile in [Profile::Development, Profile::Production] {
            if let Ok(policy) = options.build_for(profile) {
                // A built policy must also answer requests without panicking.
                for origin in ["https://a.example.com", "null", "http://[::1]:80"] {
                    let _ = policy.decide(&Method::GET, &origin_request(origin));
                    let _ = policy.decide(&Method::OPTIONS, &preflight_request(origin, "PUT"));
                }
            }
        }
    })
    .is_err()
}

fn panicking_inputs(inputs: impl Iterator<Item = String>) -> Vec<String> {
    let mut panicked = Vec::new();
    for s in inputs {
        let variants = [
            with_origins(&[&s]),
            CorsOptions {
                allow_origins: strings(&[&s, "*"]),
                allow_credentials: true,
                ..CorsOptions::default()
            },
            with_regex(&s),
            CorsOptions {
                allow_methods: strings(&[&s]),
                allow_headers: strings(&[&s]),
                expose_headers: strings(&[&s]),
                ..CorsOptions::default()
            },
        ];
        if variants.into_iter().any(build_panics) {
            panicked.push(s);
        }
    }
    panicked
}

#[test]
fn odd_strings_never_panic() {
    let inputs = odd_strings();
    assert!(inputs.len() > 300, "only {} inputs", inputs.len());
    let panicked = panicking_inputs(inputs.into_iter());
    assert!(panicked.is_empty(), "build() panicked on {panicked:#?}");
}

#[test]
fn wildcard_then_bracket_does_not_panic() {
    for entry in ["https://*.[", "https://*.[ß", "http://*.[x"] {
        let result = std::panic::catch_unwind(|| with_origins(&[entry]).build().map(|_| ()));
        match result {
            Err(_) => panic!("build() panicked on {entry:?}"),
            Ok(Ok(())) => panic!("{entry:?} should be rejected"),
            Ok(Err(ConfigErrors(errors))) => {
                assert_eq!(errors.len(), 1, "{errors:#?}");
                assert_eq!(errors[0].option, "allow_origins");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// matching semantics (SPEC: allow_origins, allow_null_origin, allowed methods)
// ---------------------------------------------------------------------------------------------

#[test]
fn subdomain_pattern_matches_subdomains_only() {
    let p = build_ok(&with_origins(&["https://*.example.com"]));
    assert_eq!(
        p.origin_patterns().collect::<Vec<_>>(),
        vec!["https://*.example.com"]
    );
    for ok in [
        "https://a.example.com",
        "https://a.b.example.com",
        "https://x-1.example.com",
    ] {
        let h = origin_request(ok);
        let d = p.decide(&Method::GET, &h);
        assert_eq!(d.reason, Reason::Allowed(MatchedBy::Pattern), "{ok}");
    }
    for no in [
        "https://example.com",
        "https://evil-example.com",
        "https://evilexample.com",
        "https://.example.com",
        "http://a.example.com",
        "https://a.example.com:8443",
        "https://a.example.com.evil.com",
        "https://example.com.a.example.org",
    ] {
        assert!(!allows(&p, no), "{no} must not match https://*.example.com");
    }
}

#[test]
fn any_port_pattern_matches_every_port() {
    let p = build_ok(&with_origins(&["http://localhost:*"]));
    for ok in [
        "http://localhost",
        "http://localhost:1",
        "http://localhost:3000",
        "http://localhost:5173",
        "http://localhost:65535",
    ] {
        assert!(allows(&p, ok), "{ok}");
        assert!(preflight_allows(&p, ok, "GET"), "{ok}");
    }
    for no in [
        "https://localhost:3000",
        "http://localhost.evil.com:3000",
        "http://evil-localhost:3000",
        "http://127.0.0.1:3000",
    ] {
        assert!(!allows(&p, no), "{no}");
    }
}

#[test]
fn capacitor_and_ionic_origins_work_as_exact_origins() {
    let p = build_ok_for(
        &with_origins(&["capacitor://localhost", "ionic://localhost"]),
        Profile::Production,
    );
    assert!(p.warnings().is_empty(), "{:#?}", p.warnings());
    assert_eq!(
        p.exact_origins().collect::<Vec<_>>(),
        vec!["capacitor://localhost", "ionic://localhost"]
    );
    for ok in ["capacitor://localhost", "ionic://localhost"] {
        let h = origin_request(ok);
        assert_eq!(
            p.decide(&Method::GET, &h).reason,
            Reason::Allowed(MatchedBy::Exact)
        );
        assert!(preflight_allows(&p, ok, "GET"));
    }
    assert!(!allows(&p, "http://localhost"));
    assert!(!allows(&p, "capacitor://localhost:8080"));
}

#[test]
fn null_is_matched_only_with_allow_null_origin() {
    // Never by a pattern or a regex, even one that matches the text "null".
    for options in [
        with_origins(&["https://*.example.com", "http://localhost:*"]),
        with_regex(".*"),
        with_regex("null"),
        with_regex(r"null|https://app\.example\.com"),
    ] {
        let p = build_ok(&options);
        let h = origin_request("null");
        let d = p.decide(&Method::GET, &h);
        assert_eq!(d.reason, Reason::NullOriginNotAllowed, "{options:?}");
        assert!(!preflight_allows(&p, "null", "GET"), "{options:?}");
    }
    // With the option, null is reflected.
    for credentials in [false, true] {
        let p = build_ok(&CorsOptions {
            allow_origins: strings(&["https://app.example.com"]),
            allow_null_origin: true,
            allow_credentials: credentials,
            ..CorsOptions::default()
        });
        let h = origin_request("null");
        let d = p.decide(&Method::GET, &h);
        assert_eq!(d.reason, Reason::Allowed(MatchedBy::Null));
        let mut response = HeaderMap::new();
        p.apply_actual(&d.actual(), &mut response);
        assert_eq!(response["access-control-allow-origin"], "null");
        assert!(preflight_allows(&p, "null", "GET"));
    }
}

#[test]
fn star_without_credentials_answers_null_with_star() {
    let p = build_ok(&with_origins(&["*"]));
    let h = origin_request("null");
    let d = p.decide(&Method::GET, &h);
    assert_eq!(d.reason, Reason::Allowed(MatchedBy::Any));
    let mut response = HeaderMap::new();
    p.apply_actual(&d.actual(), &mut response);
    assert_eq!(response["access-control-allow-origin"], "*");
    assert!(preflight_allows(&p, "null", "GET"));
}

#[test]
fn requested_method_is_checked_literally() {
    let origin = "https://app.example.com";
    let p = build_ok(&with_origins(&[origin]));
    assert_eq!(p.options().allow_methods, strings(&["GET"]));
    assert!(preflight_allows(&p, origin, "GET"));
    let h = preflight_request(origin, "POST");
    assert_eq!(
        p.decide(&Method::OPTIONS, &h).reason,
        Reason::MethodNotAllowed("POST")
    );
    // Safelisted or not, only what is listed.
    assert!(!preflight_allows(&p, origin, "HEAD"));
    // Compared literally: "get" is not "GET" (browsers upper-case it before sending anyway).
    assert!(!preflight_allows(&p, origin, "get"));

    let p = build_ok(&CorsOptions {
        allow_origins: strings(&[origin]),
        allow_methods: strings(&["PATCH"]),
        ..CorsOptions::default()
    });
    assert!(preflight_allows(&p, origin, "PATCH"));
    assert!(!preflight_allows(&p, origin, "patch"));
    assert!(!preflight_allows(&p, origin, "Patch"));

    let p = build_ok(&CorsOptions {
        allow_origins: strings(&[origin]),
        allow_methods: strings(&["*"]),
        ..CorsOptions::default()
    });
    for m in ["POST", "PATCH", "patch", "PROPFIND"] {
        assert!(preflight_allows(&p, origin, m), "{m}");
    }
}

#[test]
fn http_regex_warns_in_production_only() {
    let options = CorsOptions {
        allow_origin_regex: Some(r"https?://([a-z0-9-]+\.)*myapp\.com".to_string()),
        ..CorsOptions::default()
    };
    let prod = options.build_for(Profile::Production).unwrap();
    let w: Vec<String> = prod.warnings().iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter()
            .any(|w| w.contains("allow_origin_regex") && w.contains("http://myapp.com")),
        "{w:?}"
    );
    let dev = options.build().unwrap();
    assert!(!dev
        .warnings()
        .iter()
        .any(|w| w.message.contains("production")));
    let https_only = CorsOptions {
        allow_origin_regex: Some(r"https://([a-z0-9-]+\.)*myapp\.com".to_string()),
        ..CorsOptions::default()
    };
    assert!(https_only
        .build_for(Profile::Production)
        .unwrap()
        .warnings()
        .is_empty());
}

#[test]
fn regex_errors_quote_the_regex_as_written() {
    let err = CorsOptions {
        allow_origin_regex: Some("https://(app".to_string()),
        ..CorsOptions::default()
    }
    .build()
    .unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert_eq!(err.0[0].value, "https://(app");
    assert!(!err.0[0].problem.contains("^(?:"), "{}", err.0[0].problem);
}
