//! The HTTP side of `simulate`: the same public API any help desk uses,
//! so the simulation exercises exactly what production traffic does.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// How long one request may take before the server is called unresponsive.
const TIMEOUT: Duration = Duration::from_secs(30);

/// How long to wait for a server that answers 503 (plugins still loading,
/// log not open yet) before giving up.
const PATIENCE: Duration = Duration::from_secs(120);

/// A client of one Escalator server.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    /// `http://host:port`, without a trailing slash.
    base: String,
}

/// What the server answered to a batch of outcome events.
#[derive(Debug)]
pub enum Posted {
    /// Taken: how many were new, how many repeats, and the decision ids the
    /// log does not hold (yet).
    Accepted {
        /// New events stored.
        stored: u64,
        /// Events already stored under their id.
        repeated: u64,
        /// Decision ids unknown to the log.
        unknown: u64,
    },
    /// Refused as a whole (422): the field the server named and why.
    Refused {
        /// For example `events[3].text`.
        field: String,
        /// The server's message.
        message: String,
    },
}

/// What `GET /v1/store` said at the start.
#[derive(Debug)]
pub struct Probe {
    /// The server's clock, from the `Date` header (the local clock when the
    /// server sent none): outcome events must not be dated after it.
    pub clock: DateTime<Utc>,
    /// Decisions the server had written before the run.
    pub written: u64,
}

impl Client {
    /// A client of the server at `server` (`http://host:port`; the scheme
    /// may be left out).
    pub fn new(server: &str) -> anyhow::Result<Client> {
        let trimmed = server.trim().trim_end_matches('/');
        anyhow::ensure!(!trimmed.is_empty(), "--server is empty");
        let base = if trimmed.contains("://") {
            trimmed.to_owned()
        } else {
            format!("http://{trimmed}")
        };
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .context("creating the HTTP client")?;
        Ok(Client { http, base })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Why a request did not get an answer, naming the server.
    fn unreachable(&self, e: reqwest::Error) -> anyhow::Error {
        if e.is_timeout() {
            anyhow::anyhow!(
                "the Escalator server at {} did not answer within {} s",
                self.base,
                TIMEOUT.as_secs()
            )
        } else {
            anyhow::anyhow!(
                "cannot reach the Escalator server at {}: {}",
                self.base,
                describe(&e)
            )
        }
    }

    /// Checks that an Escalator server with a decision log answers at the
    /// URL, and reads its clock.
    pub async fn probe(&self) -> anyhow::Result<Probe> {
        let url = format!("{}/v1/store", self.base);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let status = response.status();
        let clock = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|d| d.to_str().ok())
            .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
            .map_or_else(Utc::now, |d| d.with_timezone(&Utc));
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match status.as_u16() {
            200 => Ok(Probe {
                clock,
                written: body["written"].as_u64().unwrap_or(0),
            }),
            404 if body["error"]["code"] == "store_disabled" => anyhow::bail!(
                "the server at {} keeps no decision log ([store] enabled = false); \
                 simulate needs one to record outcome events",
                self.base
            ),
            code => anyhow::bail!(
                "{url} answered {code}; is {} an Escalator server? {}",
                self.base,
                error_text(&body)
            ),
        }
    }

    /// Decisions written so far (`GET /v1/store`).
    pub async fn written(&self) -> anyhow::Result<u64> {
        let (_, body) = self
            .send(|c| c.get(format!("{}/v1/store", self.base)))
            .await?;
        Ok(body["written"].as_u64().unwrap_or(0))
    }

    /// Sends a request, retrying while the server answers 503 (starting,
    /// or its log briefly unavailable); returns status and JSON body.
    async fn send(
        &self,
        request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> anyhow::Result<(u16, Value)> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let response = request(&self.http)
                .send()
                .await
                .map_err(|e| self.unreachable(e))?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1)
                .clamp(1, 10);
            let body: Value = response.json().await.unwrap_or(Value::Null);
            if status == 503 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_secs(retry_after)).await;
                continue;
            }
            return Ok((status, body));
        }
    }

    /// Asks for a decision on `conversation`.
    pub async fn decide(&self, conversation: &Value) -> anyhow::Result<Value> {
        let url = format!("{}/v1/decide", self.base);
        let (status, body) = self.send(|c| c.post(&url).json(conversation)).await?;
        anyhow::ensure!(
            status == 200,
            "POST {url} for {} answered {status}: {}",
            conversation["conversation_id"],
            error_text(&body)
        );
        Ok(body)
    }

    /// Sends one batch of outcome events.
    pub async fn outcomes(&self, events: &[Value]) -> anyhow::Result<Posted> {
        let url = format!("{}/v1/outcomes", self.base);
        let batch = json!({ "events": events });
        let (status, body) = self.send(|c| c.post(&url).json(&batch)).await?;
        match status {
            200 => Ok(Posted::Accepted {
                stored: body["stored"].as_u64().unwrap_or(0),
                repeated: body["repeated"].as_u64().unwrap_or(0),
                unknown: body["unknown_decisions"]
                    .as_array()
                    .map_or(0, |a| a.len() as u64),
            }),
            422 => Ok(Posted::Refused {
                field: body["error"]["field"].as_str().unwrap_or("").to_owned(),
                message: body["error"]["message"].as_str().unwrap_or("").to_owned(),
            }),
            _ => anyhow::bail!("POST {url} answered {status}: {}", error_text(&body)),
        }
    }
}

/// The server's error message, or the body as it came.
fn error_text(body: &Value) -> String {
    match body["error"]["message"].as_str() {
        Some(m) => m.to_owned(),
        None if body.is_null() => "(no JSON body)".to_owned(),
        None => body.to_string(),
    }
}

/// reqwest's own message is "error sending request"; the cause (connection
/// refused, no such host) is what the operator needs.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}
