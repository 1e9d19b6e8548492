//! `corsgate lint` as a user runs it, over fixture files: the FastAPI guide's BAD examples (each
//! flagged) and GOOD examples (each passing), one fixture per rule, and corsgate.toml cases.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;
use support::*;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lint")
        .join(name)
        .display()
        .to_string()
}

fn lint(args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out, stdout, stderr) = run(corsgate(dir.path()).arg("lint").args(args));
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

fn lint_json(file: &str) -> (i32, Value) {
    let (code, stdout, stderr) = lint(&[file, "--json"]);
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (code, v)
}

/// (line, level, rule) of every diagnostic.
fn found(v: &Value) -> BTreeSet<(u64, String, String)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["level"].as_str().unwrap().to_string(),
                d["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

type Expect = (
    &'static str,
    i32,
    &'static [(u64, &'static str, &'static str)],
);

/// Every fixture, its exit status, and exactly what lint must say about it.
const FIXTURES: &[Expect] = &[
    // The guide's BAD examples.
    (
        "bad/guide_tldr_no_middleware.py",
        1,
        &[(3, "warning", "no-cors-middleware")],
    ),
    (
        "bad/guide_1_no_middleware.py",
        1,
        &[(3, "warning", "no-cors-middleware")],
    ),
    (
        "bad/guide_2_https_localhost.py",
        1,
        &[(9, "warning", "origin-https-localhost")],
    ),
    (
        "bad/guide_3_wildcard_credentials.py",
        1,
        &[(8, "error", "wildcard-credentials")],
    ),
    // Works in Starlette (the stack is built at the first request): a note, not a warning.
    (
        "bad/guide_4_middleware_after_routes.py",
        0,
        &[(10, "note", "middleware-after-routes")],
    ),
    (
        "bad/guide_5_options_handler.py",
        1,
        &[
            (4, "warning", "no-cors-middleware"),
            (6, "warning", "options-handler"),
        ],
    ),
    (
        "bad/guide_6_restrictive.py",
        1,
        &[
            (10, "warning", "restrictive-methods"),
            (11, "warning", "restrictive-headers"),
        ],
    ),
    // One fixture per further rule.
    (
        "bad/trailing_slash.py",
        1,
        &[(6, "error", "origin-trailing-slash")],
    ),
    (
        "bad/api_port.py",
        1,
        &[
            (7, "warning", "origin-is-api"),
            (7, "warning", "origin-no-port"),
        ],
    ),
    (
        "bad/env_wildcard_credentials.py",
        1,
        &[
            (5, "note", "split-without-strip"),
            (5, "error", "wildcard-credentials"),
        ],
    ),
    (
        "bad/settings_trailing_slash.py",
        1,
        &[(5, "error", "origin-trailing-slash")],
    ),
    (
        "bad/wrap_unknown_option.py",
        1,
        &[
            (4, "warning", "no-origin-allowed"),
            (4, "error", "unknown-option"),
        ],
    ),
    (
        "bad/middleware_list_wildcard.py",
        1,
        &[(5, "error", "wildcard-credentials")],
    ),
    (
        "bad/middleware_order.py",
        1,
        &[
            (12, "warning", "cors-not-outermost"),
            (13, "warning", "cors-not-outermost"),
        ],
    ),
    ("bad/duplicate.py", 1, &[(5, "warning", "duplicate-cors")]),
    ("bad/method_case.py", 1, &[(7, "error", "method-case")]),
    (
        "bad/default_methods.py",
        1,
        &[(4, "warning", "restrictive-methods")],
    ),
    (
        "bad/regex_unescaped_dot.py",
        1,
        &[(6, "warning", "origin-regex")],
    ),
    (
        "bad/null_and_expose.py",
        1,
        &[
            (6, "warning", "origin-null"),
            (10, "warning", "expose-wildcard-credentials"),
        ],
    ),
    (
        "bad/origin_forms.py",
        1,
        &[
            (7, "error", "origin-no-scheme"),
            (8, "error", "origin-case"),
            (9, "error", "origin-default-port"),
            (10, "error", "origin-pattern"),
            (11, "error", "origin-path"),
        ],
    ),
    (
        "bad/options_with_middleware.py",
        1,
        &[(10, "warning", "options-handler")],
    ),
    ("bad/syntax_error.py", 2, &[(4, "error", "python-syntax")]),
    // The guide's GOOD examples: nothing but an honest note.
    ("good/guide_tldr_good.py", 0, &[]),
    ("good/guide_1_good.py", 0, &[]),
    ("good/guide_2_good.py", 0, &[]),
    ("good/guide_3_good.py", 0, &[]),
    ("good/guide_3_acceptable.py", 0, &[]),
    ("good/guide_4_good.py", 0, &[]),
    ("good/guide_5_good.py", 0, &[]),
    ("good/guide_6_good.py", 0, &[]),
    ("good/guide_6_good_specific.py", 0, &[]),
    ("good/guide_debug_logging.py", 0, &[]),
    (
        "good/guide_production_env.py",
        0,
        &[(7, "note", "split-without-strip")],
    ),
    ("good/guide_production_settings.py", 0, &[]),
    ("good/guide_regex.py", 0, &[]),
    ("good/guide_dev_vs_prod.py", 0, &[]),
    ("good/guide_mobile.py", 0, &[]),
    ("good/guide_public_api.py", 0, &[]),
    ("good/guide_specific_headers.py", 0, &[]),
    // corsgate.toml
    ("toml/good_readme.toml", 0, &[]),
    (
        "toml/wildcard_credentials.toml",
        1,
        &[(1, "error", "config-error")],
    ),
    (
        "toml/normalised.toml",
        1,
        &[
            (1, "warning", "config-warning"),
            (2, "warning", "config-warning"),
            (3, "warning", "config-warning"),
            (4, "warning", "config-warning"),
        ],
    ),
    (
        "toml/unknown_option.toml",
        1,
        &[
            (1, "error", "unknown-option"),
            (4, "error", "unknown-option"),
        ],
    ),
    ("toml/bad_type.toml", 1, &[(2, "error", "invalid-value")]),
    ("toml/syntax.toml", 2, &[(2, "error", "toml-syntax")]),
    ("toml/regex.toml", 1, &[(5, "warning", "config-warning")]),
    (
        "toml/production.toml",
        1,
        &[
            (1, "warning", "config-warning"),
            (1, "warning", "production-localhost"),
            (7, "warning", "production-debug"),
            (11, "error", "config-error"),
        ],
    ),
    (
        "toml/public_production.toml",
        1,
        &[(4, "warning", "production-wildcard")],
    ),
    (
        "toml/no_production.toml",
        0,
        &[(1, "note", "no-production-profile")],
    ),
];

#[test]
fn every_fixture_says_exactly_what_it_should() {
    let mut failures = Vec::new();
    let mut rules_seen = BTreeSet::new();
    for (file, code, expected) in FIXTURES {
        let (got_code, v) = lint_json(&fixture(file));
        let got = found(&v);
        let want: BTreeSet<(u64, String, String)> = expected
            .iter()
            .map(|(l, level, rule)| (*l, level.to_string(), rule.to_string()))
            .collect();
        if got != want || got_code != *code {
            failures.push(format!(
                "{file}: expected exit {code} {want:?}\n  got exit {got_code} {got:?}\n{:#}",
                v["diagnostics"]
            ));
        }
        for d in v["diagnostics"].as_array().unwrap() {
            rules_seen.insert(d["rule"].as_str().unwrap().to_string());
            assert!(d["column"].as_u64().unwrap() >= 1);
            assert!(!d["fix"].as_str().unwrap().is_empty(), "{file}: {d}");
            assert!(!d["message"].as_str().unwrap().is_empty());
        }
        let all = v["diagnostics"].as_array().unwrap();
        let count = |l: &str| all.iter().filter(|d| d["level"] == l).count();
        assert_eq!(v["errors"], count("error"), "{file}");
        assert_eq!(v["warnings"], count("warning"), "{file}");
        assert_eq!(v["notes"], count("note"), "{file}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Every rule has a fixture that triggers it.
    for rule in [
        "no-cors-middleware",
        "wildcard-credentials",
        "origin-https-localhost",
        "origin-no-port",
        "origin-is-api",
        "origin-trailing-slash",
        "origin-path",
        "origin-no-scheme",
        "origin-case",
        "origin-default-port",
        "origin-pattern",
        "origin-null",
        "origin-regex",
        "restrictive-methods",
        "method-case",
        "restrictive-headers",
        "options-handler",
        "middleware-after-routes",
        "cors-not-outermost",
        "duplicate-cors",
        "expose-wildcard-credentials",
        "no-origin-allowed",
        "split-without-strip",
        "unknown-option",
        "python-syntax",
        "toml-syntax",
        "invalid-value",
        "config-error",
        "config-warning",
        "production-localhost",
        "production-wildcard",
        "production-debug",
        "no-production-profile",
    ] {
        assert!(rules_seen.contains(rule), "no fixture triggers {rule}");
    }
}

#[test]
fn the_guide_bad_examples_are_flagged_and_good_ones_pass() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    let mut bad = 0;
    let mut good = 0;
    for (sub, is_bad) in [("bad", true), ("good", false)] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            if !name.starts_with("guide_") {
                continue;
            }
            let (code, v) = lint_json(path.to_str().unwrap());
            let diagnostics = v["diagnostics"].as_array().unwrap();
            if is_bad {
                bad += 1;
                assert!(!diagnostics.is_empty(), "{name} not flagged");
            } else {
                good += 1;
                assert_eq!(code, 0, "{name}: {v:#}");
                assert!(
                    diagnostics.iter().all(|d| d["level"] == "note"),
                    "{name}: {v:#}"
                );
            }
        }
    }
    assert_eq!((bad, good), (7, 17));
}

#[test]
fn compiler_style_output() {
    let file = fixture("bad/guide_3_wildcard_credentials.py");
    let (code, stdout, stderr) = lint(&[&file]);
    assert_eq!(code, 1);
    assert!(stderr.is_empty(), "{stderr}");
    let mut lines = stdout.lines();
    let first = lines.next().unwrap();
    assert!(
        first.starts_with(&format!(
            "{file}:8:20: error: allow_origins=[\"*\"] with allow_credentials=True: Starlette does not refuse this"
        )),
        "{first}"
    );
    assert!(first.ends_with("[wildcard-credentials]"), "{first}");
    assert!(lines
        .next()
        .unwrap()
        .starts_with("  fix: list the frontends"));
    assert!(stdout.ends_with(&format!("{file}: 1 error, 0 warnings, 0 notes\n")));

    // A multi-line fix is indented under its diagnostic.
    let file = fixture("bad/guide_1_no_middleware.py");
    let (_, stdout, _) = lint(&[&file]);
    assert!(stdout.contains("  fix: from fastapi.middleware.cors import CORSMiddleware\n       app.add_middleware(\n"), "{stdout}");

    let file = fixture("good/guide_tldr_good.py");
    let (code, stdout, _) = lint(&[&file]);
    assert_eq!(code, 0);
    assert_eq!(stdout, format!("{file}: no problems found\n"));

    // Locations point at the value: the settings default, two lines above its use.
    let (_, v) = lint_json(&fixture("bad/settings_trailing_slash.py"));
    let d = &v["diagnostics"][0];
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(5), Some(32))
    );
    assert!(d["message"].as_str().unwrap().contains(
        "the default of Settings.cors_origins, which environment variable CORS_ORIGINS overrides"
    ));
    assert_eq!(v["kind"], "python");
}

#[test]
fn corsgate_toml_by_default_and_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    // No FILE and no corsgate.toml: a clear error.
    let (out, stdout, stderr) = run(corsgate(dir.path()).arg("lint"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("no corsgate.toml") && stderr.contains("fix:"),
        "{stderr}"
    );

    std::fs::copy(
        fixture("toml/production.toml"),
        dir.path().join("corsgate.toml"),
    )
    .unwrap();
    let (out, stdout, _) = run(corsgate(dir.path()).arg("lint"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains("corsgate.toml:7:9: warning: [profile.production] debug = true"),
        "{stdout}"
    );
    assert!(
        stdout.contains("corsgate.toml:11:18: error: [profile.staging] allow_origins"),
        "{stdout}"
    );

    // Lint judges the file: .env and the environment change nothing.
    std::fs::copy(
        fixture("toml/good_readme.toml"),
        dir.path().join("corsgate.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "CORSGATE_ALLOW_ORIGINS=*\nCORSGATE_DEBUG=banana\n",
    )
    .unwrap();
    let (out, stdout, stderr) = run(corsgate(dir.path())
        .arg("lint")
        .env("CORSGATE_ALLOW_CREDENTIALS", "nonsense")
        .env("ENVIRONMENT", "production"));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(stdout, "corsgate.toml: no problems found\n");
    let (out, stdout, _) = run(corsgate(dir.path()).args(["lint", "corsgate.toml", "--json"]));
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["kind"], "corsgate-config");
    assert_eq!(v["file"], "corsgate.toml");
    assert_eq!(v["diagnostics"], serde_json::json!([]));
}

#[test]
fn files_it_cannot_lint() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.py");
    let (code, stdout, stderr) = lint(&[missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.starts_with("error: cannot read") && stderr.contains("fix:"),
        "{stderr}"
    );

    let other = dir.path().join("app.js");
    std::fs::write(&other, "app.use(cors())").unwrap();
    let (code, _, stderr) = lint(&[other.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot tell what") && stderr.contains(".py"),
        "{stderr}"
    );

    let binary = dir.path().join("bin.py");
    std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
    let (code, _, stderr) = lint(&[binary.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not UTF-8"), "{stderr}");

    // A syntax error is located and stops the lint.
    let (code, stdout, _) = lint(&[&fixture("bad/syntax_error.py")]);
    assert_eq!(code, 2);
    assert!(stdout.contains(":4:1: error: not valid Python"), "{stdout}");
}
