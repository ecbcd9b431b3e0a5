//! Test fixture: a rule that declares it reads only the customer and the
//! signals, and reports in its vote's detail what it was handed: the
//! conversation's id, how many messages, the customer's tier, the topic,
//! the owner and how often it changed, how many sentiment scores, and the
//! clock. Tests read the detail to check what the host copied in, and that
//! a decision's votes are about that decision's conversation.

use escalator_sdk::{Input, InputParts, Owner, PluginInfo, Rule, Vote};

struct InputEcho;

impl Rule for InputEcho {
    fn describe() -> PluginInfo {
        PluginInfo::new("input-echo", "0.1.0", "Says what input it was handed")
            .reads(InputParts::CUSTOMER | InputParts::SIGNALS)
    }

    fn evaluate(input: &Input) -> Result<Vote, String> {
        let owner = match input.ownership.owner {
            Owner::Ai => "ai",
            Owner::Human => "human",
        };
        let detail = format!(
            "id={} messages={} tier={} topic={} owner={} changes={} sentiments={} now={}",
            input.conversation.id,
            input.conversation.messages.len(),
            input.customer.tier.as_deref().unwrap_or("-"),
            input.topic.category.as_deref().unwrap_or("-"),
            owner,
            input.ownership.changes,
            input.signals.message_sentiment.len(),
            input.signals.now_ms,
        );
        Ok(Vote::stay("echo", &detail).weight(0.1))
    }
}

escalator_sdk::export_rule!(InputEcho);
