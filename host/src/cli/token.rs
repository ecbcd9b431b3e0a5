//! `escalator token`: making API tokens and the digests `[auth]` holds, so
//! a token never has to be written in clear into the config.

use std::io::{BufRead, Write};

use crate::config::auth::{MIN_TOKEN_CHARS, digest_of};

/// `escalator token new`: a random token (256 bits) and its digest.
pub fn new(name: &str, role: &str, out: &mut dyn Write) -> anyhow::Result<i32> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
    // The prefix lets secret scanners recognise a leaked token.
    let token = format!("esc_{}", hex::encode(bytes));
    writeln!(out, "token:  {token}")?;
    writeln!(out, "sha256: {}", hex::encode(digest_of(&token)))?;
    writeln!(out)?;
    writeln!(
        out,
        "Give the token to the caller; put only the digest in the config:"
    )?;
    writeln!(out)?;
    writeln!(out, "[auth.tokens.{name}]")?;
    writeln!(out, "role = \"{role}\"")?;
    writeln!(out, "sha256 = \"{}\"", hex::encode(digest_of(&token)))?;
    Ok(0)
}

/// `escalator token hash`: the digest of a token read from standard input
/// (never from the command line, where it would land in shell history).
pub fn hash(input: &mut dyn BufRead, out: &mut dyn Write) -> anyhow::Result<i32> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let token = line.trim_end_matches(['\n', '\r']);
    if token.chars().count() < MIN_TOKEN_CHARS || token.chars().any(char::is_whitespace) {
        anyhow::bail!(
            "a token is at least {MIN_TOKEN_CHARS} characters without spaces, on one line of \
             standard input"
        );
    }
    writeln!(out, "{}", hex::encode(digest_of(token)))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_comes_with_the_digest_the_config_needs() {
        let mut out = Vec::new();
        new("helpdesk", "client", &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let token = text
            .lines()
            .next()
            .unwrap()
            .strip_prefix("token:  ")
            .unwrap();
        assert!(token.starts_with("esc_") && token.len() == 68, "{token}");
        let mut hashed = Vec::new();
        hash(&mut format!("{token}\n").as_bytes(), &mut hashed).unwrap();
        let digest = String::from_utf8(hashed).unwrap();
        assert!(
            text.contains(&format!("sha256 = \"{}\"", digest.trim())),
            "{text}"
        );
        let c = crate::config::Config::parse(&text[text.find("[auth").unwrap()..]).unwrap();
        assert_eq!(
            crate::api::auth::identify(&c.auth.tokens, token).map(|t| t.name.as_str()),
            Some("helpdesk")
        );
        assert!(hash(&mut "short\n".as_bytes(), &mut Vec::new()).is_err());
    }
}
