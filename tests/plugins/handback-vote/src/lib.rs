//! Test fixture, built against the current interface with the SDK: while a
//! human owns the conversation, it votes to hand it back to the AI when the
//! customer's latest message in the human's stretch is about an invoice, and
//! to keep it with the human when it mentions a lawyer. It says where the
//! stretch began, so a test can see the ownership it was given.

use escalator_sdk::{Input, PluginInfo, Role, Rule, Vote};

struct HandbackVote;

impl Rule for HandbackVote {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "handback-vote",
            "0.2.0",
            "Hands invoice questions back to the AI",
        )
    }

    fn evaluate(input: &Input) -> Result<Vote, String> {
        if !input.human_owns() {
            return Ok(Vote::abstain());
        }
        let latest = input
            .segment()
            .iter()
            .rev()
            .find(|m| m.role == Role::Customer)
            .map(|m| m.text.to_lowercase())
            .unwrap_or_default();
        let who = input.ownership.agent.as_deref().unwrap_or("nobody");
        let detail = format!(
            "{who} owns it since message {} ({} changes)",
            input.ownership.segment_start, input.ownership.changes
        );
        Ok(if latest.contains("invoice") {
            Vote::hand_back("routine_billing", &detail)
        } else if latest.contains("lawyer") {
            Vote::escalate("legal_words", &detail)
        } else {
            Vote::abstain()
        })
    }
}

escalator_sdk::export_rule!(HandbackVote);
