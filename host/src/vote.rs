//! The vote: what every voter (built-in trigger or plugin) hands to the merge.

use serde::Serialize;

/// The direction of a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// A human should take over.
    Escalate,
    /// The AI should keep the conversation.
    Stay,
    /// No opinion; ignored by the merge.
    Abstain,
}

/// Hints for choosing the human who takes over.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Routing {
    /// The queue to land in.
    pub queue: Option<String>,
    /// Skills the agent needs.
    pub skills: Vec<String>,
    /// A senior de-escalation agent is wanted.
    pub senior: bool,
}

/// Why a plugin's vote could not be taken as given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoteError {
    /// The failure class: `trap`, `out_of_fuel`, `deadline`,
    /// `out_of_memory`, `bad_output`, `plugin_error` or `quarantined`.
    pub kind: &'static str,
    /// What happened.
    pub message: String,
}

/// One vote, as it appears in the decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vote {
    /// `builtin:<name>` or `plugin:<name>`.
    pub source: String,
    /// The plugin's version, for plugin votes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The sha256 of the plugin file, for plugin votes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The direction.
    pub verdict: Verdict,
    /// The effective weight: the voter's own times the configured weight.
    pub weight: f64,
    /// A must-escalate.
    pub hard: bool,
    /// Machine-readable reason code.
    pub reason: String,
    /// Explanation for humans.
    pub detail: String,
    /// Priority asked for, 0-100.
    pub priority: Option<u8>,
    /// Routing hints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
    /// Time the voter took, in microseconds.
    pub elapsed_us: u64,
    /// Wasm fuel the plugin burned (about one unit per instruction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel_used: Option<u64>,
    /// The largest linear memory the plugin's instance reached, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_peak_bytes: Option<u64>,
    /// Set when the voter failed; the verdict is then the plugin's failure
    /// policy (abstain by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<VoteError>,
}

impl Vote {
    /// A vote with the given source and verdict, weight 1.0 and nothing else.
    pub fn new(source: impl Into<String>, verdict: Verdict) -> Vote {
        Vote {
            source: source.into(),
            version: None,
            sha256: None,
            verdict,
            weight: 1.0,
            hard: false,
            reason: String::new(),
            detail: String::new(),
            priority: None,
            routing: None,
            elapsed_us: 0,
            fuel_used: None,
            memory_peak_bytes: None,
            error: None,
        }
    }

    /// An abstain that records why the voter failed.
    pub fn failed(source: impl Into<String>, kind: &'static str, message: String) -> Vote {
        Vote {
            error: Some(VoteError { kind, message }),
            ..Vote::new(source, Verdict::Abstain)
        }
    }

    /// Sets reason code and detail.
    pub fn because(mut self, reason: &str, detail: String) -> Vote {
        self.reason = reason.to_owned();
        self.detail = detail;
        self
    }
}
