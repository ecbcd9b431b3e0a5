//! Signed plugins: ed25519 keys in a one-line text form ([`keys`]), and the
//! detached signature document kept beside a plugin file,
//! `PLUGIN.wasm.sig` ([`document`]).
//!
//! A key is `escalator-ed25519-public:<base64>` (32 bytes) or
//! `escalator-ed25519-secret:<base64>` (the 32-byte seed); its id is the
//! first 8 bytes of the sha256 of the public key, in hex. The document is
//! JSON: `format`, `key_id`, `public_key`, `digest` (`sha256:<hex>` of the
//! file's exact bytes) and `signature` (base64). What is signed is the
//! digest behind a context string, so that no signature made by the same
//! key for anything else can pass for a plugin's.
//!
//! Whether a plugin must be signed is the trust policy's call
//! (`config::trust`), never the document's: a stripped signature must not
//! turn a required check into a skipped one. This module depends on no
//! other part of the service, so the configuration can read keys and the
//! votes can name their signer.

pub mod document;
pub mod keys;

pub use document::{
    Document, MAX_DOCUMENT_BYTES, Refusal, Signer, TrustedKey, Verification, document_path,
    plugin_of, verify,
};
pub use keys::{PUBLIC_PREFIX, PublicKey, SECRET_PREFIX, SecretKey, digest};
