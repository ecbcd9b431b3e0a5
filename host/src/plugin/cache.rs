//! The compiled-artifact cache on disk: a restart, or a reload of an
//! unchanged plugin, skips Cranelift (seconds for Python and JavaScript
//! plugins) and deserialises the machine code instead (milliseconds).
//!
//! An entry is keyed by the plugin file's sha256 and a hash of everything
//! that makes compiled code compatible — wasmtime's version and the engine's
//! configuration — so a wasmtime upgrade or a config change never loads a
//! stale entry. Each entry starts with the sha256 of the rest of the file,
//! checked before the bytes are handed to wasmtime: a truncated or corrupted
//! entry is detected, logged, removed and recompiled, never trusted blindly.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where the cache lives when the configuration does not say: the user's
/// cache directory.
pub fn default_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("escalator").join("compiled"))
}

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

/// The on-disk cache of one engine.
pub struct ArtifactCache {
    dir: PathBuf,
    engine_key: String,
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
        // The exact wasmtime release too: the compatibility hash covers the
        // configuration, the version is belt and braces.
        env!("CARGO_PKG_VERSION").hash(&mut h);
        let engine_key = hex::encode(&h.0.finalize()[..8]);
        ArtifactCache { dir, engine_key }
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
            return Ok((component, Origin::Cached));
        }
        let artifact = engine.precompile_component(bytes)?;
        if let Err(e) = self.write(&path, &artifact) {
            tracing::warn!(path = %path.display(), "cannot write the compiled-plugin cache: {e}");
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

    fn wat_bytes() -> Vec<u8> {
        wat::parse_str(COMPONENT).unwrap()
    }
}
