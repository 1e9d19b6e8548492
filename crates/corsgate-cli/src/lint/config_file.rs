//! Lints a `corsgate.toml`: the file is loaded by the same loader as `serve` (once for the top
//! level and once per `[profile.NAME]`, without `.env` or environment variables: lint judges the
//! file), each result is validated by the engine (`build_for`, production warnings for
//! `production`/`prod`), and every error and warning is placed at the key or list entry that
//! caused it. Production profiles also get rules of their own.

use super::{Diagnostic, Level, Lines};
use crate::config::{self, Environment, FlagValues, Source};
use corsgate::{CorsOptions, Profile};
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};

/// Where a key and its value (and each string in a list value) are in the file.
#[derive(Clone, Debug, Default)]
struct Place {
    key: usize,
    items: Vec<(String, usize)>,
}

/// Keyed by ("" for the top level, or the profile name) and option name.
type Places = BTreeMap<(String, String), Place>;

pub fn lint(text: &str, path: &Path) -> Result<Vec<Diagnostic>, Diagnostic> {
    let lines = Lines::new(text);
    let doc = DeTable::parse(text).map_err(|e| {
        lines.diag(
            e.span().map_or(0, |s| s.start),
            Level::Error,
            "toml-syntax",
            format!("not valid TOML: {}", e.message().trim_end()),
            "fix the TOML syntax (strings in double quotes, lists in [ ], one key = value per line)",
        )
    })?;
    let mut out = Vec::new();
    let mut places = Places::new();
    let mut profiles: Vec<(String, usize)> = Vec::new();
    let known: Vec<&str> = CorsOptions::NAMES
        .iter()
        .chain(config::SERVE_KEYS)
        .copied()
        .collect();
    for (key, value) in doc.get_ref().iter() {
        let name = key.get_ref().as_ref();
        if name == "profile" {
            if let DeValue::Table(t) = value.get_ref() {
                for (pname, pvalue) in t.iter() {
                    profiles.push((pname.get_ref().to_string(), pname.span().start));
                    if let DeValue::Table(pt) = pvalue.get_ref() {
                        collect(pt, pname.get_ref(), &known, &lines, &mut places, &mut out);
                    }
                }
            }
            continue;
        }
        place(
            name,
            "",
            key.span(),
            value,
            &known,
            &lines,
            &mut places,
            &mut out,
        );
    }
    if !out.is_empty() {
        // Unknown options stop the loader at the first one; all of them are reported above.
        return Ok(out);
    }

    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    // The loader reads `.env` from its working directory; lint judges the file alone, so it
    // points the loader at a directory that does not exist.
    let nowhere = absolute
        .parent()
        .unwrap_or(Path::new("/"))
        .join(".corsgate-lint-reads-no-dotenv");
    let mut reported: HashSet<(String, String, String)> = HashSet::new();
    let runs = std::iter::once(None).chain(profiles.iter().map(|(n, o)| Some((n.clone(), *o))));
    for run in runs {
        let mut vars = BTreeMap::new();
        if let Some((name, _)) = &run {
            vars.insert("CORSGATE_ENV".to_string(), name.clone());
        }
        let env = Environment {
            vars,
            cwd: nowhere.clone(),
        };
        let loaded = match config::load(
            CorsOptions::development(),
            Some(&absolute),
            &FlagValues::default(),
            &env,
        ) {
            Ok(l) => l,
            Err(e) => {
                out.push(load_error(&e.0, &absolute, &places, &lines));
                break;
            }
        };
        let profile_name = run.as_ref().map(|(n, _)| n.as_str());
        let header = run.as_ref().map_or(0, |(_, o)| *o);
        let prefix = profile_name
            .map(|n| format!("[profile.{n}] "))
            .unwrap_or_default();
        let locate = |option: &str, value: &str| -> (usize, bool) {
            let table = match loaded.source_of(option) {
                Source::Profile { name, .. } => name,
                Source::File(_) => String::new(),
                _ => return (header, false),
            };
            let inherited = profile_name.is_some() && table.is_empty();
            match places.get(&(table, option.to_string())) {
                Some(p) => (
                    p.items
                        .iter()
                        .find(|(s, _)| s == value || s.trim() == value.trim())
                        .map_or(p.key, |(_, o)| *o),
                    inherited,
                ),
                None => (header, inherited),
            }
        };
        let production = loaded.build_profile() == Profile::Production;
        let built = loaded.options.build_for(if production {
            Profile::Production
        } else {
            Profile::Development
        });
        let inherits = |option: &str, inherited: bool| {
            if inherited {
                format!("{prefix}inherits {option} from the top level: ")
            } else {
                prefix.clone()
            }
        };
        match &built {
            Ok(policy) => {
                for w in policy.warnings() {
                    let seen = (w.option.clone(), w.value.clone(), w.message.clone());
                    if !reported.insert(seen) {
                        continue;
                    }
                    let (at, inherited) = locate(&w.option, &w.value);
                    let (message, fix) = split_fix(&w.message, &w.option);
                    let shown = if w.value.is_empty() {
                        format!("{}: {message}", w.option)
                    } else {
                        format!("{}: {:?}: {message}", w.option, w.value)
                    };
                    out.push(lines.diag(
                        at,
                        Level::Warning,
                        "config-warning",
                        format!("{}{shown}", inherits(&w.option, inherited)),
                        fix,
                    ));
                }
            }
            Err(errors) => {
                for e in &errors.0 {
                    let seen = (e.option.clone(), e.value.clone(), e.problem.clone());
                    if !reported.insert(seen) {
                        continue;
                    }
                    let (at, inherited) = locate(&e.option, &e.value);
                    out.push(
                        lines.diag(
                            at,
                            Level::Error,
                            "config-error",
                            format!("{}{e}", inherits(&e.option, inherited))
                                .split("\n  fix:")
                                .next()
                                .unwrap_or_default()
                                .to_string(),
                            e.fix.clone(),
                        ),
                    );
                }
            }
        }
        if production {
            let o = &loaded.options;
            let name = profile_name.unwrap_or("production");
            for origin in &o.allow_origins {
                if is_local(origin) {
                    let (at, inherited) = locate("allow_origins", origin);
                    out.push(lines.diag(
                        at,
                        Level::Warning,
                        "production-localhost",
                        format!("{}{origin:?} is a local development origin in the production profile: any program serving a page on a user's machine could call the API{}", inherits("allow_origins", inherited), if o.allow_credentials { " with their cookies" } else { "" }),
                        format!("list only the deployed frontends under [profile.{name}]: allow_origins = [\"https://myapp.com\"]"),
                    ));
                }
            }
            if o.allow_origins.iter().any(|x| x.trim() == "*") && !o.allow_credentials {
                let (at, inherited) = locate("allow_origins", "*");
                out.push(lines.diag(
                    at,
                    Level::Warning,
                    "production-wildcard",
                    format!("{}allow_origins = [\"*\"] in the production profile: every website can read these responses (without cookies); right for a public API only", inherits("allow_origins", inherited)),
                    format!("list the deployed frontends under [profile.{name}], or keep \"*\" if the data is public"),
                ));
            }
            if o.debug {
                let (at, inherited) = locate("debug", "true");
                out.push(lines.diag(
                    at,
                    Level::Warning,
                    "production-debug",
                    format!("{}debug = true in the production profile: rejection reasons go into response bodies and tell any site what the policy allows", inherits("debug", inherited)),
                    format!("set debug = false under [profile.{name}]"),
                ));
            }
        }
    }
    let has_production = profiles
        .iter()
        .any(|(n, _)| matches!(n.to_ascii_lowercase().as_str(), "production" | "prod"));
    if !has_production && !out.iter().any(|d| d.level == Level::Error) {
        let env = Environment {
            vars: BTreeMap::new(),
            cwd: nowhere,
        };
        if let Ok(base) = config::load(
            CorsOptions::development(),
            Some(&absolute),
            &FlagValues::default(),
            &env,
        ) {
            if base.options.allow_origins.iter().any(|o| is_local(o)) {
                let at = places
                    .get(&(String::new(), "allow_origins".to_string()))
                    .map_or(0, |p| p.key);
                let from = match base.source_of("allow_origins") {
                    Source::Default => "serve's built-in development origins",
                    _ => "local development origins",
                };
                out.push(lines.diag(
                    at,
                    Level::Note,
                    "no-production-profile",
                    format!("there is no [profile.production]: with ENVIRONMENT=production this file still allows {from}"),
                    "add [profile.production] with allow_origins = [\"https://myapp.com\"] (the deployed frontends)",
                ));
            }
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn place(
    name: &str,
    table: &str,
    key_span: Range<usize>,
    value: &toml::Spanned<DeValue<'_>>,
    known: &[&str],
    lines: &Lines<'_>,
    places: &mut Places,
    out: &mut Vec<Diagnostic>,
) {
    if !known.contains(&name) {
        let where_ = if table.is_empty() {
            String::new()
        } else {
            format!(" in [profile.{table}]")
        };
        out.push(lines.diag(
            key_span.start,
            Level::Error,
            "unknown-option",
            format!(
                "unknown option `{name}`{where_}{}",
                config::suggest(name, known.iter().copied())
            ),
            format!("known options are {}", known.join(", ")),
        ));
        return;
    }
    let items = match value.get_ref() {
        DeValue::Array(a) => a
            .iter()
            .filter_map(|v| {
                v.get_ref()
                    .as_str()
                    .map(|s| (s.to_string(), v.span().start))
            })
            .collect(),
        DeValue::String(s) => vec![(s.to_string(), value.span().start)],
        _ => vec![(value_text(value.get_ref()), value.span().start)],
    };
    places.insert(
        (table.to_string(), name.to_string()),
        Place {
            key: key_span.start,
            items,
        },
    );
}

fn collect(
    t: &DeTable<'_>,
    profile: &str,
    known: &[&str],
    lines: &Lines<'_>,
    places: &mut Places,
    out: &mut Vec<Diagnostic>,
) {
    for (key, value) in t.iter() {
        place(
            key.get_ref(),
            profile,
            key.span(),
            value,
            known,
            lines,
            places,
            out,
        );
    }
}

fn value_text(v: &DeValue<'_>) -> String {
    match v {
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Integer(i) => i.as_str().to_string(),
        _ => String::new(),
    }
}

/// A loader error names the key in backticks (`profile.production.allow_origins`); place it there.
fn load_error(message: &str, path: &Path, places: &Places, lines: &Lines<'_>) -> Diagnostic {
    let text = message
        .strip_prefix(&format!("{}: ", path.display()))
        .unwrap_or(message);
    let (problem, fix) = match text.split_once("\n  fix: ") {
        Some((p, f)) => (p.to_string(), f.to_string()),
        None => (
            text.to_string(),
            "write the value in the form the message asks for".to_string(),
        ),
    };
    let key = text
        .split('`')
        .nth(1)
        .unwrap_or("")
        .trim_start_matches("profile.");
    let (table, option) = match key.rsplit_once('.') {
        Some((t, o)) => (t.to_string(), o.to_string()),
        None => (String::new(), key.to_string()),
    };
    let at = places.get(&(table, option)).map_or(0, |p| p.key);
    lines.diag(at, Level::Error, "invalid-value", problem, fix)
}

/// An origin (or pattern) on the user's own machine.
fn is_local(origin: &str) -> bool {
    let Some((_, rest)) = origin.split_once("://") else {
        return false;
    };
    let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
    matches!(
        host.trim_end_matches('/'),
        "localhost" | "127.0.0.1" | "[::1]"
    ) || host.ends_with(".localhost")
}

/// Engine warnings carry their fix after the last "; " when it is an instruction.
fn split_fix(message: &str, option: &str) -> (String, String) {
    const VERBS: &[&str] = &[
        "write ", "anchor ", "start ", "add ", "serve ", "use ", "remove ", "set ", "list ",
    ];
    if let Some((m, f)) = message.rsplit_once("; ") {
        if VERBS.iter().any(|v| f.starts_with(v)) {
            return (m.to_string(), f.to_string());
        }
    }
    let fix = match option {
        "allow_origins" => "write each origin exactly as browsers send it: scheme://host[:port], lower case, no path, no default port",
        "allow_origin_regex" => "escape literal dots and anchor the domain: https://([a-z0-9-]+\\.)*myapp\\.com",
        "allow_null_origin" => "set allow_null_origin = false unless a sandboxed page must call the API",
        "max_age" => "set max_age = 7200 or less",
        _ => "remove the entry",
    };
    (message.to_string(), fix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_origins() {
        assert!(is_local("http://localhost:3000"));
        assert!(is_local("http://localhost:*"));
        assert!(is_local("http://127.0.0.1"));
        assert!(is_local("http://[::1]:5173"));
        assert!(is_local("http://app.localhost:3000"));
        assert!(!is_local("https://myapp.com"));
        assert!(!is_local("*"));
    }

    #[test]
    fn fixes_split_from_engine_messages() {
        let (m, f) = split_fix(
            "contains an unescaped '.'; write \\. for a literal dot",
            "x",
        );
        assert_eq!(m, "contains an unescaped '.'");
        assert_eq!(f, "write \\. for a literal dot");
        let (m, f) = split_fix(
            "Chrome caches preflights for at most 7200 seconds",
            "max_age",
        );
        assert_eq!(m, "Chrome caches preflights for at most 7200 seconds");
        assert_eq!(f, "set max_age = 7200 or less");
    }
}
