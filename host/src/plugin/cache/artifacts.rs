//! The compiled-artifact cache on disk: a restart, or a reload of an
//! unchanged plugin, skips Cranelift (seconds for Python and JavaScript
//! plugins) and deserialises the machine code instead (milliseconds).
//!
//! An entry is keyed by the plugin file's sha256 and a hash of everything
//! that makes compiled code compatible — wasmtime's compatibility hash (its
//! own version and the engine's configuration) and Escalator's version — so
//! an upgrade of either, or a config change, never loads a stale entry. Each entry starts with the sha256 of the rest of the file,
//! checked before the bytes are handed to wasmtime: a truncated or corrupted
//! entry is detected, logged, removed and recompiled, never trusted blindly.
//!
//! The cache is bounded: every new plugin version adds an entry (tens of MB
//! for an interpreter-based plugin), so after each write the least recently
//! used entries beyond [`MAX_BYTES`] are removed, and so are temporary files
//! that a crashed writer left behind.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Feeds `Hash` output into sha256, for a hash that is stable across runs.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        unreachable!("only the digest is used")
    }
}

/// The most the cache keeps on disk. An entry is about 40 MB for the Python
/// example and under 1 MB for a Rust plugin, so this holds dozens of
/// interpreter-based versions or thousands of Rust ones.
pub const MAX_BYTES: u64 = 1 << 30;

/// A temporary file older than this was left by a writer that died.
const STALE_TMP: Duration = Duration::from_secs(3600);

/// The on-disk cache of one engine.
pub struct ArtifactCache {
    dir: PathBuf,
    engine_key: String,
    max_bytes: u64,
}

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Compiled now (and stored, when a cache is configured).
    Compiled,
    /// Loaded from the cache.
    Cached,
}

impl ArtifactCache {
    /// A cache in `dir` for `engine`; the directory is created on first write.
    pub fn new(dir: PathBuf, engine: &Engine) -> ArtifactCache {
        let mut h = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut h);
        // wasmtime's hash covers its own version and the engine's settings;
        // Escalator's version is added because a release may change the
        // host interface the compiled code was linked against.
        env!("CARGO_PKG_VERSION").hash(&mut h);
        let engine_key = hex::encode(&h.0.finalize()[..8]);
        ArtifactCache {
            dir,
            engine_key,
            max_bytes: MAX_BYTES,
        }
    }

    fn entry(&self, wasm_sha256: &str) -> PathBuf {
        self.dir
            .join(format!("{wasm_sha256}-{}.cwasm", self.engine_key))
    }

    /// The compiled component of `bytes` (whose sha256 is `wasm_sha256`),
    /// from the cache when a sound entry exists, else compiled and stored.
    pub fn get_or_compile(
        &self,
        engine: &Engine,
        wasm_sha256: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, Origin)> {
        let path = self.entry(wasm_sha256);
        if let Some(component) = self.read(engine, &path) {
            touch(&path);
            return Ok((component, Origin::Cached));
        }
        let artifact = engine.precompile_component(bytes)?;
        match self.write(&path, &artifact) {
            Ok(()) => self.prune(&path),
            Err(e) => {
                tracing::warn!(path = %path.display(), "cannot write the compiled-plugin cache: {e}")
            }
        }
        Ok((deserialize(engine, &artifact)?, Origin::Compiled))
    }

    fn read(&self, engine: &Engine, path: &Path) -> Option<Component> {
        let data = std::fs::read(path).ok()?;
        let sound = data.len() > 32 && Sha256::digest(&data[32..])[..] == data[..32];
        let component = if sound {
            deserialize(engine, &data[32..]).ok()
        } else {
            None
        };
        if component.is_none() {
            tracing::warn!(path = %path.display(), "corrupt compiled-plugin cache entry; recompiling");
            let _ = std::fs::remove_file(path);
        }
        component
    }

    /// Removes the least recently used entries until the cache fits in
    /// `max_bytes` (`keep`, just written, always stays), and stale
    /// temporary files. Failures only cost disk space, so they are ignored.
    fn prune(&self, keep: &Path) {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        let mut entries = Vec::new();
        for entry in dir.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if extension == "cwasm" {
                entries.push((modified, meta.len(), path));
            } else if extension.starts_with("tmp")
                && now.duration_since(modified).unwrap_or_default() > STALE_TMP
            {
                let _ = std::fs::remove_file(&path);
            }
        }
        // Most recently used first; everything past the budget goes.
        entries.sort_by_key(|e| std::cmp::Reverse(e.0));
        let mut total = 0;
        for (_, len, path) in entries {
            total += len;
            if total > self.max_bytes && path != keep {
                tracing::info!(path = %path.display(), "compiled-plugin cache full; removing its least recently used entry");
                let _ = std::fs::remove_file(&path);
            }
        }
    }

    fn write(&self, path: &Path, artifact: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        // Written beside and renamed, so a reader never sees half an entry.
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut data = Sha256::digest(artifact).to_vec();
        data.extend_from_slice(artifact);
        std::fs::write(&tmp, &data)?;
        std::fs::rename(&tmp, path)
    }
}

/// Marks an entry as just used, for the least-recently-used order.
fn touch(path: &Path) {
    let _ = set_modified(path, SystemTime::now());
}

/// Sets a file's modification time.
fn set_modified(path: &Path, when: SystemTime) -> std::io::Result<()> {
    std::fs::File::options()
        .append(true)
        .open(path)?
        .set_modified(when)
}

/// Turns a precompiled artifact back into a component.
#[allow(unsafe_code)]
fn deserialize(engine: &Engine, artifact: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires that the bytes come from
    // `Engine::precompile_component` of a compatible engine, unmodified. They
    // were produced by this process just now, or read from a cache entry
    // whose embedded sha256 was verified above, under a key that includes
    // the engine's compatibility hash; wasmtime additionally checks the
    // artifact's header against this engine and refuses a mismatch.
    unsafe { Component::deserialize(engine, artifact) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPONENT: &str = r#"(component (core module) )"#;

    #[test]
    fn a_corrupt_entry_is_detected_and_recompiled() {
        let engine = Engine::default();
        let dir = tempfile::tempdir().unwrap();
        let cache = ArtifactCache::new(dir.path().to_owned(), &engine);
        let bytes = wat_bytes();
        let sha = hex::encode(Sha256::digest(&bytes));
        let (_, origin) = cache.get_or_compile(&engine, &sha, &bytes).unwrap();
        assert_eq!(origin, Origin::Compiled);
        let (_, origin) = cache.get_or_compile(&engine, &sha, &bytes).unwrap();
        assert_eq!(origin, Origin::Cached);

        // Flip one byte of the artifact: the checksum catches it.
        let entry = cache.entry(&sha);
        let mut data = std::fs::read(&entry).unwrap();
        let last = data.len() - 1;
        data[last] ^= 0xff;
        std::fs::write(&entry, &data).unwrap();
        let (_, origin) = cache.get_or_compile(&engine, &sha, &bytes).unwrap();
        assert_eq!(origin, Origin::Compiled);

        // Truncate it: the same.
        std::fs::write(&entry, &data[..10]).unwrap();
        let (_, origin) = cache.get_or_compile(&engine, &sha, &bytes).unwrap();
        assert_eq!(origin, Origin::Compiled);
        assert_eq!(
            cache.get_or_compile(&engine, &sha, &bytes).unwrap().1,
            Origin::Cached
        );
    }

    #[test]
    fn a_different_engine_configuration_uses_other_entries() {
        let a = Engine::default();
        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        let b = Engine::new(&config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ka = ArtifactCache::new(dir.path().to_owned(), &a);
        let kb = ArtifactCache::new(dir.path().to_owned(), &b);
        assert_ne!(ka.engine_key, kb.engine_key);
    }

    #[test]
    fn the_least_recently_used_entries_go_when_the_cache_is_full() {
        let engine = Engine::default();
        let dir = tempfile::tempdir().unwrap();
        let mut cache = ArtifactCache::new(dir.path().to_owned(), &engine);
        let component = |funcs: usize| {
            let bytes = wat::parse_str(format!(
                "(component (core module {}))",
                "(func)".repeat(funcs)
            ))
            .unwrap();
            let sha = hex::encode(Sha256::digest(&bytes));
            (bytes, sha)
        };
        let get = |cache: &ArtifactCache, (bytes, sha): &(Vec<u8>, String)| {
            // Entries' modification times order them; keep steps apart.
            std::thread::sleep(Duration::from_millis(20));
            cache.get_or_compile(&engine, sha, bytes).unwrap().1
        };
        let (a, b, c) = (component(1), component(2), component(3));
        assert_eq!(get(&cache, &a), Origin::Compiled);
        let size = std::fs::metadata(cache.entry(&a.1)).unwrap().len();
        // Room for two entries, not three.
        cache.max_bytes = size * 5 / 2;
        assert_eq!(get(&cache, &b), Origin::Compiled);
        assert_eq!(get(&cache, &a), Origin::Cached); // now `b` is the oldest
        let stale = dir.path().join("x.tmp42");
        std::fs::write(&stale, b"half an entry").unwrap();
        set_modified(&stale, SystemTime::now() - 2 * STALE_TMP).unwrap();
        assert_eq!(get(&cache, &c), Origin::Compiled);

        assert!(cache.entry(&a.1).exists());
        assert!(!cache.entry(&b.1).exists(), "the least recently used goes");
        assert!(cache.entry(&c.1).exists());
        assert!(!stale.exists(), "a dead writer's temporary file goes");
        assert_eq!(get(&cache, &b), Origin::Compiled);
        assert_eq!(get(&cache, &c), Origin::Cached);
    }

    fn wat_bytes() -> Vec<u8> {
        wat::parse_str(COMPONENT).unwrap()
    }
}
