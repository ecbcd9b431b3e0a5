//! The vote: what every voter (built-in trigger or plugin) hands to the merge.

use std::fmt;

use serde::Serialize;

use super::reasons::Code;
use super::source::Source;
use crate::signing::Signer;

/// The class of a failure: of a vote, or of a plugin file at its load gate
/// (which adds `too_large`, `function_too_large` and `duplicate_name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The vote was malformed or too large.
    BadOutput,
    /// Out of time: the call's deadline, or the decision's.
    Deadline,
    /// The plugin's `describe` name is taken by another file with the same
    /// configuration.
    DuplicateName,
    /// A function is above `load.max_function_kib`.
    FunctionTooLarge,
    /// The fuel budget ran out.
    OutOfFuel,
    /// A memory growth was refused.
    OutOfMemory,
    /// The plugin returned an error.
    PluginError,
    /// Skipped: the circuit breaker has the plugin in quarantine.
    Quarantined,
    /// The file is above `load.max_file_mib`.
    TooLarge,
    /// Any other trap.
    Trap,
}

impl FailureKind {
    /// The name shown in votes, statuses and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::BadOutput => "bad_output",
            FailureKind::Deadline => "deadline",
            FailureKind::DuplicateName => "duplicate_name",
            FailureKind::FunctionTooLarge => "function_too_large",
            FailureKind::OutOfFuel => "out_of_fuel",
            FailureKind::OutOfMemory => "out_of_memory",
            FailureKind::PluginError => "plugin_error",
            FailureKind::Quarantined => "quarantined",
            FailureKind::TooLarge => "too_large",
            FailureKind::Trap => "trap",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The direction of a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A human should take over; while a human owns the conversation, a
    /// human should keep it.
    Escalate,
    /// The AI should keep the conversation.
    Stay,
    /// No opinion; ignored by the merge.
    Abstain,
    /// While a human owns the conversation: it can go back to the AI. While
    /// the AI owns it, counted as `stay`.
    HandBack,
}

/// Hints for choosing the human who takes over.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Routing {
    /// The queue to land in.
    pub queue: Option<String>,
    /// Skills the agent needs.
    pub skills: Vec<String>,
    /// A senior de-escalation agent is wanted.
    pub senior: bool,
}

/// Why a plugin's vote could not be taken as given.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VoteError {
    /// The failure class.
    pub kind: FailureKind,
    /// What happened.
    pub message: String,
}

/// One vote, as it appears in the decision.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Vote {
    /// Who cast it.
    pub source: Source,
    /// The plugin's version, for plugin votes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The sha256 of the plugin file, for plugin votes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Who signed the plugin file, for votes of a plugin whose signature
    /// verified: the key's name and id, and the signed digest. Absent
    /// otherwise, and in records written before plugins were signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
    /// The direction.
    pub verdict: Verdict,
    /// The effective weight: the voter's own times the configured weight.
    pub weight: f64,
    /// A must-escalate.
    pub hard: bool,
    /// Machine-readable reason code.
    pub reason: String,
    /// The built-in code behind `reason`, when a built-in gave it (a
    /// trigger, or a failure policy's `plugin_failed`).
    #[serde(skip)]
    pub code: Option<Code>,
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
    /// A shadow rule's vote: recorded and shown, never merged into the
    /// decision (only into its `shadow` would-be outcome).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shadow: bool,
}

impl Vote {
    /// A vote with the given source and verdict, weight 1.0 and nothing else.
    pub fn new(source: Source, verdict: Verdict) -> Vote {
        Vote {
            source,
            version: None,
            sha256: None,
            signer: None,
            verdict,
            weight: 1.0,
            hard: false,
            reason: String::new(),
            code: None,
            detail: String::new(),
            priority: None,
            routing: None,
            elapsed_us: 0,
            fuel_used: None,
            memory_peak_bytes: None,
            error: None,
            shadow: false,
        }
    }

    /// An abstain that records why the voter failed.
    pub fn failed(source: Source, kind: FailureKind, message: String) -> Vote {
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

    /// Sets a built-in reason code and detail.
    pub fn because_of(mut self, code: Code, detail: String) -> Vote {
        self.reason = code.as_str().to_owned();
        self.code = Some(code);
        self.detail = detail;
        self
    }
}
