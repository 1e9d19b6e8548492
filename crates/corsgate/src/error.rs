//! Configuration diagnostics: every error and warning names the option, the value, why, and the fix.

use std::fmt;

/// A configuration problem that stops the policy from being built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The option at fault, e.g. `allow_origins`.
    pub option: String,
    /// The offending value as written (may be empty when the problem is a combination).
    pub value: String,
    /// Why it cannot work.
    pub problem: String,
    /// What to write instead.
    pub fix: String,
}

impl ConfigError {
    pub(crate) fn new(
        option: &str,
        value: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        ConfigError {
            option: option.to_string(),
            value: value.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}: {}", self.option, self.problem)?;
        } else {
            write!(f, "{}: {:?}: {}", self.option, self.value, self.problem)?;
        }
        write!(f, "\n  fix: {}", self.fix)
    }
}

/// All the errors found in one configuration; building reports every one, not just the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "error: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A configuration that works but probably not as meant, or that was normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning {
    pub option: String,
    pub value: String,
    pub message: String,
}

impl ConfigWarning {
    pub(crate) fn new(option: &str, value: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigWarning {
            option: option.to_string(),
            value: value.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}: {}", self.option, self.message)
        } else {
            write!(f, "{}: {:?}: {}", self.option, self.value, self.message)
        }
    }
}
