//! `escalator keygen`, `sign` and `verify`: signing keys, detached plugin
//! signatures, and the server's verify step run by hand.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use zeroize::Zeroizing;

use super::load;
use crate::plugin::file::name_of;
use crate::plugin::gate;
use crate::plugin::sha256_hex;
use crate::signing::{self, Document, PublicKey, SecretKey, Verification};

/// `path` with `suffix` added to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Runs `keygen`: `NAME.key` (the secret key, readable by its owner only)
/// and `NAME.pub` (the public key, to trust in `[trust] keys`).
pub fn keygen(out_base: &Path, out: &mut dyn Write) -> anyhow::Result<i32> {
    let (secret_path, public_path) = (with_suffix(out_base, ".key"), with_suffix(out_base, ".pub"));
    for path in [&secret_path, &public_path] {
        if path.exists() {
            bail!(
                "{} already exists; a key is never overwritten (choose another --out)",
                path.display()
            );
        }
    }
    let secret = SecretKey::generate().map_err(anyhow::Error::msg)?;
    let public = secret.public_key();
    // Created with its final mode, so the secret is never readable by
    // others, not even for a moment.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&secret_path)
        .with_context(|| format!("cannot create {}", secret_path.display()))?;
    let text = Zeroizing::new(format!("{}\n", &*secret.to_text()));
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", secret_path.display()))?;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&public_path)
        .and_then(|mut f| f.write_all(format!("{public}\n").as_bytes()))
        .with_context(|| format!("cannot write {}", public_path.display()))?;
    let name = out_base
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "key".into());
    writeln!(
        out,
        "secret key  {} (mode 0600; keep it secret: it signs plugins)",
        secret_path.display()
    )?;
    writeln!(out, "public key  {}", public_path.display())?;
    writeln!(out, "key id      {}", public.key_id())?;
    writeln!(out, "trust it with")?;
    writeln!(out, "  [trust]")?;
    writeln!(out, "  keys = {{ {name} = \"{public}\" }}")?;
    Ok(0)
}

/// Runs `sign`: writes `PLUGIN.sig` beside the plugin file.
pub fn sign(plugin: &Path, key: &Path, out: &mut dyn Write) -> anyhow::Result<i32> {
    let meta =
        std::fs::metadata(key).with_context(|| format!("cannot read key {}", key.display()))?;
    let text = Zeroizing::new(
        std::fs::read_to_string(key)
            .with_context(|| format!("cannot read key {}", key.display()))?,
    );
    let secret =
        SecretKey::parse(&text).map_err(|e| anyhow::anyhow!("key {}: {e}", key.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        writeln!(
            out,
            "warning: {} can be read by others (mode {mode:04o}); `chmod 600` it",
            key.display()
        )?;
    }
    let bytes =
        std::fs::read(plugin).with_context(|| format!("cannot read {}", plugin.display()))?;
    let document = Document::sign(&secret, &bytes);
    let target = signing::document_path(plugin);
    // Written beside and renamed over, so a watching server never reads a
    // half-written signature.
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = target.with_file_name(format!(".{file_name}.tmp"));
    std::fs::write(&temp, document.to_json())
        .and_then(|()| std::fs::rename(&temp, &target))
        .with_context(|| format!("cannot write {}", target.display()))?;
    writeln!(out, "signed      {}", plugin.display())?;
    writeln!(out, "digest      {}", document.digest)?;
    writeln!(out, "key id      {}", document.key_id)?;
    writeln!(out, "signature   {}", target.display())?;
    Ok(0)
}

/// Runs `verify`: the server's verify step, with signatures required, over
/// the keys of `--key` and of the config's `[trust]`.
pub fn verify(
    plugin: &Path,
    keys: &[String],
    config: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    let mut trust = load::config(config)?.trust;
    let name = name_of(plugin);
    for arg in keys {
        let (key_name, key) = read_public_key(arg)?;
        let key_name = match trust.keys.get(&key_name) {
            Some(k) if *k != key => format!("{key_name} (--key)"),
            _ => key_name,
        };
        // A key named on the command line may sign this plugin, whatever
        // the config restricts it to.
        if let Some(p) = trust.plugins.get_mut(&name) {
            p.keys.push(key_name.clone());
        }
        trust.keys.insert(key_name, key);
    }
    if trust.keys.is_empty() {
        bail!("no trusted keys: give --key PUBLIC_KEY_FILE, or a config (-c) with [trust] keys");
    }
    trust.require_signatures = true;
    let bytes =
        std::fs::read(plugin).with_context(|| format!("cannot read {}", plugin.display()))?;
    match gate::verify(&name, plugin, &sha256_hex(&bytes), &trust) {
        Ok(Verification::Verified(signer)) => {
            writeln!(out, "verified    {}", plugin.display())?;
            writeln!(out, "signer      {} (key id {})", signer.key, signer.key_id)?;
            writeln!(out, "digest      {}", signer.digest)?;
            Ok(0)
        }
        Ok(other) => bail!("signatures were required, yet the check returned {other:?}"),
        Err(failure) => {
            writeln!(out, "file        {}", plugin.display())?;
            writeln!(
                out,
                "FAILED at step `{}`: {}",
                failure.step, failure.message
            )?;
            Ok(1)
        }
    }
}

/// A `--key`: a public key file (named by its file name without extension)
/// or the key's text itself.
fn read_public_key(arg: &str) -> anyhow::Result<(String, PublicKey)> {
    if arg.trim().starts_with(signing::PUBLIC_PREFIX) {
        let key = PublicKey::parse(arg).map_err(anyhow::Error::msg)?;
        return Ok((key.key_id(), key));
    }
    let path = Path::new(arg);
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read key {arg}"))?;
    let key = PublicKey::parse(&text).map_err(|e| anyhow::anyhow!("key {arg}: {e}"))?;
    let name = path
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| key.key_id());
    Ok((name, key))
}
