//! The detached signature document beside a plugin file, and checking it
//! against the keys a trust policy knows.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use super::keys::{PublicKey, SecretKey, decode, digest};

/// The `format` of the signature documents this host writes and reads.
pub const FORMAT: &str = "escalator-signature/v1";
/// What a plugin file's name gets to name its signature document.
pub const SUFFIX: &str = ".sig";
/// The largest signature document read; a real one is about 300 bytes.
pub const MAX_DOCUMENT_BYTES: u64 = 16 << 10;
/// Put before the digest in what is signed.
const CONTEXT: &[u8] = b"escalator-plugin-signature/v1\n";

/// Where the signature document of plugin file `plugin` is.
pub fn document_path(plugin: &Path) -> PathBuf {
    let mut name = plugin.as_os_str().to_owned();
    name.push(SUFFIX);
    PathBuf::from(name)
}

/// The plugin a signature document belongs to: `X` for `X.wasm.sig`, for
/// the names the plugins directory scan would load (not hidden).
pub fn plugin_of(document: &Path) -> Option<&str> {
    let name = document.file_name()?.to_str()?;
    let plugin = name.strip_suffix(SUFFIX)?.strip_suffix(".wasm")?;
    (!plugin.is_empty() && !plugin.starts_with('.')).then_some(plugin)
}

/// What a signature covers: the context string, then the digest.
fn message(digest: &[u8; 32]) -> Vec<u8> {
    [CONTEXT, &digest[..]].concat()
}

fn digest_text(digest: &[u8; 32]) -> String {
    format!("sha256:{}", hex::encode(digest))
}

/// A signature document as written: JSON, one field each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// [`FORMAT`].
    pub format: String,
    /// The signing key's id.
    pub key_id: String,
    /// The signing key, as `escalator-ed25519-public:<base64>`.
    pub public_key: String,
    /// `sha256:<hex>` of the signed file.
    pub digest: String,
    /// The ed25519 signature, base64.
    pub signature: String,
}

impl Document {
    /// The signature document of a file holding `bytes`, by `key`.
    pub fn sign(key: &SecretKey, bytes: &[u8]) -> Document {
        let digest = digest(bytes);
        let public = key.public_key();
        let signature = key.sign_message(&message(&digest));
        Document {
            format: FORMAT.to_owned(),
            key_id: public.key_id(),
            public_key: public.to_string(),
            digest: digest_text(&digest),
            signature: BASE64.encode(signature.to_bytes()),
        }
    }

    /// The document's text: pretty JSON and a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a document serialises");
        text.push('\n');
        text
    }
}

/// A well-formed signature document, its fields decoded.
struct Parsed {
    key: PublicKey,
    digest: [u8; 32],
    signature: ed25519_dalek::Signature,
}

impl Parsed {
    fn read(bytes: &[u8]) -> Result<Parsed, String> {
        let doc: Document = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if doc.format != FORMAT {
            return Err(format!(
                "format {:?} is not one this host reads ({FORMAT})",
                doc.format
            ));
        }
        let key = PublicKey::parse(&doc.public_key).map_err(|e| format!("public_key: {e}"))?;
        if doc.key_id != key.key_id() {
            return Err(format!(
                "key_id {} is not the id of its public key ({})",
                doc.key_id,
                key.key_id()
            ));
        }
        let hex_digest = doc
            .digest
            .strip_prefix("sha256:")
            .ok_or("digest: expected `sha256:<hex>`")?;
        let mut digest = [0u8; 32];
        hex::decode_to_slice(hex_digest, &mut digest)
            .map_err(|_| "digest: expected `sha256:` and 64 hex digits")?;
        let signature = decode::<64>(&doc.signature, "signature")?;
        Ok(Parsed {
            key,
            digest,
            signature: ed25519_dalek::Signature::from_bytes(&signature),
        })
    }
}

/// Who signed a plugin, as its status and its votes show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signer {
    /// The trusted key's name in `[trust] keys`.
    pub key: String,
    /// The key's id.
    pub key_id: String,
    /// `sha256:<hex>` of the signed file.
    pub digest: String,
}

/// What the verify step found, for a plugin that passed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verification {
    /// Signed by a trusted key allowed to sign this plugin.
    Verified(Signer),
    /// A signature is there but does not hold, and the plugin need not be
    /// signed: loaded, and reported.
    Unverified {
        /// Why the signature does not hold.
        problem: String,
    },
    /// No signature, and the plugin need not be signed.
    Unsigned,
}

impl Verification {
    /// The signer, when the signature holds.
    pub fn signer(&self) -> Option<&Signer> {
        match self {
            Verification::Verified(s) => Some(s),
            _ => None,
        }
    }
}

/// A key the trust policy knows, under its name, and whether it may sign
/// the plugin at hand.
#[derive(Debug, Clone, Copy)]
pub struct TrustedKey<'a> {
    /// The key's name in `[trust] keys`.
    pub name: &'a str,
    /// The key.
    pub key: &'a PublicKey,
    /// Whether it may sign this plugin.
    pub allowed: bool,
}

/// Why a signature does not hold. Each case is told apart, so an operator
/// knows whether to sign, re-sign, trust a key or look for tampering.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No signature document.
    #[error("not signed: there is no signature file beside it (`escalator sign` writes one)")]
    Missing,
    /// The document cannot be read or is not a signature document.
    #[error("malformed signature file: {0}")]
    Malformed(String),
    /// Signed by a key the trust policy does not know.
    #[error("signed by key {key_id}, which is not a trusted key (not in [trust] keys)")]
    Untrusted {
        /// The signing key's id.
        key_id: String,
    },
    /// Signed by a trusted key that may not sign this plugin.
    #[error(
        "signed by trusted key `{key}` ({key_id}), which may not sign this plugin \
         (its [trust.plugins] keys: {allowed})"
    )]
    NotAllowed {
        /// The key's name.
        key: String,
        /// The key's id.
        key_id: String,
        /// The keys that may, comma-separated.
        allowed: String,
    },
    /// The signature does not verify: the document was altered, or its
    /// signature was made by another key.
    #[error(
        "the signature by key `{key}` ({key_id}) does not verify: the signature file \
         was altered or its signature made with another key"
    )]
    BadSignature {
        /// The key's name.
        key: String,
        /// The key's id.
        key_id: String,
    },
    /// A genuine signature, of other bytes: the file changed after signing.
    #[error(
        "the file does not match its signature: its digest is {file}, the signature \
         is for {signed} (changed after it was signed?)"
    )]
    DigestMismatch {
        /// The file's digest.
        file: String,
        /// The signed digest.
        signed: String,
    },
}

/// Checks signature document `document` (its bytes; `None` when there is
/// none) of a file whose sha256 is `digest` against the keys the policy
/// knows. The key is matched on its whole value, never on its id alone.
///
/// The signature is checked before the digest, so that a genuine signature
/// of other bytes (the file changed) is told apart from a document that was
/// itself altered.
pub fn verify(
    digest: &[u8; 32],
    document: Option<&[u8]>,
    keys: &[TrustedKey<'_>],
) -> Result<Signer, Refusal> {
    let document = document.ok_or(Refusal::Missing)?;
    let parsed = Parsed::read(document).map_err(Refusal::Malformed)?;
    let key_id = parsed.key.key_id();
    let Some(trusted) = keys.iter().find(|k| *k.key == parsed.key) else {
        return Err(Refusal::Untrusted { key_id });
    };
    if !trusted.allowed {
        let allowed: Vec<&str> = keys.iter().filter(|k| k.allowed).map(|k| k.name).collect();
        return Err(Refusal::NotAllowed {
            key: trusted.name.to_owned(),
            key_id,
            allowed: allowed.join(", "),
        });
    }
    if !parsed
        .key
        .verifies(&message(&parsed.digest), &parsed.signature)
    {
        return Err(Refusal::BadSignature {
            key: trusted.name.to_owned(),
            key_id,
        });
    }
    if parsed.digest != *digest {
        return Err(Refusal::DigestMismatch {
            file: digest_text(digest),
            signed: digest_text(&parsed.digest),
        });
    }
    Ok(Signer {
        key: trusted.name.to_owned(),
        key_id,
        digest: digest_text(digest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WASM: &[u8] = b"\0asm\x0d\0\x01\0 pretend component";

    fn trusted<'a>(name: &'a str, key: &'a PublicKey) -> TrustedKey<'a> {
        TrustedKey {
            name,
            key,
            allowed: true,
        }
    }

    fn signed(secret: &SecretKey, bytes: &[u8]) -> Vec<u8> {
        Document::sign(secret, bytes).to_json().into_bytes()
    }

    #[test]
    fn a_good_signature_names_its_signer() {
        let secret = SecretKey::generate().unwrap();
        let public = secret.public_key();
        let doc = signed(&secret, WASM);
        let signer = verify(&digest(WASM), Some(&doc), &[trusted("release", &public)]).unwrap();
        assert_eq!(signer.key, "release");
        assert_eq!(signer.key_id, public.key_id());
        assert_eq!(
            signer.digest,
            format!("sha256:{}", hex::encode(digest(WASM)))
        );
    }

    #[test]
    fn one_changed_byte_of_the_file_is_a_digest_mismatch() {
        let secret = SecretKey::generate().unwrap();
        let public = secret.public_key();
        let doc = signed(&secret, WASM);
        let mut tampered = WASM.to_vec();
        *tampered.last_mut().unwrap() ^= 1;
        let err = verify(&digest(&tampered), Some(&doc), &[trusted("k", &public)]).unwrap_err();
        assert!(matches!(err, Refusal::DigestMismatch { .. }), "{err}");
    }

    #[test]
    fn an_altered_document_does_not_verify() {
        let secret = SecretKey::generate().unwrap();
        let public = secret.public_key();
        let keys = [trusted("k", &public)];
        // The digest edited to match a changed file.
        let mut tampered = WASM.to_vec();
        tampered[9] ^= 1;
        let mut doc = Document::sign(&secret, WASM);
        doc.digest = format!("sha256:{}", hex::encode(digest(&tampered)));
        let bytes = doc.to_json().into_bytes();
        let err = verify(&digest(&tampered), Some(&bytes), &keys).unwrap_err();
        assert!(matches!(err, Refusal::BadSignature { .. }), "{err}");

        // One bit of the signature flipped.
        let mut doc = Document::sign(&secret, WASM);
        let mut sig = BASE64.decode(&doc.signature).unwrap();
        sig[3] ^= 0x10;
        doc.signature = BASE64.encode(sig);
        let bytes = doc.to_json().into_bytes();
        let err = verify(&digest(WASM), Some(&bytes), &keys).unwrap_err();
        assert!(matches!(err, Refusal::BadSignature { .. }), "{err}");
    }

    #[test]
    fn a_signature_under_another_trusted_key_is_caught() {
        // A trusted key's name and id on a signature made by another key.
        let secret = SecretKey::generate().unwrap();
        let other = SecretKey::generate().unwrap();
        let mut doc = Document::sign(&other, WASM);
        doc.signature = Document::sign(&secret, WASM).signature;
        let bytes = doc.to_json().into_bytes();
        let key = other.public_key();
        let err = verify(&digest(WASM), Some(&bytes), &[trusted("other", &key)]).unwrap_err();
        assert!(matches!(err, Refusal::BadSignature { .. }), "{err}");
    }

    #[test]
    fn untrusted_and_not_allowed_keys_are_told_apart() {
        let secret = SecretKey::generate().unwrap();
        let stranger = SecretKey::generate().unwrap();
        let public = secret.public_key();
        let other = SecretKey::generate().unwrap().public_key();
        let doc = signed(&stranger, WASM);
        let err = verify(&digest(WASM), Some(&doc), &[trusted("k", &public)]).unwrap_err();
        assert_eq!(
            err,
            Refusal::Untrusted {
                key_id: stranger.public_key().key_id()
            }
        );

        let doc = signed(&secret, WASM);
        let keys = [
            TrustedKey {
                name: "ci",
                key: &public,
                allowed: false,
            },
            trusted("vendor", &other),
        ];
        let err = verify(&digest(WASM), Some(&doc), &keys).unwrap_err();
        assert!(
            matches!(&err, Refusal::NotAllowed { key, allowed, .. }
                if key == "ci" && allowed == "vendor"),
            "{err}"
        );
    }

    #[test]
    fn missing_and_malformed_documents_are_refused() {
        let secret = SecretKey::generate().unwrap();
        let public = secret.public_key();
        let keys = [trusted("k", &public)];
        let d = digest(WASM);
        assert_eq!(verify(&d, None, &keys).unwrap_err(), Refusal::Missing);
        let good = Document::sign(&secret, WASM);
        let with = |edit: fn(&mut Document)| {
            let mut doc = good.clone();
            edit(&mut doc);
            doc.to_json().into_bytes()
        };
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"not json".to_vec(), "expected"),
            (b"{}".to_vec(), "missing field"),
            (
                with(|d| d.format = "escalator-signature/v9".into()),
                "format",
            ),
            (with(|d| d.key_id = "0011223344556677".into()), "key_id"),
            (with(|d| d.public_key = "AAAA".into()), "public_key"),
            (with(|d| d.digest = "md5:abc".into()), "digest"),
            (with(|d| d.digest = "sha256:abc".into()), "digest"),
            (with(|d| d.signature = "AAAA".into()), "signature"),
            (
                good.to_json()
                    .replace("\"format\"", "\"extra\": 1, \"format\"")
                    .into_bytes(),
                "unknown field",
            ),
        ];
        for (bytes, says) in cases {
            match verify(&d, Some(&bytes), &keys) {
                Err(Refusal::Malformed(m)) => assert!(m.contains(says), "{says}: {m}"),
                other => panic!("{says}: {other:?}"),
            }
        }
    }

    #[test]
    fn document_paths_belong_to_their_plugin() {
        let doc = document_path(Path::new("plugins/vip-accounts.wasm"));
        assert_eq!(doc, Path::new("plugins/vip-accounts.wasm.sig"));
        assert_eq!(plugin_of(&doc), Some("vip-accounts"));
        assert_eq!(plugin_of(Path::new("notes.sig")), None);
        assert_eq!(plugin_of(Path::new(".x.wasm.sig")), None);
        assert_eq!(plugin_of(Path::new(".wasm.sig")), None);
        assert_eq!(plugin_of(Path::new("x.wasm")), None);
    }
}
