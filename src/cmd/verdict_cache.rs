//! Recent "ready" verdicts, so that `ssm-check proxy` (run by ssh for every connection) answers at once for a target
//! it has just checked. Kept under the user's cache directory (`~/.cache/ssm-check` on Linux) in a directory only
//! the user can read (0700), one file (0600) per target, profile, region, mode and port, holding the verdict and
//! its time — never credentials. Only ready verdicts are kept: a target that was not ready is checked again, so a
//! fix shows at once. An entry that does not parse, or names another key, is ignored.

use serde::{Deserialize, Serialize};
use ssm_check::options::Options;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CACHE_VERSION: u32 = 1;

/// What a verdict is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    pub target: String,
    /// The profile as given (flag or `AWS_PROFILE`), empty for the default chain.
    pub profile: String,
    /// The region as given (flag or environment), empty for the profile's.
    pub region: String,
    pub mode: String,
    pub port: u16,
}

impl Key {
    pub fn new(
        target: &str,
        profile: Option<&str>,
        region: Option<&str>,
        options: &Options,
    ) -> Key {
        Key {
            target: target.into(),
            profile: profile.unwrap_or_default().into(),
            region: region.unwrap_or_default().into(),
            mode: options.mode.id().into(),
            port: options.port_or_default(),
        }
    }

    /// A file name that no key can turn into a path: unusual characters are spelled as hex.
    fn file_name(&self) -> String {
        let safe = |s: &str| {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                        c.to_string()
                    } else {
                        format!("_{:x}", c as u32)
                    }
                })
                .collect::<String>()
        };
        format!(
            "{}~{}~{}~{}~{}.json",
            safe(&self.target),
            safe(&self.profile),
            safe(&self.region),
            safe(&self.mode),
            self.port
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    cache_version: u32,
    key: Key,
    ready: bool,
    summary: String,
    /// Seconds since the Unix epoch.
    checked_at: u64,
}

pub struct Cache {
    dir: PathBuf,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Cache {
    /// The user's cache directory's `ssm-check`, made (or tightened) to 0700; `None` when that cannot be.
    pub fn open() -> Option<Cache> {
        Cache::at(&dirs::cache_dir()?.join("ssm-check"))
    }

    pub fn at(dir: &Path) -> Option<Cache> {
        private_dir(dir).ok()?;
        Some(Cache {
            dir: dir.to_path_buf(),
        })
    }

    /// The summary of a ready verdict on `key` younger than `ttl`.
    pub fn fresh(&self, key: &Key, ttl: Duration) -> Option<String> {
        let text = std::fs::read_to_string(self.dir.join(key.file_name())).ok()?;
        let entry: Entry = serde_json::from_str(&text).ok()?;
        let age = now().checked_sub(entry.checked_at)?;
        (entry.cache_version == CACHE_VERSION
            && &entry.key == key
            && entry.ready
            && age < ttl.as_secs())
        .then_some(entry.summary)
    }

    /// Keeps a ready verdict (and forgets an earlier one when not ready). Failing to write only costs speed.
    pub fn store(&self, key: &Key, ready: bool, summary: &str) {
        let path = self.dir.join(key.file_name());
        if !ready {
            let _ = std::fs::remove_file(&path);
            return;
        }
        let entry = Entry {
            cache_version: CACHE_VERSION,
            key: key.clone(),
            ready,
            summary: summary.into(),
            checked_at: now(),
        };
        let tmp = self
            .dir
            .join(format!(".{}.{}", key.file_name(), std::process::id()));
        let written = private_file(
            &tmp,
            serde_json::to_string(&entry)
                .expect("serialises")
                .as_bytes(),
        );
        if written.is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        } else {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

#[cfg(unix)]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return Err(std::io::Error::other("not a directory"));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    // Under %LOCALAPPDATA%, which only the user can read.
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn private_file(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)
}

#[cfg(not(unix))]
fn private_file(path: &Path, data: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssm_check::options::Mode;

    fn key() -> Key {
        Key::new(
            "i-0123456789abcdef0",
            Some("prod/../../x"),
            Some("eu-west-1"),
            &Options {
                port: Some(22),
                ..Options::new(Mode::Ssh)
            },
        )
    }

    #[test]
    fn keeps_ready_verdicts_for_their_time_only() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("cache").join("ssm-check");
        let cache = Cache::at(&dir).unwrap();
        let k = key();
        assert_eq!(cache.fresh(&k, Duration::from_secs(300)), None);
        cache.store(&k, true, "ready for SSH");
        assert_eq!(
            cache.fresh(&k, Duration::from_secs(300)).as_deref(),
            Some("ready for SSH")
        );
        assert_eq!(
            cache.fresh(&k, Duration::ZERO),
            None,
            "a zero ttl never hits"
        );
        let other = Key {
            port: 2222,
            ..k.clone()
        };
        assert_eq!(cache.fresh(&other, Duration::from_secs(300)), None);
        // A key cannot name a path outside the directory.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        cache.store(&k, false, "not ready");
        assert_eq!(cache.fresh(&k, Duration::from_secs(300)), None);
    }

    #[test]
    fn an_entry_that_does_not_parse_is_ignored() {
        let home = tempfile::tempdir().unwrap();
        let cache = Cache::at(home.path()).unwrap();
        let k = key();
        std::fs::write(home.path().join(k.file_name()), "{not json").unwrap();
        assert_eq!(cache.fresh(&k, Duration::from_secs(300)), None);
        std::fs::write(
            home.path().join(k.file_name()),
            r#"{"cache_version":1,"key":{"target":"i-0aaaaaaaaaaaaaaa1","profile":"","region":"","mode":"ssh","port":22},"ready":true,"summary":"x","checked_at":99999999999}"#,
        )
        .unwrap();
        assert_eq!(
            cache.fresh(&k, Duration::from_secs(300)),
            None,
            "another key's verdict, or one from the future"
        );
    }

    #[cfg(unix)]
    #[test]
    fn only_the_user_can_read_it() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("ssm-check");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cache = Cache::at(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "tightened");
        cache.store(&key(), true, "ready");
        let file = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap();
        assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert!(!text.contains("AKIA") && !text.to_lowercase().contains("secret"));
    }
}
