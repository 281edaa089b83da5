//! The `-L PATH` prefix (qemu-user's interpreter prefix): an absolute path
//! the guest names is looked up under the prefix first and used from there
//! when it exists there, else as it is. Applies to the interpreter and to
//! the path arguments of the open, stat, access and readlink families.

use std::borrow::Cow;
use std::path::Path;

/// The prefix for absolute guest paths (none: paths are used as given).
#[derive(Clone, Debug, Default)]
pub struct Sysroot {
    prefix: Option<String>,
}

impl Sysroot {
    /// A sysroot at `prefix` (trailing slashes ignored); `None` or an empty
    /// prefix leaves every path alone.
    pub fn new(prefix: Option<&str>) -> Sysroot {
        let prefix = prefix
            .map(|p| p.trim_end_matches('/'))
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        Sysroot { prefix }
    }

    /// True when a prefix is set.
    pub fn is_set(&self) -> bool {
        self.prefix.is_some()
    }

    /// The host path for guest path `path`: `PREFIX/path` when `path` is
    /// absolute and something (even a dangling symlink) exists there,
    /// else `path` unchanged.
    pub fn resolve<'a>(&self, path: &'a str) -> Cow<'a, str> {
        match &self.prefix {
            Some(prefix) if path.starts_with('/') => {
                let full = format!("{prefix}{path}");
                if Path::new(&full).symlink_metadata().is_ok() {
                    Cow::Owned(full)
                } else {
                    Cow::Borrowed(path)
                }
            }
            _ => Cow::Borrowed(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_path_wins_only_when_it_exists() {
        let dir = std::env::temp_dir().join(format!("ox86-sysroot-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        std::fs::write(dir.join("etc/only-here"), b"x").unwrap();
        let root = Sysroot::new(Some(&format!("{}/", dir.display())));
        let here = format!("{}/etc/only-here", dir.display());
        assert_eq!(root.resolve("/etc/only-here"), here.as_str());
        assert_eq!(root.resolve("/etc/not-there"), "/etc/not-there");
        assert_eq!(root.resolve("etc/only-here"), "etc/only-here");
        assert_eq!(
            Sysroot::new(None).resolve("/etc/only-here"),
            "/etc/only-here"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
