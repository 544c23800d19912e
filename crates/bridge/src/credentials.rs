//! Broker credentials come from the environment or a file, never from
//! argv (where `ps` and the shell history would show them):
//! `TETHER_BROKER_USER` with `TETHER_BROKER_PASSWORD`, or with
//! `TETHER_BROKER_PASSWORD_FILE` (the file's first line).

use std::io::Read;

use crate::error::Error;

/// Longest password file read.
const MAX_FILE: u64 = 64 * 1024;

/// A user name and password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Credentials {{ user: {:?}, password: <hidden> }}",
            self.user
        )
    }
}

impl Credentials {
    /// From the process environment.
    pub fn from_env() -> Result<Option<Credentials>, Error> {
        Credentials::from_vars(|name| std::env::var(name).ok())
    }

    /// From variables looked up by `var` (the environment, or a test's map).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Credentials>, Error> {
        let Some(user) = var("TETHER_BROKER_USER") else {
            return Ok(None);
        };
        let password = match (
            var("TETHER_BROKER_PASSWORD"),
            var("TETHER_BROKER_PASSWORD_FILE"),
        ) {
            (Some(p), _) => p,
            (None, Some(path)) => read_file(&path)?,
            (None, None) => String::new(),
        };
        Ok(Some(Credentials { user, password }))
    }
}

fn read_file(path: &str) -> Result<String, Error> {
    let fail = |why: String| Error::Credentials {
        path: path.to_owned(),
        why,
    };
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut text = String::new();
    file.take(MAX_FILE)
        .read_to_string(&mut text)
        .map_err(|e| fail(e.to_string()))?;
    Ok(text.lines().next().unwrap_or("").to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn from_variables_or_a_file() -> Result<(), Error> {
        assert_eq!(Credentials::from_vars(vars(&[]))?, None);
        let c = Credentials::from_vars(vars(&[
            ("TETHER_BROKER_USER", "u"),
            ("TETHER_BROKER_PASSWORD", "p"),
        ]))?;
        assert_eq!(c.as_ref().map(|c| c.password.as_str()), Some("p"));
        assert!(!format!("{c:?}").contains('p') || format!("{c:?}").contains("hidden"));
        let dir = std::env::temp_dir().join(format!("tether-cred-{}", std::process::id()));
        std::fs::write(&dir, "secret\nignored\n").map_err(|e| Error::Credentials {
            path: String::new(),
            why: e.to_string(),
        })?;
        let path = dir.to_string_lossy().into_owned();
        let c = Credentials::from_vars(vars(&[
            ("TETHER_BROKER_USER", "u"),
            ("TETHER_BROKER_PASSWORD_FILE", &path),
        ]))?;
        let _ = std::fs::remove_file(&dir);
        assert_eq!(c.map(|c| c.password), Some("secret".to_owned()));
        let missing = Credentials::from_vars(vars(&[
            ("TETHER_BROKER_USER", "u"),
            ("TETHER_BROKER_PASSWORD_FILE", "/nonexistent/x"),
        ]));
        assert!(missing.is_err());
        Ok(())
    }
}
