//! ed25519 keys in their one-line text form, and their short ids.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// How a public key's text starts.
pub const PUBLIC_PREFIX: &str = "escalator-ed25519-public:";
/// How a secret key's text starts.
pub const SECRET_PREFIX: &str = "escalator-ed25519-secret:";
/// Bytes of the public key's sha256 that make its id.
const KEY_ID_BYTES: usize = 8;

/// The sha256 of `bytes`.
pub fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Decodes the base64 of exactly `N` bytes; `what` names it in an error.
pub(super) fn decode<const N: usize>(text: &str, what: &str) -> Result<Zeroizing<[u8; N]>, String> {
    let bytes = Zeroizing::new(
        BASE64
            .decode(text.trim())
            .map_err(|e| format!("the {what} is not valid base64: {e}"))?,
    );
    if bytes.len() != N {
        return Err(format!("the {what} is {} bytes, expected {N}", bytes.len()));
    }
    let mut out = Zeroizing::new([0u8; N]);
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// An ed25519 public key: one that may be trusted to sign plugins.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads `escalator-ed25519-public:<base64>` (surrounding whitespace
    /// ignored). Weak (small-order) keys are refused: a signature by one
    /// proves nothing.
    pub fn parse(text: &str) -> Result<PublicKey, String> {
        let text = text.trim();
        if text.starts_with(SECRET_PREFIX) {
            return Err("this is a secret key; give the public key (the `.pub` file)".into());
        }
        let b64 = text
            .strip_prefix(PUBLIC_PREFIX)
            .ok_or_else(|| format!("not a public key: expected `{PUBLIC_PREFIX}<base64>`"))?;
        let bytes = decode::<32>(b64, "public key")?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| "not a valid ed25519 public key".to_owned())?;
        if key.is_weak() {
            return Err("a weak (small-order) ed25519 key, which proves nothing".into());
        }
        Ok(PublicKey(key))
    }

    /// The short id: the first 8 bytes of the key's sha256, hex.
    pub fn key_id(&self) -> String {
        hex::encode(&digest(self.0.as_bytes())[..KEY_ID_BYTES])
    }

    /// Whether `signature` is this key's over `message`. Strict: signatures
    /// that other ed25519 implementations would also accept in another
    /// form (malleable ones) are refused.
    pub(super) fn verifies(&self, message: &[u8], signature: &Signature) -> bool {
        self.0.verify_strict(message, signature).is_ok()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", BASE64.encode(self.0.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

impl Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An ed25519 secret key, which signs plugins. Its bytes are wiped when it
/// is dropped.
pub struct SecretKey(SigningKey);

/// Names the key by its public id: the secret never reaches a log.
impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.public_key().key_id())
    }
}

impl SecretKey {
    /// A new key from the operating system's random number generator.
    pub fn generate() -> Result<SecretKey, String> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut seed[..])
            .map_err(|e| format!("the system random number generator failed: {e}"))?;
        Ok(SecretKey(SigningKey::from_bytes(&seed)))
    }

    /// Reads `escalator-ed25519-secret:<base64>`.
    pub fn parse(text: &str) -> Result<SecretKey, String> {
        let text = text.trim();
        if text.starts_with(PUBLIC_PREFIX) {
            return Err(
                "this is a public key; signing needs the secret key (the `.key` file)".into(),
            );
        }
        let b64 = text
            .strip_prefix(SECRET_PREFIX)
            .ok_or_else(|| format!("not a secret key: expected `{SECRET_PREFIX}<base64>`"))?;
        let seed = decode::<32>(b64, "secret key")?;
        Ok(SecretKey(SigningKey::from_bytes(&seed)))
    }

    /// The key's text, as [`SecretKey::parse`] reads it.
    pub fn to_text(&self) -> Zeroizing<String> {
        let seed = Zeroizing::new(self.0.to_bytes());
        Zeroizing::new(format!("{SECRET_PREFIX}{}", BASE64.encode(&seed[..])))
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The signature of `message`.
    pub(super) fn sign_message(&self, message: &[u8]) -> Signature {
        self.0.sign(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_their_text() {
        let secret = SecretKey::generate().unwrap();
        let public = secret.public_key();
        let again = SecretKey::parse(&secret.to_text()).unwrap();
        assert_eq!(again.public_key(), public);
        let text = public.to_string();
        assert!(text.starts_with(PUBLIC_PREFIX), "{text}");
        assert_eq!(PublicKey::parse(&format!("  {text}\n")).unwrap(), public);
        assert_eq!(public.key_id().len(), 16);
        assert_ne!(SecretKey::generate().unwrap().public_key(), public);
    }

    #[test]
    fn bad_key_text_is_refused_with_a_reason() {
        let secret = SecretKey::generate().unwrap();
        for (text, says) in [
            ("", "expected `escalator-ed25519-public:"),
            ("ssh-ed25519 AAAA", "expected `escalator-ed25519-public:"),
            ("escalator-ed25519-public:not*base64", "base64"),
            ("escalator-ed25519-public:AAAA", "3 bytes, expected 32"),
            (&secret.to_text(), "secret key"),
        ] {
            let err = PublicKey::parse(text).unwrap_err();
            assert!(err.contains(says), "{text:?}: {err}");
        }
        // The identity point is a small-order key: every signature would do.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = format!("{PUBLIC_PREFIX}{}", BASE64.encode(identity));
        assert!(PublicKey::parse(&weak).unwrap_err().contains("weak"));
        let public = secret.public_key().to_string();
        assert!(
            SecretKey::parse(&public)
                .unwrap_err()
                .contains("public key")
        );
        let short = format!("{SECRET_PREFIX}AAAA");
        assert!(
            SecretKey::parse(&short)
                .unwrap_err()
                .contains("expected 32")
        );
    }
}
