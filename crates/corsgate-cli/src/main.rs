//! The `corsgate` command.

mod check;
mod client;
mod config;
mod demo;
mod gateway;
mod lint;
mod metrics;
mod pool;
mod proxy;
mod scan;
mod serve;

use clap::{Args, Parser, Subcommand};
use config::{Environment, FlagValues, Loaded};
use corsgate::{CorsOptions, Policy};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "corsgate",
    version,
    about = "CORS made correct and explainable: a gateway, a demo API and a policy checker"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start-up; the size difference between subcommands does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the demo API behind a CORS policy (development policy by default).
    Serve(ServeArgs),
    /// Print the effective policy and where each value came from.
    Config(ConfigArgs),
    /// Do what a browser does against a live URL and explain the verdict.
    Check(check::CheckArgs),
    /// Probe a live URL for CORS misconfigurations (reflection, null, look-alike origins, ...).
    Scan(scan::ScanArgs),
    /// Lint a corsgate.toml, or a Python file using Starlette/FastAPI CORSMiddleware.
    Lint(lint::LintArgs),
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    #[command(flatten)]
    gateway: gateway::GatewayFlags,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug)]
struct ConfigArgs {
    /// Print JSON instead of annotated TOML.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug)]
struct CommonArgs {
    /// Configuration file (default: ./corsgate.toml when present; also CORSGATE_CONFIG).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyFlags,
}

#[derive(Args, Debug)]
struct PolicyFlags {
    /// Allowed origin: exact, `*`, `https://*.example.com` or `http://localhost:*` (repeatable).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origin: Vec<String>,
    /// Regex the whole origin must match.
    #[arg(long = "allow-origin-regex", value_name = "REGEX")]
    allow_origin_regex: Option<String>,
    /// Method a preflight may ask for, or `*` (repeatable).
    #[arg(long = "allow-method", value_name = "METHOD")]
    allow_method: Vec<String>,
    /// Request header a preflight may ask for, or `*` (repeatable).
    #[arg(long = "allow-header", value_name = "HEADER")]
    allow_header: Vec<String>,
    /// Allow credentials (cookies, HTTP auth); `--allow-credentials=false` turns them off.
    #[arg(long = "allow-credentials", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    allow_credentials: Option<bool>,
    /// Response header scripts may read, or `*` (repeatable).
    #[arg(long = "expose-header", value_name = "HEADER")]
    expose_header: Vec<String>,
    /// Seconds browsers may cache a preflight answer.
    #[arg(long = "max-age", value_name = "SECONDS")]
    max_age: Option<u64>,
    /// Answer private-network preflights.
    #[arg(long = "allow-private-network", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    allow_private_network: Option<bool>,
    /// Reflect the opaque `null` origin.
    #[arg(long = "allow-null-origin", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    allow_null_origin: Option<bool>,
    /// Status of an allowed preflight (200-299).
    #[arg(long = "preflight-status", value_name = "STATUS")]
    preflight_status: Option<u16>,
    /// Status of a rejected preflight (400-499).
    #[arg(long = "reject-status", value_name = "STATUS")]
    reject_status: Option<u16>,
    /// Answer actual requests from disallowed origins with the reject status.
    #[arg(long = "block-disallowed", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    block_disallowed: Option<bool>,
    /// Put rejection reasons in response bodies.
    #[arg(long = "debug", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    debug: Option<bool>,
}

impl PolicyFlags {
    fn values(&self, listen: Option<String>) -> FlagValues {
        FlagValues {
            allow_origins: self.allow_origin.clone(),
            allow_origin_regex: self.allow_origin_regex.clone(),
            allow_methods: self.allow_method.clone(),
            allow_headers: self.allow_header.clone(),
            allow_credentials: self.allow_credentials,
            expose_headers: self.expose_header.clone(),
            max_age: self.max_age,
            allow_private_network: self.allow_private_network,
            allow_null_origin: self.allow_null_origin,
            preflight_status: self.preflight_status,
            reject_status: self.reject_status,
            block_disallowed: self.block_disallowed,
            debug: self.debug,
            listen,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let flags = args.common.policy.values(args.listen);
            let Some((mut loaded, policy)) = load_policy(args.common.config, &flags) else {
                return ExitCode::from(2);
            };
            if let Err(e) = config::apply_flag_texts(&mut loaded, &args.gateway.values()) {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
            serve::run(loaded, policy)
        }
        Command::Check(args) => check::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Config(args) => {
            let flags = args.common.policy.values(None);
            config_command(args.common.config, &flags, args.json)
        }
    }
}

/// Loads and validates the configuration, printing warnings and errors to stderr.
fn load_policy(config: Option<PathBuf>, flags: &FlagValues) -> Option<(Loaded, Policy)> {
    let env = Environment::from_process();
    let loaded = match config::load(CorsOptions::development(), config.as_deref(), flags, &env) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return None;
        }
    };
    for note in &loaded.notes {
        eprintln!("warning: {note}");
    }
    match loaded.options.build_for(loaded.build_profile()) {
        Ok(policy) => {
            for w in policy.warnings() {
                eprintln!("warning: {w}  [{}]", loaded.source_of(&w.option));
            }
            Some((loaded, policy))
        }
        Err(errors) => {
            eprintln!("error: the CORS configuration is invalid; corsgate did not start");
            for e in &errors.0 {
                eprintln!("error: {e}");
                eprintln!("  set by: {}", sources_line(&loaded, e));
            }
            None
        }
    }
}

/// Where the values behind an error came from; the `*` + credentials error involves two options.
fn sources_line(loaded: &Loaded, e: &corsgate::ConfigError) -> String {
    let mut keys = vec![e.option.as_str()];
    if e.option == "allow_origins" && e.value == "*" && loaded.options.allow_credentials {
        keys.push("allow_credentials");
    }
    keys.iter()
        .map(|k| format!("{k} from {}", loaded.source_of(k)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn config_command(config: Option<PathBuf>, flags: &FlagValues, json: bool) -> ExitCode {
    let env = Environment::from_process();
    let loaded = match config::load(CorsOptions::development(), config.as_deref(), flags, &env) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let built = loaded.options.build_for(loaded.build_profile());
    let opts = match &built {
        Ok(p) => p.options().clone(),
        Err(_) => loaded.options.clone(),
    };
    let rows = option_rows(&opts);
    if json {
        let mut options = serde_json::Map::new();
        for (key, value) in &rows {
            options.insert(
                key.to_string(),
                serde_json::json!({"value": value, "source": loaded.source_of(key).to_string()}),
            );
        }
        let out = serde_json::json!({
            "file": loaded.config_file.as_ref().map(|p| p.display().to_string()),
            "profile": loaded.profile.as_ref().map(|(n, s)| serde_json::json!({"name": n, "source": s.to_string(), "defined": loaded.profile_defined})),
            "listen": {"value": loaded.listen, "source": loaded.source_of("listen").to_string()},
            "gateway": loaded.gateway.rows().into_iter().map(|(k, v)| (k.to_string(), serde_json::json!({"value": v, "source": loaded.source_of(k).to_string()}))).collect::<serde_json::Map<_, _>>(),
            "options": options,
            "warnings": built.as_ref().map(|p| p.warnings().iter().map(|w| w.to_string()).collect::<Vec<_>>()).unwrap_or_default(),
            "notes": loaded.notes,
            "errors": built.as_ref().err().map(|e| e.0.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap_or_default(),
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        println!("# corsgate effective configuration");
        match &loaded.config_file {
            Some(p) => println!("# file: {}", p.display()),
            None => println!("# file: none (no corsgate.toml in this directory)"),
        }
        match &loaded.profile {
            Some((name, src)) => println!(
                "# profile: {name} (from {src}; {})",
                if loaded.profile_defined {
                    "applied"
                } else {
                    "no such [profile] in the file"
                }
            ),
            None => println!("# profile: none (set ENVIRONMENT or CORSGATE_ENV to select one)"),
        }
        let listen = toml::Value::String(loaded.listen.clone());
        println!(
            "{:<22} = {:<44} # {}",
            "listen",
            listen.to_string(),
            loaded.source_of("listen")
        );
        for (key, value) in rows.iter().chain(&loaded.gateway.rows()) {
            let shown = json_to_toml(value);
            println!("{key:<22} = {shown:<44} # {}", loaded.source_of(key));
        }
    }
    for note in &loaded.notes {
        eprintln!("warning: {note}");
    }
    match built {
        Ok(policy) => {
            for w in policy.warnings() {
                eprintln!("warning: {w}  [{}]", loaded.source_of(&w.option));
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
                eprintln!("  set by: {}", sources_line(&loaded, e));
            }
            ExitCode::from(2)
        }
    }
}

fn option_rows(o: &CorsOptions) -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    vec![
        ("allow_origins", json!(o.allow_origins)),
        ("allow_origin_regex", json!(o.allow_origin_regex)),
        ("allow_methods", json!(o.allow_methods)),
        ("allow_headers", json!(o.allow_headers)),
        ("allow_credentials", json!(o.allow_credentials)),
        ("expose_headers", json!(o.expose_headers)),
        ("max_age", json!(o.max_age)),
        ("allow_private_network", json!(o.allow_private_network)),
        ("allow_null_origin", json!(o.allow_null_origin)),
        ("preflight_status", json!(o.preflight_status)),
        ("reject_status", json!(o.reject_status)),
        ("block_disallowed", json!(o.block_disallowed)),
        ("debug", json!(o.debug)),
    ]
}

/// TOML spelling of a value; an unset regex is shown as "" (TOML has no null; "" reads back as unset).
fn json_to_toml(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "\"\"".to_string(),
        serde_json::Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(json_to_toml).collect();
            format!("[{}]", inner.join(", "))
        }
        serde_json::Value::String(s) => toml::Value::String(s.clone()).to_string(),
        other => other.to_string(),
    }
}

/// Colour only on a terminal, and never with NO_COLOR.
pub fn use_colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
