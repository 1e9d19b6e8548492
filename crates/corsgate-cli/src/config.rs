//! Configuration sources, lowest to highest precedence: built-in defaults, `corsgate.toml`
//! (or `--config` / `CORSGATE_CONFIG`), the profile named by `CORSGATE_ENV` / `ENVIRONMENT`,
//! `.env` (never overriding real environment variables), environment variables, flags.
//!
//! Every source replaces a value wholesale (a list from the environment replaces the file's list;
//! it does not extend it), and the source of each effective value is recorded for
//! `corsgate config` and for error messages.

use corsgate::{CorsOptions, Profile};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Settings of `corsgate serve` that are not policy options.
pub const SERVE_KEYS: &[&str] = &[
    "listen",
    "upstream",
    "upstream_cors",
    "connect_timeout",
    "read_timeout",
    "max_header_bytes",
    "max_connections",
    "shutdown_timeout",
    "admin_prefix",
    "workers",
];
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8000";

/// What the gateway does with the upstream's own `Access-Control-*` response headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpstreamCors {
    /// Removed, so the policy's headers are the only ones (no duplicate ACAO). The default.
    Strip,
    /// Passed through; the policy still overwrites ACAO/ACAC/ACEH on requests it allows.
    Keep,
}

impl UpstreamCors {
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamCors::Strip => "strip",
            UpstreamCors::Keep => "keep",
        }
    }
}

/// `serve`'s gateway settings (`serve --upstream`); see `gateway.rs` and `proxy.rs`.
#[derive(Clone, Debug)]
pub struct GatewaySettings {
    /// The upstream base URL, validated (`http://host[:port][/base/path]`); `None` = demo API.
    pub upstream: Option<String>,
    pub upstream_cors: UpstreamCors,
    pub connect_timeout: Duration,
    /// Longest wait for the upstream without progress (response head, or between body chunks).
    pub read_timeout: Duration,
    pub max_header_bytes: usize,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
    /// Where the health and metrics endpoints live; `""` turns them off.
    pub admin_prefix: String,
    /// Worker threads (one event loop and upstream pool each); 0 = one per core.
    pub workers: usize,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        GatewaySettings {
            upstream: None,
            upstream_cors: UpstreamCors::Strip,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(60),
            max_header_bytes: 64 * 1024,
            max_connections: 1024,
            shutdown_timeout: Duration::from_secs(30),
            admin_prefix: "/__corsgate/".to_string(),
            workers: 0,
        }
    }
}

impl GatewaySettings {
    /// The settings as `corsgate config` prints them (durations in the syntax they are read in).
    pub fn rows(&self) -> Vec<(&'static str, serde_json::Value)> {
        use serde_json::json;
        vec![
            ("upstream", json!(self.upstream)),
            ("upstream_cors", json!(self.upstream_cors.as_str())),
            (
                "connect_timeout",
                json!(show_duration(self.connect_timeout)),
            ),
            ("read_timeout", json!(show_duration(self.read_timeout))),
            ("max_header_bytes", json!(self.max_header_bytes)),
            ("max_connections", json!(self.max_connections)),
            (
                "shutdown_timeout",
                json!(show_duration(self.shutdown_timeout)),
            ),
            ("admin_prefix", json!(self.admin_prefix)),
            ("workers", json!(self.workers)),
        ]
    }
}

fn show_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    File(PathBuf),
    Profile { name: String, file: PathBuf },
    DotEnv(String),
    Env(String),
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("built-in default"),
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Profile { name, file } => write!(f, "{} [profile.{name}]", file.display()),
            Source::DotEnv(var) => write!(f, ".env {var}"),
            Source::Env(var) => write!(f, "environment {var}"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// Policy values given on the command line; `None`/empty means "not given".
#[derive(Clone, Debug, Default)]
pub struct FlagValues {
    pub allow_origins: Vec<String>,
    pub allow_origin_regex: Option<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub allow_credentials: Option<bool>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u64>,
    pub allow_private_network: Option<bool>,
    pub allow_null_origin: Option<bool>,
    pub preflight_status: Option<u16>,
    pub reject_status: Option<u16>,
    pub block_disallowed: Option<bool>,
    pub debug: Option<bool>,
    pub listen: Option<String>,
}

/// What the process environment looks like; injected so the loader stays testable.
pub struct Environment {
    pub vars: BTreeMap<String, String>,
    pub cwd: PathBuf,
}

impl Environment {
    pub fn from_process() -> Self {
        Environment {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }
}

/// The effective configuration and where each value came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub options: CorsOptions,
    pub listen: String,
    pub gateway: GatewaySettings,
    pub sources: BTreeMap<&'static str, Source>,
    pub profile: Option<(String, Source)>,
    pub profile_defined: bool,
    pub config_file: Option<PathBuf>,
    /// Problems with the sources themselves that did not stop loading (unknown variables...).
    pub notes: Vec<String>,
}

impl Loaded {
    pub fn build_profile(&self) -> Profile {
        match self.profile.as_ref().map(|(n, _)| n.to_ascii_lowercase()) {
            Some(n) if n == "production" || n == "prod" => Profile::Production,
            _ => Profile::Development,
        }
    }

    pub fn source_of(&self, key: &str) -> Source {
        self.sources.get(key).cloned().unwrap_or(Source::Default)
    }
}

/// A source that cannot be read or holds a bad value: stops the start.
#[derive(Debug)]
pub struct LoadError(pub String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const BOOL_KEYS: &[&str] = &[
    "allow_credentials",
    "allow_private_network",
    "allow_null_origin",
    "block_disallowed",
    "debug",
];
const LIST_KEYS: &[&str] = &[
    "allow_origins",
    "allow_methods",
    "allow_headers",
    "expose_headers",
];

/// The policy option (or serve setting) a `CORSGATE_*` variable or alias sets.
fn env_key(var: &str) -> Option<&'static str> {
    if var == "ALLOWED_ORIGINS" {
        return Some("allow_origins");
    }
    let rest = var.strip_prefix("CORSGATE_")?;
    CorsOptions::NAMES
        .iter()
        .chain(SERVE_KEYS)
        .copied()
        .find(|k| k.eq_ignore_ascii_case(rest))
}

/// Variables with a `CORSGATE_` prefix that are not settings.
const ENV_CONTROL: &[&str] = &["CORSGATE_CONFIG", "CORSGATE_ENV", "CORSGATE_LOG"];

/// Loads the configuration. `defaults` is the base layer (the library's or serve's).
pub fn load(
    defaults: CorsOptions,
    config_flag: Option<&Path>,
    flags: &FlagValues,
    env: &Environment,
) -> Result<Loaded, LoadError> {
    let mut loaded = Loaded {
        options: defaults,
        listen: DEFAULT_LISTEN.to_string(),
        gateway: GatewaySettings::default(),
        sources: BTreeMap::new(),
        profile: None,
        profile_defined: false,
        config_file: None,
        notes: Vec::new(),
    };

    // .env first: it feeds CORSGATE_CONFIG and the profile name too.
    let dotenv = read_dotenv(&env.cwd.join(".env"))?;
    let lookup = |name: &str| -> Option<(String, Source)> {
        if let Some(v) = env.vars.get(name) {
            return Some((v.clone(), Source::Env(name.to_string())));
        }
        dotenv
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| (v.clone(), Source::DotEnv(name.to_string())))
    };

    // The configuration file.
    let file = match config_flag {
        Some(p) => Some((env.cwd.join(p), true)),
        None => match lookup("CORSGATE_CONFIG") {
            Some((p, _)) if !p.is_empty() => Some((env.cwd.join(p), true)),
            _ => {
                let default = env.cwd.join("corsgate.toml");
                default.exists().then_some((default, false))
            }
        },
    };
    let table = match &file {
        Some((path, _)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                LoadError(format!(
                    "cannot read configuration file {}: {e}\n  fix: check the path given with --config or CORSGATE_CONFIG",
                    path.display()
                ))
            })?;
            let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
                LoadError(format!(
                    "{}: not valid TOML: {}",
                    path.display(),
                    e.to_string().trim_end()
                ))
            })?;
            loaded.config_file = Some(display_path(path, &env.cwd));
            Some((path.clone(), table))
        }
        None => None,
    };

    // The profile name.
    loaded.profile = lookup("CORSGATE_ENV").or_else(|| lookup("ENVIRONMENT"));

    if let Some((path, table)) = &table {
        let display = display_path(path, &env.cwd);
        let mut profiles = None;
        for (key, value) in table {
            if key == "profile" {
                profiles = Some(value);
                continue;
            }
            apply_toml(
                &mut loaded,
                key,
                value,
                &Source::File(display.clone()),
                &display,
                "",
            )?;
        }
        let profiles = match profiles {
            Some(toml::Value::Table(t)) => Some(t),
            Some(_) => {
                return Err(LoadError(format!(
                    "{}: `profile` must be a table of profiles\n  fix: write [profile.production] followed by its options", display.display()
                )))
            }
            None => None,
        };
        let profile_name = loaded.profile.as_ref().map(|(n, _)| n.clone());
        // Every profile is checked, selected or not, so a typo in [profile.production] shows up
        // in development too; only the selected one is applied.
        for (name, p) in profiles.into_iter().flatten() {
            let toml::Value::Table(p) = p else {
                return Err(LoadError(format!(
                    "{}: [profile.{name}] must be a table of options",
                    display.display()
                )));
            };
            let selected = profile_name.as_deref() == Some(name.as_str());
            let mut scratch = loaded.clone();
            let target = if selected { &mut loaded } else { &mut scratch };
            target.profile_defined |= selected;
            let source = Source::Profile {
                name: name.clone(),
                file: display.clone(),
            };
            for (key, value) in p {
                if key == "profile" {
                    return Err(LoadError(format!(
                        "{}: [profile.{name}] cannot contain profiles",
                        display.display()
                    )));
                }
                apply_toml(
                    target,
                    key,
                    value,
                    &source,
                    &display,
                    &format!("profile.{name}."),
                )?;
            }
        }
    }

    // .env, then the real environment; within each, the FastAPI-guide alias first so that the
    // corsgate name wins when both are set.
    let mut names: Vec<&String> = dotenv
        .iter()
        .map(|(k, _)| k)
        .chain(env.vars.keys())
        .collect();
    names.sort_by_key(|n| (n.as_str() != "ALLOWED_ORIGINS", n.as_str()));
    names.dedup();
    for from_dotenv in [true, false] {
        for name in &names {
            let Some((value, source)) = lookup(name) else {
                continue;
            };
            if matches!(source, Source::DotEnv(_)) != from_dotenv {
                continue;
            }
            match env_key(name) {
                Some(key) => apply_text(&mut loaded, key, &value, source)?,
                None if name.starts_with("CORSGATE_") && !ENV_CONTROL.contains(&name.as_str()) => {
                    let known: Vec<String> = CorsOptions::NAMES
                        .iter()
                        .chain(SERVE_KEYS)
                        .map(|k| format!("CORSGATE_{}", k.to_ascii_uppercase()))
                        .chain(ENV_CONTROL.iter().map(|s| s.to_string()))
                        .collect();
                    loaded.notes.push(format!(
                        "{source}: unknown variable, ignored{}",
                        suggest(name, known.iter().map(String::as_str))
                    ));
                }
                None => {}
            }
        }
    }
    if env.vars.contains_key("ALLOWED_ORIGINS") && env.vars.contains_key("CORSGATE_ALLOW_ORIGINS") {
        loaded.notes.push(
            "both ALLOWED_ORIGINS and CORSGATE_ALLOW_ORIGINS are set; CORSGATE_ALLOW_ORIGINS wins"
                .to_string(),
        );
    }

    apply_flags(&mut loaded, flags);
    Ok(loaded)
}

fn display_path(path: &Path, cwd: &Path) -> PathBuf {
    path.strip_prefix(cwd)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

fn read_dotenv(path: &Path) -> Result<Vec<(String, String)>, LoadError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LoadError(format!("cannot read {}: {e}", path.display()))),
    };
    // dotenvy handles quoting, escapes, `export` and ${VAR} substitution.
    if let Ok(items) = dotenvy::from_read_iter(text.as_bytes()).collect::<Result<Vec<_>, _>>() {
        return Ok(items);
    }
    // python-dotenv (behind pydantic-settings and the FastAPI guide) also takes unquoted values
    // that dotenvy rejects, such as a bare JSON array:
    //   ALLOWED_ORIGINS=["https://myapp.com", "https://www.myapp.com"]
    // so fall back to reading line by line, taking such values verbatim.
    let mut items = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let Ok(parsed) = dotenvy::from_read_iter(t.as_bytes()).collect::<Result<Vec<_>, _>>() {
            items.extend(parsed);
            continue;
        }
        let bare = t.strip_prefix("export ").unwrap_or(t);
        let key_ok = |k: &str| {
            !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        };
        match bare.split_once('=') {
            Some((k, v)) if key_ok(k.trim()) => {
                let v = v.split(" #").next().unwrap_or("").trim();
                items.push((k.trim().to_string(), v.to_string()));
            }
            _ => {
                return Err(LoadError(format!(
                    "{}:{}: cannot parse `{t}`\n  fix: write one NAME=value per line; quote values that contain spaces or #",
                    path.display(),
                    n + 1
                )))
            }
        }
    }
    Ok(items)
}

/// " (did you mean `x`?)" for the closest known name, if any is close.
pub fn suggest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> String {
    let lower = name.to_ascii_lowercase();
    known
        .map(|k| {
            (
                strsim::damerau_levenshtein(&lower, &k.to_ascii_lowercase()),
                k,
            )
        })
        .filter(|(d, k)| *d <= 3.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

fn apply_toml(
    loaded: &mut Loaded,
    key: &str,
    value: &toml::Value,
    source: &Source,
    file: &Path,
    prefix: &str,
) -> Result<(), LoadError> {
    let Some(key) = CorsOptions::NAMES
        .iter()
        .chain(SERVE_KEYS)
        .copied()
        .find(|k| *k == key)
    else {
        let known = CorsOptions::NAMES
            .iter()
            .chain(SERVE_KEYS)
            .copied()
            .chain(["profile"]);
        return Err(LoadError(format!(
            "{}: unknown option `{prefix}{key}`{}\n  fix: known options are {}",
            file.display(),
            suggest(key, known),
            CorsOptions::NAMES
                .iter()
                .chain(SERVE_KEYS)
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let bad = |expected: &str| {
        LoadError(format!(
            "{}: `{prefix}{key}` must be {expected}, found {}: {value}",
            file.display(),
            value.type_str()
        ))
    };
    let text_value;
    let v = match value {
        toml::Value::String(s) => Value::Text(s),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    toml::Value::String(s) => out.push(s.clone()),
                    _ => return Err(bad("a list of strings")),
                }
            }
            text_value = out;
            Value::List(&text_value)
        }
        _ => return Err(bad(expected_for(key))),
    };
    set(loaded, key, v, source.clone())
        .map_err(|why| LoadError(format!("{}: `{prefix}{key}`: {why}", file.display())))
}

fn apply_text(
    loaded: &mut Loaded,
    key: &'static str,
    value: &str,
    source: Source,
) -> Result<(), LoadError> {
    let src = source.to_string();
    set(loaded, key, Value::Text(value), source).map_err(|why| LoadError(format!("{src}: {why}")))
}

enum Value<'a> {
    Text(&'a str),
    Bool(bool),
    Int(i64),
    List(&'a [String]),
}

fn expected_for(key: &str) -> &'static str {
    if LIST_KEYS.contains(&key) {
        "a list of strings"
    } else if BOOL_KEYS.contains(&key) {
        "true or false"
    } else if matches!(
        key,
        "max_age"
            | "preflight_status"
            | "reject_status"
            | "max_header_bytes"
            | "max_connections"
            | "workers"
    ) {
        "a whole number"
    } else if key.ends_with("_timeout") {
        "a number of seconds or a string such as \"500ms\" or \"2s\""
    } else {
        "a string"
    }
}

/// Parses a list written as text: a JSON array (`["a", "b"]`) or comma-separated (`a,b`).
pub fn parse_list(text: &str) -> Result<Vec<String>, String> {
    let t = text.trim();
    if t.starts_with('[') {
        return serde_json::from_str::<Vec<String>>(t).map_err(|e| {
            format!("{t:?} looks like a JSON array but is not one ({e}); write [\"https://a.example\", \"https://b.example\"] or a,b")
        });
    }
    Ok(t.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect())
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        other => Err(format!("{other:?} is not a boolean; write true or false")),
    }
}

fn parse_int<T: TryFrom<i64>>(v: &Value<'_>, what: &str) -> Result<T, String> {
    let n = match v {
        Value::Int(i) => *i,
        Value::Text(t) => t
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("{t:?} is not a whole number; write {what}"))?,
        _ => return Err(format!("must be a whole number ({what})")),
    };
    T::try_from(n).map_err(|_| format!("{n} is out of range; write {what}"))
}

fn set(loaded: &mut Loaded, key: &'static str, v: Value<'_>, source: Source) -> Result<(), String> {
    let o = &mut loaded.options;
    let list = |v: &Value<'_>| -> Result<Vec<String>, String> {
        match v {
            Value::List(l) => Ok(l.to_vec()),
            Value::Text(t) => parse_list(t),
            _ => Err("must be a list of strings, e.g. [\"https://app.example.com\"]".to_string()),
        }
    };
    let boolean = |v: &Value<'_>| -> Result<bool, String> {
        match v {
            Value::Bool(b) => Ok(*b),
            Value::Text(t) => parse_bool(t),
            _ => Err("must be true or false".to_string()),
        }
    };
    match key {
        "allow_origins" => o.allow_origins = list(&v)?,
        "allow_methods" => o.allow_methods = list(&v)?,
        "allow_headers" => o.allow_headers = list(&v)?,
        "expose_headers" => o.expose_headers = list(&v)?,
        "allow_origin_regex" => match v {
            Value::Text(t) if t.trim().is_empty() => o.allow_origin_regex = None,
            Value::Text(t) => o.allow_origin_regex = Some(t.to_string()),
            _ => return Err("must be a string holding a regex".to_string()),
        },
        "allow_credentials" => o.allow_credentials = boolean(&v)?,
        "allow_private_network" => o.allow_private_network = boolean(&v)?,
        "allow_null_origin" => o.allow_null_origin = boolean(&v)?,
        "block_disallowed" => o.block_disallowed = boolean(&v)?,
        "debug" => o.debug = boolean(&v)?,
        "max_age" => o.max_age = parse_int(&v, "a number of seconds, e.g. 600")?,
        "preflight_status" => o.preflight_status = parse_int(&v, "a status such as 200 or 204")?,
        "reject_status" => o.reject_status = parse_int(&v, "a status such as 403")?,
        "listen" => match v {
            Value::Text(t) => loaded.listen = t.trim().to_string(),
            _ => return Err("must be an address string such as \"127.0.0.1:8000\"".to_string()),
        },
        "upstream" => match v {
            Value::Text(t) if t.trim().is_empty() => loaded.gateway.upstream = None,
            Value::Text(t) => {
                let upstream = crate::proxy::Upstream::parse(t.trim())?;
                loaded.gateway.upstream = Some(upstream.to_string());
            }
            _ => return Err("must be a URL string such as \"http://127.0.0.1:8080\"".to_string()),
        },
        "upstream_cors" => match v {
            Value::Text(t) => {
                loaded.gateway.upstream_cors = match t.trim().to_ascii_lowercase().as_str() {
                    "strip" => UpstreamCors::Strip,
                    "keep" => UpstreamCors::Keep,
                    other => return Err(format!(
                        "{other:?} is not a choice; write \"strip\" (the default: the upstream's Access-Control-* headers are removed) or \"keep\""
                    )),
                }
            }
            _ => return Err("must be \"strip\" or \"keep\"".to_string()),
        },
        "connect_timeout" => loaded.gateway.connect_timeout = parse_duration(&v)?,
        "read_timeout" => loaded.gateway.read_timeout = parse_duration(&v)?,
        "shutdown_timeout" => loaded.gateway.shutdown_timeout = parse_duration(&v)?,
        "max_header_bytes" => {
            let n: usize = parse_int(&v, "a size in bytes between 1024 and 1048576, e.g. 65536")?;
            if !(1024..=1024 * 1024).contains(&n) {
                return Err(format!(
                    "{n} is out of range; write a size in bytes between 1024 and 1048576, e.g. 65536"
                ));
            }
            loaded.gateway.max_header_bytes = n;
        }
        "max_connections" => {
            let n: usize = parse_int(&v, "a number of connections such as 1024")?;
            if n == 0 {
                return Err("0 would refuse every connection; write a number such as 1024".to_string());
            }
            loaded.gateway.max_connections = n;
        }
        "workers" => {
            let n: usize = parse_int(&v, "a number of threads, or 0 for one per core")?;
            if n > 1024 {
                return Err(format!("{n} threads is too many; write 0 (one per core) or a number up to 1024"));
            }
            loaded.gateway.workers = n;
        }
        "admin_prefix" => match v {
            Value::Text(t) => loaded.gateway.admin_prefix = parse_admin_prefix(t)?,
            _ => return Err("must be a path string such as \"/__corsgate/\", or \"\" to turn the endpoints off".to_string()),
        },
        _ => return Err(format!("`{key}` cannot be set here")),
    }
    loaded.sources.insert(key, source);
    Ok(())
}

/// Parses a duration: a whole number of seconds, or a string such as `"500ms"`, `"2s"`, `"1.5s"`,
/// `"1m"`. Zero is refused: it would make every request time out.
fn parse_duration(v: &Value<'_>) -> Result<Duration, String> {
    const FIX: &str = "write seconds (5) or a string such as \"500ms\", \"2s\", \"1m\"";
    let d = match v {
        Value::Int(i) => u64::try_from(*i)
            .map(Duration::from_secs)
            .map_err(|_| format!("{i} is negative; {FIX}"))?,
        Value::Text(t) => {
            let t = t.trim();
            let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
                (n, 0.001)
            } else if let Some(n) = t.strip_suffix('s') {
                (n, 1.0)
            } else if let Some(n) = t.strip_suffix('m') {
                (n, 60.0)
            } else {
                (t, 1.0)
            };
            let n: f64 = number
                .trim()
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite() && *n >= 0.0 && *n <= 86_400.0 / scale)
                .ok_or_else(|| format!("{t:?} is not a duration; {FIX}"))?;
            Duration::from_secs_f64(n * scale)
        }
        _ => return Err(format!("must be a duration; {FIX}")),
    };
    if d.is_zero() {
        return Err(format!("a zero timeout would fail every request; {FIX}"));
    }
    Ok(d)
}

/// The admin path prefix: `""` (or `"off"`) turns the endpoints off; otherwise an absolute path,
/// normalised to end with `/`, that is not `/` itself (it would hide the whole upstream).
fn parse_admin_prefix(t: &str) -> Result<String, String> {
    let t = t.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("off") {
        return Ok(String::new());
    }
    let fix = "write a path such as \"/__corsgate/\" that the upstream does not use, or \"\" to turn the endpoints off";
    if !t.starts_with('/') {
        return Err(format!("{t:?} does not start with `/`; {fix}"));
    }
    if t == "/" {
        return Err(format!("\"/\" would hide every upstream path; {fix}"));
    }
    if !t.bytes().all(|b| b.is_ascii_graphic()) || t.contains(['?', '#', '%']) {
        return Err(format!("{t:?} is not a plain path; {fix}"));
    }
    Ok(if t.ends_with('/') {
        t.to_string()
    } else {
        format!("{t}/")
    })
}

/// Applies `serve`'s gateway flags (`--upstream URL`...), given as `(key, flag, text)`; they
/// are parsed like the same values from the environment.
pub fn apply_flag_texts(
    loaded: &mut Loaded,
    flags: &[(&'static str, &'static str, String)],
) -> Result<(), LoadError> {
    for (key, flag, text) in flags {
        let source = Source::Flag((*flag).to_string());
        apply_text(loaded, key, text, source)?;
    }
    Ok(())
}

fn apply_flags(loaded: &mut Loaded, f: &FlagValues) {
    let o = &mut loaded.options;
    let mut set = |key: &'static str, flag: &str| {
        loaded.sources.insert(key, Source::Flag(flag.to_string()));
    };
    if !f.allow_origins.is_empty() {
        o.allow_origins = f.allow_origins.clone();
        set("allow_origins", "--allow-origin");
    }
    if let Some(r) = &f.allow_origin_regex {
        o.allow_origin_regex = Some(r.clone()).filter(|r| !r.is_empty());
        set("allow_origin_regex", "--allow-origin-regex");
    }
    if !f.allow_methods.is_empty() {
        o.allow_methods = f.allow_methods.clone();
        set("allow_methods", "--allow-method");
    }
    if !f.allow_headers.is_empty() {
        o.allow_headers = f.allow_headers.clone();
        set("allow_headers", "--allow-header");
    }
    if !f.expose_headers.is_empty() {
        o.expose_headers = f.expose_headers.clone();
        set("expose_headers", "--expose-header");
    }
    let flags: [(&'static str, &str, Option<bool>, &mut bool); 5] = [
        (
            "allow_credentials",
            "--allow-credentials",
            f.allow_credentials,
            &mut o.allow_credentials,
        ),
        (
            "allow_private_network",
            "--allow-private-network",
            f.allow_private_network,
            &mut o.allow_private_network,
        ),
        (
            "allow_null_origin",
            "--allow-null-origin",
            f.allow_null_origin,
            &mut o.allow_null_origin,
        ),
        (
            "block_disallowed",
            "--block-disallowed",
            f.block_disallowed,
            &mut o.block_disallowed,
        ),
        ("debug", "--debug", f.debug, &mut o.debug),
    ];
    for (key, flag, value, field) in flags {
        if let Some(v) = value {
            *field = v;
            set(key, flag);
        }
    }
    if let Some(v) = f.max_age {
        o.max_age = v;
        set("max_age", "--max-age");
    }
    if let Some(v) = f.preflight_status {
        o.preflight_status = v;
        set("preflight_status", "--preflight-status");
    }
    if let Some(v) = f.reject_status {
        o.reject_status = v;
        set("reject_status", "--reject-status");
    }
    if let Some(l) = &f.listen {
        loaded.listen = l.clone();
        set("listen", "--listen");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_json_or_comma_separated() {
        assert_eq!(parse_list("a, b,,c ").unwrap(), ["a", "b", "c"]);
        assert_eq!(
            parse_list(r#"["https://myapp.com", "https://www.myapp.com"]"#).unwrap(),
            ["https://myapp.com", "https://www.myapp.com"]
        );
        assert!(parse_list(r#"["unterminated"#).is_err());
        assert!(parse_list("").unwrap().is_empty());
    }

    #[test]
    fn suggestions_pick_the_nearest_name() {
        assert_eq!(
            suggest("allow_origin", CorsOptions::NAMES.iter().copied()),
            " (did you mean `allow_origins`?)"
        );
        assert_eq!(
            suggest("alow_credentials", CorsOptions::NAMES.iter().copied()),
            " (did you mean `allow_credentials`?)"
        );
        assert_eq!(suggest("zzzzzz", CorsOptions::NAMES.iter().copied()), "");
    }
}
