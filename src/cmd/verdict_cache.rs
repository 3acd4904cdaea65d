//! Recent "ready" verdicts, so that `ssm-check proxy` (run by ssh for every connection) answers at once for a target
//! it has just checked. Kept under the user's cache directory (`~/.cache/ssm-check` on Linux) in a directory only
//! the user can read (0700), one file (0600) per target, profile, region, mode and port, holding the verdict and
//! its time — never credentials. Only ready verdicts are kept: a target that was not ready is checked again, so a
//! fix shows at once. An entry that does not parse, or names another key, is ignored.
//!
//! A forged "ready" entry would let `proxy` skip the check, so nothing in the cache is trusted unless this user
//! made it: the directory and each entry must be owned by the effective user (root included: a root run does not
//! read a cache another user owns), an entry is opened without following a symbolic link and without blocking,
//! and must be a regular file of at most [`MAX_ENTRY_BYTES`]. An entry that fails any of this is removed.

use serde::{Deserialize, Serialize};
use ssm_check::options::Options;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CACHE_VERSION: u32 = 1;

/// An entry is a key and a one-line summary: a few hundred bytes. Anything larger is not ours.
pub const MAX_ENTRY_BYTES: u64 = 4096;

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

    /// The summary of a ready verdict on `key` younger than `ttl`; an entry this user did not write is removed.
    pub fn fresh(&self, key: &Key, ttl: Duration) -> Option<String> {
        let path = self.dir.join(key.file_name());
        let text = match read_entry(&path) {
            Ok(text) => text,
            Err(Rejected::Missing) => return None,
            Err(Rejected::Untrusted) => {
                let _ = std::fs::remove_file(&path);
                return None;
            }
        };
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

/// Why an entry is not read.
enum Rejected {
    /// There is none (or it cannot be opened at all).
    Missing,
    /// There is one this user did not make: not a regular file, a link, another owner, too large.
    Untrusted,
}

#[cfg(unix)]
fn read_entry(path: &Path) -> Result<String, Rejected> {
    use std::io::Read;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    // No following a link (to /dev/zero, to another user's file), no waiting on a FIFO with no writer.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Rejected::Missing),
        // ELOOP: the entry is a symbolic link.
        Err(_) => return Err(Rejected::Untrusted),
    };
    let meta = file.metadata().map_err(|_| Rejected::Untrusted)?;
    if !meta.is_file() || meta.uid() != effective_uid() || meta.len() > MAX_ENTRY_BYTES {
        return Err(Rejected::Untrusted);
    }
    let mut text = String::new();
    file.take(MAX_ENTRY_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|_| Rejected::Untrusted)?;
    if text.len() as u64 > MAX_ENTRY_BYTES {
        return Err(Rejected::Untrusted);
    }
    Ok(text)
}

#[cfg(not(unix))]
fn read_entry(path: &Path) -> Result<String, Rejected> {
    use std::io::Read;
    let meta = std::fs::symlink_metadata(path).map_err(|_| Rejected::Missing)?;
    if !meta.is_file() || meta.len() > MAX_ENTRY_BYTES {
        return Err(Rejected::Untrusted);
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(|_| Rejected::Missing)?
        .take(MAX_ENTRY_BYTES)
        .read_to_string(&mut text)
        .map_err(|_| Rejected::Untrusted)?;
    Ok(text)
}

#[cfg(unix)]
fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(unix)]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return Err(std::io::Error::other("not a directory"));
    }
    // Another user's directory (say, a HOME kept across sudo) could hold entries they wrote: not ours to trust.
    if meta.uid() != effective_uid() {
        return Err(std::io::Error::other("owned by another user"));
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

    /// A ready entry for `key`, as this user would have written it.
    #[cfg(unix)]
    fn ready_entry(k: &Key) -> String {
        serde_json::to_string(&Entry {
            cache_version: CACHE_VERSION,
            key: k.clone(),
            ready: true,
            summary: "forged".into(),
            checked_at: now(),
        })
        .unwrap()
    }

    #[cfg(unix)]
    #[test]
    fn entries_this_user_did_not_write_are_dropped_without_hanging() {
        let home = tempfile::tempdir().unwrap();
        let cache = Cache::at(home.path()).unwrap();
        let k = key();
        let path = home.path().join(k.file_name());
        let ttl = Duration::from_secs(300);
        let elsewhere = home.path().join("elsewhere.json");
        std::fs::write(&elsewhere, ready_entry(&k)).unwrap();
        // A link to a valid entry, to /dev/zero, a FIFO with no writer, a valid entry padded past the cap.
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        assert_eq!(
            cache.fresh(&k, ttl),
            None,
            "a symbolic link is not followed"
        );
        assert!(std::fs::symlink_metadata(&path).is_err(), "and is removed");
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        assert_eq!(cache.fresh(&k, ttl), None);
        let fifo = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(fifo.success());
        assert_eq!(cache.fresh(&k, ttl), None, "a FIFO is not waited on");
        assert!(std::fs::symlink_metadata(&path).is_err());
        let padded = format!(
            "{}{}",
            ready_entry(&k),
            " ".repeat(MAX_ENTRY_BYTES as usize)
        );
        std::fs::write(&path, padded).unwrap();
        assert_eq!(cache.fresh(&k, ttl), None, "larger than the cap");
        // The same entry, small and ours, is trusted.
        std::fs::write(&path, ready_entry(&k)).unwrap();
        assert_eq!(cache.fresh(&k, ttl).as_deref(), Some("forged"));
    }

    /// Another owner needs root to arrange (chown); as root, the check must still hold.
    #[cfg(unix)]
    #[test]
    fn an_entry_or_a_directory_of_another_owner_is_not_trusted() {
        let home = tempfile::tempdir().unwrap();
        let cache = Cache::at(home.path()).unwrap();
        let k = key();
        let path = home.path().join(k.file_name());
        std::fs::write(&path, ready_entry(&k)).unwrap();
        let other = effective_uid() + 4242;
        if std::os::unix::fs::chown(&path, Some(other), None).is_err() {
            eprintln!("not root: another owner cannot be arranged");
            return;
        }
        assert_eq!(cache.fresh(&k, Duration::from_secs(300)), None);
        assert!(!path.exists(), "dropped");
        let dir = home.path().join("theirs");
        std::fs::create_dir(&dir).unwrap();
        std::os::unix::fs::chown(&dir, Some(other), None).unwrap();
        assert!(
            Cache::at(&dir).is_none(),
            "a directory of another user is not used"
        );
    }
}
