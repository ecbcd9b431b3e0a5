# The built-in confidence trigger (host/src/decision/triggers/confidence.rs)
# in Rego: the AI is out of its depth when the customer says its answer is
# wrong, its latest turn could not answer, its latest confidence is low, or
# several turns in a row were shaky; a shaky reply around small talk ("hi",
# "thanks, bye") is no reason for a human.
#
# Phrase lists are the host's patterns written out as plain phrases (Rego
# has no pattern compiler: `(a|b) c` becomes "a c" and "b c"), keeping
# `word*` for a prefix and one `..` for a gap of up to three words.
# What Rego forced to simplify, beside the separators (see text.rego):
# - quotation marks are not tracked: a phrase quoted from someone else
#   counts (the host ignores it);
# - letters stretched for emphasis ("pleeease") are not folded;
# - `_` (exactly one word), a second `..` in a phrase, and a phrase that
#   starts with `..` are not supported (no default needs them);
# - phrases split on every call are tried in list order, where the host
#   tries those starting with an exact word before those starting with a
#   prefix; only the end of a match at a word both kinds match can differ.
package escalator.confidence

import data.escalator.text
import rego.v1

settings := input.settings.confidence

messages := input.conversation.messages

customer_texts := [m.text | some m in messages; m.role == "customer"]

ai_turns := [m.ai | some m in messages; m.role == "ai"; m.ai]

# The phrase lists as configured, folded and split on every evaluation.
vote := verdict(phrase_lists)

phrase_lists := {k: [text.pattern(p) | some p in settings[k]] |
	some k in ["disputed_phrases", "small_talk", "negations", "hypotheticals"]
}

# The same lists folded, split and indexed by first word once, ahead of
# time (`prepared`, evaluated once), and passed in `data`.
vote_precomputed := verdict(data.precomputed.confidence)

prepared := {k: text.index(l) | some k, l in phrase_lists}

escalate(reason, priority) := {"verdict": "escalate", "reason": reason, "hard": false, "priority": priority}

verdict(lists) := escalate("answer_disputed", 50) if {
	disputed(lists)
} else := {"verdict": "abstain"} if {
	small_talk(lists)
} else := escalate("ai_could_not_answer", 50) if {
	outcome := ai_turns[count(ai_turns) - 1].outcome
	some o in settings.could_not_answer
	lower(o) == lower(outcome)
} else := escalate("low_confidence", 40) if {
	input.signals.latest_ai_confidence < settings.threshold
} else := escalate("low_confidence_streak", 40) if {
	streak_low
} else := {"verdict": "abstain"}

# The last `streak` AI turns all reported a confidence below the bar.
streak_low if {
	n := count(ai_turns)
	n >= settings.streak
	every k in numbers.range(1, settings.streak) {
		ai_turns[n - k].confidence < settings.streak_threshold
	}
}

# The latest message is the customer's, written after an AI turn, and says
# outright (not negated, not hypothetically) that the turn was wrong.
disputed(lists) if {
	n := count(messages)
	messages[n - 1].role == "customer"
	before := [i | some i, m in messages; i < n - 1; m.role != "customer"]
	messages[max(before)].role == "ai"
	r := text.read(customer_texts[count(customer_texts) - 1])
	found := text.matches(r.words, lists.disputed_phrases)
	count(found) > 0

	# Negations and hypotheticals are looked for only once a phrase is.
	negations := text.matches(r.words, lists.negations)
	hypotheticals := text.matches(r.words, lists.hypotheticals)
	some [s, _] in found
	not negated(r, negations, s)
	not hypothetical(r, hypotheticals, s)
}

# A negation reaches the few words after it in its sentence.
negated(r, negations, s) if {
	some [a, e] in negations
	r.sentence[a] == r.sentence[s]
	a < s
	s <= e + settings.negation_reach
}

hypothetical(r, hypotheticals, s) if {
	some [a, e] in hypotheticals
	r.sentence[a] == r.sentence[s]
	e <= s
}

# The customer message the latest AI turn answered, or the customer's reply
# to it, is mostly small talk.
small_talk(lists) if {
	ai_at := max([i | some i, m in messages; m.role == "ai"])
	before := count([i | some i, m in messages; i < ai_at; m.role == "customer"])
	before > 0
	chatty(customer_texts[before - 1], lists.small_talk)
}

small_talk(lists) if {
	ai_at := max([i | some i, m in messages; m.role == "ai"])
	some i, m in messages
	i > ai_at
	m.role == "customer"
	chatty(customer_texts[count(customer_texts) - 1], lists.small_talk)
}

chatty(t, list) if {
	ws := text.read(t).words
	count(ws) > 0
	count(ws) <= 12
	text.coverage(ws, list) >= 0.5
}
