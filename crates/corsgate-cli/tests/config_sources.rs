//! Configuration sources and their precedence, observed through `corsgate config --json`:
//! defaults < corsgate.toml < [profile.NAME] < .env < environment < flags.

mod support;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use support::*;

/// `corsgate config --json ARGS` (the subcommand comes before its flags).
fn config_json(cmd: &mut Command) -> (Value, String) {
    config_json_with(cmd, &[])
}

fn config_json_with(cmd: &mut Command, args: &[&str]) -> (Value, String) {
    let (out, stdout, stderr) = run(cmd.args(["config", "--json"]).args(args));
    assert!(out.status.success(), "config failed: {stderr}");
    (serde_json::from_str(&stdout).expect("JSON output"), stderr)
}

fn origins_and_source(v: &Value) -> (Vec<String>, String) {
    let o = &v["options"]["allow_origins"];
    (
        serde_json::from_value(o["value"].clone()).unwrap(),
        o["source"].as_str().unwrap().to_string(),
    )
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const FILE: &str = r#"
allow_origins = ["https://file.example"]
max_age = 300

[profile.production]
allow_origins = ["https://profile.example"]
allow_credentials = false
"#;

#[test]
fn built_in_development_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = config_json(&mut corsgate(dir.path()));
    let (origins, source) = origins_and_source(&v);
    assert_eq!(
        origins,
        [
            "http://localhost:3000",
            "http://localhost:5173",
            "http://127.0.0.1:3000",
            "http://127.0.0.1:5173"
        ]
    );
    assert_eq!(source, "built-in default");
    assert_eq!(
        v["options"]["allow_methods"]["value"],
        serde_json::json!(["*"])
    );
    assert_eq!(
        v["options"]["allow_headers"]["value"],
        serde_json::json!(["*"])
    );
    assert_eq!(v["options"]["allow_credentials"]["value"], true);
    assert_eq!(v["options"]["max_age"]["value"], 600);
    assert_eq!(v["listen"]["value"], "127.0.0.1:8000");
    assert!(v["file"].is_null() && v["profile"].is_null());
}

/// Each layer in turn is the highest one present, and wins.
#[test]
fn full_precedence_chain() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "corsgate.toml", FILE);
    write(
        dir.path(),
        ".env",
        "CORSGATE_ALLOW_ORIGINS=https://dotenv.example\n",
    );
    let all = || {
        let mut c = corsgate(dir.path());
        c.env("ENVIRONMENT", "production")
            .env("CORSGATE_ALLOW_ORIGINS", "https://env.example");
        c
    };
    let (v, _) = config_json_with(&mut all(), &["--allow-origin", "https://flag.example"]);
    assert_eq!(
        origins_and_source(&v),
        (
            vec!["https://flag.example".into()],
            "flag --allow-origin".into()
        )
    );

    let (v, _) = config_json(&mut all());
    assert_eq!(
        origins_and_source(&v),
        (
            vec!["https://env.example".into()],
            "environment CORSGATE_ALLOW_ORIGINS".into()
        )
    );

    let (v, _) = config_json(corsgate(dir.path()).env("ENVIRONMENT", "production"));
    assert_eq!(
        origins_and_source(&v),
        (
            vec!["https://dotenv.example".into()],
            ".env CORSGATE_ALLOW_ORIGINS".into()
        )
    );

    std::fs::remove_file(dir.path().join(".env")).unwrap();
    let (v, _) = config_json(corsgate(dir.path()).env("ENVIRONMENT", "production"));
    assert_eq!(
        origins_and_source(&v),
        (
            vec!["https://profile.example".into()],
            "corsgate.toml [profile.production]".into()
        )
    );
    assert_eq!(v["profile"]["name"], "production");
    assert_eq!(v["profile"]["defined"], true);
    // Values the profile does not set fall through to the file, then to the defaults.
    assert_eq!(v["options"]["max_age"]["source"], "corsgate.toml");
    assert_eq!(v["options"]["allow_methods"]["source"], "built-in default");

    let (v, _) = config_json(&mut corsgate(dir.path()));
    assert_eq!(
        origins_and_source(&v),
        (vec!["https://file.example".into()], "corsgate.toml".into())
    );
}

#[test]
fn dotenv_never_overrides_the_real_environment() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".env",
        "# comment\nALLOWED_ORIGINS=[\"https://myapp.com\", \"https://www.myapp.com\"]\nCORSGATE_MAX_AGE=60\n",
    );
    let (v, _) = config_json(corsgate(dir.path()).env("CORSGATE_MAX_AGE", "90"));
    // The guide's .env line: a JSON array under the FastAPI name.
    assert_eq!(
        origins_and_source(&v),
        (
            vec!["https://myapp.com".into(), "https://www.myapp.com".into()],
            ".env ALLOWED_ORIGINS".into()
        )
    );
    assert_eq!(v["options"]["max_age"]["value"], 90);
    assert_eq!(
        v["options"]["max_age"]["source"],
        "environment CORSGATE_MAX_AGE"
    );
}

#[test]
fn environment_lists_and_the_fastapi_alias() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = config_json(
        corsgate(dir.path()).env("ALLOWED_ORIGINS", "https://myapp.com,https://www.myapp.com"),
    );
    assert_eq!(
        origins_and_source(&v),
        (
            vec!["https://myapp.com".into(), "https://www.myapp.com".into()],
            "environment ALLOWED_ORIGINS".into()
        )
    );
    let (v, stderr) = config_json(
        corsgate(dir.path())
            .env("ALLOWED_ORIGINS", "https://alias.example")
            .env("CORSGATE_ALLOW_ORIGINS", r#"["https://corsgate.example"]"#),
    );
    assert_eq!(origins_and_source(&v).0, ["https://corsgate.example"]);
    assert!(stderr.contains("CORSGATE_ALLOW_ORIGINS wins"), "{stderr}");

    let (v, _) = config_json(
        corsgate(dir.path())
            .env("CORSGATE_ALLOW_ORIGIN_REGEX", r"https://.*\.myapp\.com")
            .env("CORSGATE_ALLOW_METHODS", "GET, POST")
            .env(
                "CORSGATE_ALLOW_HEADERS",
                r#"["Authorization", "X-Request-ID"]"#,
            )
            .env("CORSGATE_ALLOW_CREDENTIALS", "false")
            .env("CORSGATE_EXPOSE_HEADERS", "X-Total-Count")
            .env("CORSGATE_MAX_AGE", "30"),
    );
    let o = &v["options"];
    assert_eq!(o["allow_origin_regex"]["value"], r"https://.*\.myapp\.com");
    assert_eq!(
        o["allow_methods"]["value"],
        serde_json::json!(["GET", "POST"])
    );
    assert_eq!(
        o["allow_headers"]["value"],
        serde_json::json!(["Authorization", "X-Request-ID"])
    );
    assert_eq!(o["allow_credentials"]["value"], false);
    assert_eq!(
        o["expose_headers"]["value"],
        serde_json::json!(["X-Total-Count"])
    );
    assert_eq!(o["max_age"]["value"], 30);
    for key in [
        "allow_origin_regex",
        "allow_methods",
        "allow_headers",
        "allow_credentials",
        "expose_headers",
        "max_age",
    ] {
        assert!(
            o[key]["source"]
                .as_str()
                .unwrap()
                .starts_with("environment CORSGATE_"),
            "{key}"
        );
    }
}

#[test]
fn config_file_flag_and_variable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("conf")).unwrap();
    write(
        &dir.path().join("conf"),
        "a.toml",
        "allow_origins = [\"https://a.example\"]\n",
    );
    write(
        &dir.path().join("conf"),
        "b.toml",
        "allow_origins = [\"https://b.example\"]\n",
    );
    let (v, _) = config_json_with(&mut corsgate(dir.path()), &["--config", "conf/a.toml"]);
    assert_eq!(
        origins_and_source(&v),
        (vec!["https://a.example".into()], "conf/a.toml".into())
    );
    let (v, _) = config_json(corsgate(dir.path()).env("CORSGATE_CONFIG", "conf/b.toml"));
    assert_eq!(origins_and_source(&v).0, ["https://b.example"]);
    // The flag beats the variable.
    let (v, _) = config_json_with(
        corsgate(dir.path()).env("CORSGATE_CONFIG", "conf/b.toml"),
        &["--config", "conf/a.toml"],
    );
    assert_eq!(origins_and_source(&v).0, ["https://a.example"]);
}

#[test]
fn profile_selection_and_production_warnings() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "corsgate.toml",
        "allow_origins = [\"http://localhost:3000\"]\n[profile.staging]\nallow_origins = [\"https://staging.example\"]\n",
    );
    // CORSGATE_ENV beats ENVIRONMENT.
    let (v, _) = config_json(
        corsgate(dir.path())
            .env("ENVIRONMENT", "production")
            .env("CORSGATE_ENV", "staging"),
    );
    assert_eq!(origins_and_source(&v).0, ["https://staging.example"]);
    assert_eq!(v["profile"]["source"], "environment CORSGATE_ENV");
    // A production profile that the file does not define: dev origins stay, and are flagged.
    let (v, stderr) = config_json(corsgate(dir.path()).env("ENVIRONMENT", "production"));
    assert_eq!(v["profile"]["defined"], false);
    assert!(
        stderr.contains("plain http:// origin in the production profile"),
        "{stderr}"
    );
    let (_, stderr) = config_json(&mut corsgate(dir.path()));
    assert!(!stderr.contains("production profile"), "{stderr}");
}

#[test]
fn unknown_names_are_errors_with_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expect) in [
        (
            "allow_origin = [\"https://a.example\"]\n",
            "unknown option `allow_origin` (did you mean `allow_origins`?)",
        ),
        (
            "alow_credentials = true\n",
            "(did you mean `allow_credentials`?)",
        ),
        (
            "[profile.production]\nmax_agee = 5\n",
            "unknown option `profile.production.max_agee` (did you mean `max_age`?)",
        ),
        ("max_age = \"soon\"\n", "\"soon\" is not a whole number"),
        ("allow_origins = [1, 2]\n", "must be a list of strings"),
        (
            "allow_credentials = \"maybe\"\n",
            "\"maybe\" is not a boolean",
        ),
        ("allow_origins = [\n", "not valid TOML"),
    ] {
        write(dir.path(), "corsgate.toml", text);
        let (out, stdout, stderr) = run(corsgate(dir.path()).arg("config"));
        assert_eq!(out.status.code(), Some(2), "{text}: {stderr}");
        assert!(stdout.is_empty(), "{text}");
        assert!(
            stderr.contains(expect),
            "{text}: expected {expect:?} in {stderr}"
        );
        assert!(stderr.contains("corsgate.toml"), "{stderr}");
    }
    std::fs::remove_file(dir.path().join("corsgate.toml")).unwrap();
    let (v, stderr) =
        config_json(corsgate(dir.path()).env("CORSGATE_ALLOW_ORIGIN", "https://x.example"));
    assert!(
        stderr.contains("environment CORSGATE_ALLOW_ORIGIN: unknown variable, ignored (did you mean `CORSGATE_ALLOW_ORIGINS`?)"),
        "{stderr}"
    );
    assert_eq!(origins_and_source(&v).1, "built-in default");
    let (out, _, stderr) = run(corsgate(dir.path())
        .env("CORSGATE_ALLOW_CREDENTIALS", "maybe")
        .arg("config"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("environment CORSGATE_ALLOW_CREDENTIALS: \"maybe\" is not a boolean"),
        "{stderr}"
    );
    write(dir.path(), ".env", "BROKEN LINE WITHOUT EQUALS\n");
    let (out, _, stderr) = run(corsgate(dir.path()).arg("config"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains(".env"), "{stderr}");
}

#[test]
fn human_output_is_annotated_toml_and_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "corsgate.toml",
        "allow_origins = [\"https://MyApp.com/\"]\n",
    );
    let (out, stdout, stderr) = run(corsgate(dir.path()).args(["config", "--max-age", "60"]));
    assert!(out.status.success(), "{stderr}");
    let line = |key: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} line in {stdout}"))
            .to_string()
    };
    // The effective (normalised) policy, with where each value came from.
    let origins = line("allow_origins");
    assert!(
        origins.contains(r#"["https://myapp.com"]"#) && origins.ends_with("# corsgate.toml"),
        "{origins}"
    );
    assert!(line("max_age").ends_with("# flag --max-age"));
    assert!(line("allow_credentials").ends_with("# built-in default"));
    assert!(stderr.contains("trailing '/' removed"), "{stderr}");
    assert!(stderr.contains("lower-cased"), "{stderr}");
    // The printed values parse back as TOML.
    let body: String = stdout
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{}\n", l.split(" # ").next().unwrap()))
        .collect();
    let parsed: toml::Table = body.parse().expect("annotated TOML parses");
    assert_eq!(parsed["max_age"].as_integer(), Some(60));

    let (out, _, stderr) =
        run(corsgate(dir.path()).args(["config", "--allow-origin", "https://x.example/path"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("it has a path"), "{stderr}");
    assert!(
        stderr.contains("set by: allow_origins from flag --allow-origin"),
        "{stderr}"
    );
}
