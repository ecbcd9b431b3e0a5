//! Constructors and builder methods for votes.

use crate::{Routing, Verdict, Vote};

impl Vote {
    fn with_verdict(verdict: Verdict, reason: &str, detail: &str) -> Self {
        Vote {
            verdict,
            weight: 1.0,
            hard: false,
            reason: reason.to_owned(),
            detail: detail.to_owned(),
            priority: None,
            routing: None,
        }
    }

    /// A vote to hand the conversation to a human, with weight 1.0.
    ///
    /// ```
    /// use escalator_sdk::{Verdict, Vote};
    ///
    /// let vote = Vote::escalate("vip_account", "ranked #3").hard().priority(90).queue("enterprise");
    /// assert_eq!(vote.verdict, Verdict::Escalate);
    /// assert!(vote.hard);
    /// assert_eq!(vote.routing.unwrap().queue.as_deref(), Some("enterprise"));
    /// ```
    pub fn escalate(reason: &str, detail: &str) -> Self {
        Self::with_verdict(Verdict::Escalate, reason, detail)
    }

    /// A vote to keep the conversation with the AI, with weight 1.0.
    pub fn stay(reason: &str, detail: &str) -> Self {
        Self::with_verdict(Verdict::Stay, reason, detail)
    }

    /// While a human owns the conversation: it can go back to the AI, with
    /// weight 1.0. While the AI owns it, this counts as [`Vote::stay`].
    pub fn hand_back(reason: &str, detail: &str) -> Self {
        Self::with_verdict(Verdict::HandBack, reason, detail)
    }

    /// No opinion; the merge ignores it.
    pub fn abstain() -> Self {
        Self::with_verdict(Verdict::Abstain, "", "")
    }

    /// Makes an escalate vote a must-escalate that no stay vote outweighs.
    pub fn hard(mut self) -> Self {
        self.hard = true;
        self
    }

    /// Sets the vote's weight (1.0 by default).
    pub fn weight(mut self, weight: f64) -> Self {
        self.weight = weight;
        self
    }

    /// Asks for a priority from 0 to 100; values above 100 are clamped.
    pub fn priority(mut self, priority: u8) -> Self {
        self.priority = Some(priority.min(100));
        self
    }

    fn routing_mut(&mut self) -> &mut Routing {
        self.routing.get_or_insert_with(|| Routing {
            queue: None,
            skills: Vec::new(),
            senior: false,
        })
    }

    /// Asks for the conversation to land in `queue`.
    pub fn queue(mut self, queue: &str) -> Self {
        self.routing_mut().queue = Some(queue.to_owned());
        self
    }

    /// Asks for an agent with `skill`.
    pub fn skill(mut self, skill: &str) -> Self {
        self.routing_mut().skills.push(skill.to_owned());
        self
    }

    /// Asks for a senior agent trained in de-escalation.
    pub fn senior(mut self) -> Self {
        self.routing_mut().senior = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_sets_every_field() {
        let v = Vote::escalate("r", "d")
            .hard()
            .weight(2.0)
            .priority(250)
            .queue("billing")
            .skill("refunds")
            .senior();
        assert_eq!(v.verdict, Verdict::Escalate);
        assert!(v.hard);
        assert_eq!(v.weight, 2.0);
        assert_eq!(v.priority, Some(100));
        let r = v.routing.unwrap();
        assert_eq!(r.queue.as_deref(), Some("billing"));
        assert_eq!(r.skills, vec!["refunds".to_string()]);
        assert!(r.senior);
    }
}
