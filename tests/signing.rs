//! Signed plugins: keys, signatures and the verify step, from the command
//! line and in a running server whose plugins and `[trust]` change.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use escalator_integration_tests::{
    TestServer, conversation, escalator_cli, example_plugin, sha256_file, test_cache_dir, vote,
};
use serde_json::Value;

/// A key pair made by `escalator keygen` in `dir`: the secret key file and
/// the public key's text.
struct Key {
    secret: PathBuf,
    public_file: PathBuf,
    public: String,
}

fn keygen(dir: &Path, name: &str) -> Key {
    let base = dir.join(name);
    let (code, out) = escalator_cli(&["keygen", "--out", base.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let public_file = dir.join(format!("{name}.pub"));
    Key {
        secret: dir.join(format!("{name}.key")),
        public: std::fs::read_to_string(&public_file)
            .unwrap()
            .trim()
            .to_owned(),
        public_file,
    }
}

fn sign(plugin: &Path, key: &Key) {
    let (code, out) = escalator_cli(&[
        "sign",
        plugin.to_str().unwrap(),
        "--key",
        key.secret.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
}

fn sig_of(plugin: &Path) -> PathBuf {
    let mut name = plugin.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// A `[trust]` section trusting `keys` (name, key).
fn trust(require: bool, keys: &[(&str, &Key)]) -> String {
    let keys: Vec<String> = keys
        .iter()
        .map(|(name, k)| format!("{name} = {:?}", k.public))
        .collect();
    format!(
        "[trust]\nrequire_signatures = {require}\nkeys = {{ {} }}\n",
        keys.join(", ")
    )
}

/// Any conversation: the flip fixtures vote on every one.
fn probe() -> Value {
    conversation(&[("customer", "Where is my parcel?", None)])
}

/// Copies example or fixture plugin `example` into `dir` as `name`.
fn install(dir: &Path, example: &str, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.wasm"));
    std::fs::copy(example_plugin(example), &path).unwrap();
    path
}

fn digest_of(path: &Path) -> String {
    format!("sha256:{}", sha256_file(path))
}

#[test]
fn keygen_sign_and_verify_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let release = keygen(dir.path(), "release");
    let mode = std::fs::metadata(&release.secret)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the secret key is its owner's alone");
    let secret = std::fs::read_to_string(&release.secret).unwrap();
    assert!(secret.starts_with("escalator-ed25519-secret:"), "{secret}");
    assert!(release.public.starts_with("escalator-ed25519-public:"));
    // A key is never overwritten.
    let (code, out) = escalator_cli(&[
        "keygen",
        "--out",
        dir.path().join("release").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("already exists"), "{out}");

    let plugin = install(dir.path(), "vip-accounts", "vip-accounts");
    sign(&plugin, &release);
    let doc: Value = serde_json::from_slice(&std::fs::read(sig_of(&plugin)).unwrap()).unwrap();
    assert_eq!(doc["format"], "escalator-signature/v1");
    assert_eq!(doc["public_key"], release.public.as_str());
    assert_eq!(doc["digest"], digest_of(&plugin));
    let key_id = doc["key_id"].as_str().unwrap().to_owned();
    assert_eq!(key_id.len(), 16);

    let p = plugin.to_str().unwrap();
    let public = release.public_file.to_str().unwrap();
    let (code, out) = escalator_cli(&["verify", p, "--key", public]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("release (key id {key_id})")), "{out}");
    assert!(out.contains(&digest_of(&plugin)), "{out}");

    // The config's [trust] keys, relative to the config file.
    let config = dir.path().join("escalator.toml");
    std::fs::write(&config, "[trust]\nkeys = { ci = \"release.pub\" }\n").unwrap();
    let (code, out) = escalator_cli(&["verify", p, "-c", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("ci (key id {key_id})")), "{out}");
    // `check` runs the verify step too, under the config's [trust].
    let (code, out) = escalator_cli(&["check", p, "-c", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("signature  verified: ci (key id {key_id})")),
        "{out}"
    );
    let unsigned = install(dir.path(), "topic-guard", "topic-guard");
    std::fs::write(
        &config,
        "[trust]\nrequire_signatures = true\nkeys = { ci = \"release.pub\" }\n",
    )
    .unwrap();
    let (code, out) = escalator_cli(&[
        "check",
        unsigned.to_str().unwrap(),
        "-c",
        config.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED at step `verify`"), "{out}");

    // Another key.
    let other = keygen(dir.path(), "other");
    let (code, out) = escalator_cli(&["verify", p, "--key", other.public_file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED at step `verify`"), "{out}");
    assert!(
        out.contains(&format!("key {key_id}, which is not a trusted key")),
        "{out}"
    );

    // No key at all is a usage error, not a verdict.
    let (code, out) = escalator_cli(&["verify", p]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no trusted keys"), "{out}");

    // One changed byte.
    let mut bytes = std::fs::read(&plugin).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&plugin, &bytes).unwrap();
    let (code, out) = escalator_cli(&["verify", p, "--key", public]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not match its signature"), "{out}");

    // No signature.
    std::fs::remove_file(sig_of(&plugin)).unwrap();
    let (code, out) = escalator_cli(&["verify", p, "--key", public]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not signed"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_signatures_required_only_trusted_untampered_signatures_load() {
    let keys = tempfile::tempdir().unwrap();
    let (release, vendor, stranger) = (
        keygen(keys.path(), "release"),
        keygen(keys.path(), "vendor"),
        keygen(keys.path(), "stranger"),
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = install(d, "flip-a", "rule");
    sign(&good, &release);
    install(d, "topic-guard", "unsigned");
    sign(&install(d, "loop-detector", "untrusted"), &stranger);
    let tampered = install(d, "vip-accounts", "tampered");
    sign(&tampered, &release);
    let mut bytes = std::fs::read(&tampered).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&tampered, &bytes).unwrap();
    // Trusted, but not one of the keys this plugin may be signed by.
    sign(&install(d, "dice", "vendor-only"), &release);
    let garbled = install(d, "vip-accounts", "garbled");
    std::fs::write(sig_of(&garbled), b"{\"format\": \"escalator-signature/v1\"").unwrap();

    let config = trust(true, &[("release", &release), ("vendor", &vendor)])
        + "[trust.plugins.vendor-only]\nkeys = [\"vendor\"]\n";
    let server = TestServer::start_in(&config, dir).await;

    let refused = [
        ("unsigned", "not signed"),
        ("untrusted", "which is not a trusted key"),
        ("tampered", "does not match its signature"),
        ("vendor-only", "may not sign this plugin"),
        ("garbled", "malformed signature file"),
    ];
    for (name, says) in refused {
        let s = server.plugin_status(name).await.unwrap();
        assert_eq!(s["status"], "failed", "{name}: {s}");
        assert_eq!(s["error"]["step"], "verify", "{name}: {s}");
        let message = s["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{name}: {message}");
    }

    let s = server.plugin_status("rule").await.unwrap();
    assert_eq!(s["status"], "active", "{s}");
    let key_id = s["signature"]["key_id"].as_str().unwrap().to_owned();
    assert_eq!(s["signature"]["status"], "verified");
    assert_eq!(s["signature"]["key"], "release");
    assert_eq!(s["signature"]["digest"], digest_of(&good));

    let decision = server.decide(&probe()).await;
    let v = vote(&decision, "plugin:rule");
    assert_eq!(v["signer"]["key"], "release", "{v}");
    assert_eq!(v["signer"]["key_id"], key_id.as_str());
    assert_eq!(v["signer"]["digest"], digest_of(&good));
    let voters: Vec<&str> = decision["votes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["source"].as_str())
        .filter(|s| s.starts_with("plugin:"))
        .collect();
    assert_eq!(voters, ["plugin:rule"], "refused plugins do not vote");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stripped_signature_is_refused_while_the_last_good_version_keeps_voting() {
    let keys = tempfile::tempdir().unwrap();
    let release = keygen(keys.path(), "release");
    let dir = tempfile::tempdir().unwrap();
    let rule = install(dir.path(), "flip-a", "rule");
    sign(&rule, &release);
    let server = TestServer::start_in(&trust(true, &[("release", &release)]), dir).await;
    let s = server.plugin_status("rule").await.unwrap();
    assert_eq!(s["signature"]["status"], "verified", "{s}");

    std::fs::remove_file(sig_of(&rule)).unwrap();
    let s = server
        .wait_plugin("rule", |s| s.is_some_and(|s| !s["error"].is_null()))
        .await
        .unwrap();
    assert_eq!(s["error"]["step"], "verify", "{s}");
    assert!(
        s["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not signed"),
        "{s}"
    );
    assert_eq!(
        s["status"], "active",
        "the verified version keeps serving: {s}"
    );
    assert_eq!(s["signature"]["key"], "release");
    let v = server.decide(&probe()).await;
    let v = vote(&v, "plugin:rule");
    assert_eq!(v["reason"], "variant_a");
    assert_eq!(v["signer"]["key"], "release");

    // Signed again: the refusal goes away.
    sign(&rule, &release);
    server
        .wait_plugin("rule", |s| s.is_some_and(|s| s["error"].is_null()))
        .await;

    // A file copied in first and signed after: refused, then loaded once
    // its signature lands.
    let late = server.plugin_path("late");
    std::fs::copy(example_plugin("topic-guard"), &late).unwrap();
    let s = server
        .wait_plugin("late", |s| s.is_some_and(|s| s["status"] == "failed"))
        .await
        .unwrap();
    assert_eq!(s["error"]["step"], "verify", "{s}");
    sign(&late, &release);
    let s = server
        .wait_plugin("late", |s| s.is_some_and(|s| s["status"] == "active"))
        .await
        .unwrap();
    assert_eq!(s["signature"]["digest"], digest_of(&late), "{s}");

    // A `.sig` file of no plugin is not a change.
    let scans = server.plugins().await["scans"].as_u64().unwrap();
    std::fs::write(server.plugins.path().join("notes.sig"), b"not ours").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.plugins().await["scans"].as_u64().unwrap(), scans);
}

/// Saves the watched config file as an editor does, keeping the tests'
/// compiled cache.
fn save_config(server: &TestServer, text: &str) {
    let path = server.config_path();
    let tmp = path.with_file_name(".config.toml.swp");
    let cache = format!("cache_dir = {:?}\n", test_cache_dir().display().to_string());
    std::fs::write(&tmp, cache + text).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_rotate_and_a_removed_key_is_revoked_on_config_reload() {
    let keys = tempfile::tempdir().unwrap();
    let (old, new) = (keygen(keys.path(), "old"), keygen(keys.path(), "new"));
    let dir = tempfile::tempdir().unwrap();
    let rotated = install(dir.path(), "flip-a", "rotated");
    sign(&rotated, &old);
    let left = install(dir.path(), "topic-guard", "left-behind");
    sign(&left, &old);
    let both = trust(true, &[("old", &old), ("new", &new)]);
    let server = TestServer::start_with_config_file_in(&both, dir).await;
    for name in ["rotated", "left-behind"] {
        let s = server.plugin_status(name).await.unwrap();
        assert_eq!(s["signature"]["key"], "old", "{s}");
    }

    // Re-signed with the new key while both are trusted: the new signer
    // goes live.
    sign(&rotated, &new);
    let s = server
        .wait_plugin("rotated", |s| {
            s.is_some_and(|s| s["signature"]["key"] == "new")
        })
        .await
        .unwrap();
    assert_eq!(s["status"], "active", "{s}");

    // The old key leaves the config.
    save_config(&server, &trust(true, &[("new", &new)]));
    let s = server
        .wait_plugin("left-behind", |s| {
            s.is_some_and(|s| s["status"] == "failed")
        })
        .await
        .unwrap();
    assert_eq!(s["error"]["step"], "verify", "{s}");
    assert!(
        s["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a trusted key"),
        "{s}"
    );
    let s = server.plugin_status("rotated").await.unwrap();
    assert_eq!(s["status"], "active", "{s}");
    assert!(s["error"].is_null(), "{s}");
    assert_eq!(s["signature"]["key"], "new");

    let d = server.decide(&probe()).await;
    assert_eq!(vote(&d, "plugin:rotated")["signer"]["key"], "new");
    assert!(
        !d["votes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["source"] == "plugin:left-behind"),
        "a plugin signed only by a revoked key no longer votes: {d}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_signatures_required_a_signer_is_reported_and_a_bad_signature_only_noted() {
    let keys = tempfile::tempdir().unwrap();
    let (release, stranger) = (
        keygen(keys.path(), "release"),
        keygen(keys.path(), "stranger"),
    );
    let dir = tempfile::tempdir().unwrap();
    let signed = install(dir.path(), "flip-a", "signed");
    sign(&signed, &release);
    install(dir.path(), "topic-guard", "unsigned");
    sign(&install(dir.path(), "loop-detector", "odd"), &stranger);
    let server = TestServer::start_in(&trust(false, &[("release", &release)]), dir).await;

    let s = server.plugin_status("signed").await.unwrap();
    assert_eq!(s["status"], "active", "{s}");
    assert_eq!(s["signature"]["status"], "verified");
    assert_eq!(s["signature"]["key"], "release");
    let s = server.plugin_status("unsigned").await.unwrap();
    assert_eq!(s["status"], "active", "{s}");
    assert_eq!(s["signature"]["status"], "unsigned");
    let s = server.plugin_status("odd").await.unwrap();
    assert_eq!(s["status"], "active", "{s}");
    assert_eq!(s["signature"]["status"], "unverified");
    assert!(
        s["signature"]["problem"]
            .as_str()
            .unwrap()
            .contains("not a trusted key"),
        "{s}"
    );

    let d = server.decide(&probe()).await;
    assert_eq!(vote(&d, "plugin:signed")["signer"]["key"], "release");
    assert!(vote(&d, "plugin:unsigned").get("signer").is_none());
    assert!(vote(&d, "plugin:odd").get("signer").is_none());
}
