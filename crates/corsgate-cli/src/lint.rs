//! `corsgate lint [FILE]`: static checks of a `corsgate.toml` (the engine's validation errors
//! and warnings, per profile, plus production rules) or of a Python file using Starlette's or
//! FastAPI's `CORSMiddleware` (the FastAPI guide's mistakes). Compiler-style output
//! (`file:line:col: level: message`, then the fix) or `--json`.

mod config_file;
mod python;

use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct LintArgs {
    /// A corsgate.toml, or a Python file using CORSMiddleware (default: ./corsgate.toml).
    file: Option<PathBuf>,
    /// Print one JSON object instead of the diagnostics.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// One finding, at a place in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: usize,
    pub column: usize,
    pub level: Level,
    pub rule: &'static str,
    pub message: String,
    pub fix: String,
}

/// Byte offsets to 1-based line and column (in characters).
pub struct Lines<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(src: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Lines { src, starts }
    }

    pub fn locate(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let line = self.starts.partition_point(|s| *s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self
            .src
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line, column)
    }

    pub fn diag(
        &self,
        offset: usize,
        level: Level,
        rule: &'static str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = self.locate(offset);
        Diagnostic {
            line,
            column,
            level,
            rule,
            message: message.into(),
            fix: fix.into(),
        }
    }
}

/// What kind of file this is, from its name.
enum Kind {
    Python,
    Config,
}

pub fn run(args: LintArgs) -> ExitCode {
    let path = match &args.file {
        Some(p) => p.clone(),
        None => {
            let default = PathBuf::from("corsgate.toml");
            if !default.exists() {
                eprintln!("error: no FILE given and no corsgate.toml in this directory\n  fix: corsgate lint path/to/corsgate.toml, or corsgate lint app/main.py for a FastAPI/Starlette app");
                return ExitCode::from(2);
            }
            default
        }
    };
    let kind = match path.extension().and_then(|e| e.to_str()) {
        Some("py") | Some("pyw") => Kind::Python,
        Some("toml") => Kind::Config,
        _ => {
            eprintln!(
                "error: cannot tell what {} is\n  fix: corsgate lint takes a corsgate configuration file (.toml) or a Python file using CORSMiddleware (.py)",
                path.display()
            );
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read(&path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                eprintln!(
                    "error: {} is not UTF-8 text\n  fix: save it as UTF-8",
                    path.display()
                );
                return ExitCode::from(2);
            }
        },
        Err(e) => {
            eprintln!(
                "error: cannot read {}: {e}\n  fix: check the path",
                path.display()
            );
            return ExitCode::from(2);
        }
    };
    let shown = path.display().to_string();
    let result = match kind {
        // Parsing and walking Python recurse per nesting level; `python::lint` refuses
        // pathological nesting, and a thread with a roomy stack keeps a margin under that limit.
        Kind::Python => {
            let worker = std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn(move || python::lint(&text));
            match worker.map(|w| w.join()) {
                Ok(Ok(result)) => result,
                _ => {
                    eprintln!("error: could not lint {shown}: the linter thread failed");
                    return ExitCode::from(2);
                }
            }
        }
        Kind::Config => config_file::lint(&text, &path),
    };
    let (mut diagnostics, could_not_lint) = match result {
        Ok(d) => (d, false),
        Err(d) => (vec![d], true),
    };
    diagnostics.sort_by_key(|d| (d.line, d.column, d.level));
    diagnostics.dedup();
    let count = |l: Level| diagnostics.iter().filter(|d| d.level == l).count();
    let (errors, warnings, notes) = (
        count(Level::Error),
        count(Level::Warning),
        count(Level::Note),
    );
    if args.json {
        let value = json!({
            "file": shown,
            "kind": match kind { Kind::Python => "python", Kind::Config => "corsgate-config" },
            "diagnostics": diagnostics.iter().map(|d| json!({
                "line": d.line,
                "column": d.column,
                "level": d.level.as_str(),
                "rule": d.rule,
                "message": d.message,
                "fix": d.fix,
            })).collect::<Vec<_>>(),
            "errors": errors,
            "warnings": warnings,
            "notes": notes,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        print!("{}", render(&shown, &diagnostics));
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        if diagnostics.is_empty() {
            println!("{shown}: no problems found");
        } else {
            println!(
                "{shown}: {}, {}, {}",
                plural(errors, "error"),
                plural(warnings, "warning"),
                plural(notes, "note")
            );
        }
    }
    if could_not_lint {
        ExitCode::from(2)
    } else if errors + warnings > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn render(file: &str, diagnostics: &[Diagnostic]) -> String {
    let mut s = String::new();
    for d in diagnostics {
        s.push_str(&format!(
            "{file}:{}:{}: {}: {} [{}]\n",
            d.line,
            d.column,
            d.level.as_str(),
            d.message,
            d.rule
        ));
        for (i, line) in d.fix.lines().enumerate() {
            let lead = if i == 0 { "  fix: " } else { "       " };
            s.push_str(&format!("{lead}{line}\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let l = Lines::new("ab\ncdé\n\nx");
        assert_eq!(l.locate(0), (1, 1));
        assert_eq!(l.locate(1), (1, 2));
        assert_eq!(l.locate(3), (2, 1));
        // Columns count characters: 'é' is two bytes.
        assert_eq!(l.locate(7), (2, 4));
        assert_eq!(l.locate(8), (3, 1));
        assert_eq!(l.locate(9), (4, 1));
        assert_eq!(l.locate(999), (4, 2));
    }
}
