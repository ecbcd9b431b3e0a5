# example-plugins/topic-guard in Rego: cancellations, account compromise and
# legal threats, caught from the upstream AI's topic category or from
# phrases in the customer's messages, are hard escalations routed to the
# team that owns the topic. Phrases match whole words with case folded, as
# the SDK matches them (it folds case, not accents), words being split as
# text.rego says; categories compare with Unicode lowercase where the plugin
# folds ASCII case only, the same for ASCII names.
package escalator.topic_guard

import data.escalator.text
import rego.v1

settings := input.settings["topic-guard"]

# In the order the plugin checks them: the first that fires wins.
topics := [
	{"reason": "account_compromise", "queue": "security", "categories": "security_categories", "keywords": "security_keywords"},
	{"reason": "legal_threat", "queue": "legal", "categories": "legal_categories", "keywords": "legal_keywords"},
	{"reason": "cancellation", "queue": "retention", "categories": "cancellation_categories", "keywords": "cancellation_keywords"},
]

priority := min([max([settings.priority, 0]), 100])

category := lower(input.topic.category)

customer_words := [text.words(m.text) | some m in input.conversation.messages; m.role == "customer"]

# The phrase lists as the operator wrote them, split on every evaluation.
vote := verdict(phrase_lists)

phrase_lists := {t.keywords: [text.phrase(p) | some p in settings[t.keywords]] | some t in topics}

# The same lists split once, ahead of time (`prepared`, evaluated once),
# and passed in `data`.
vote_precomputed := verdict(data.precomputed["topic-guard"])

prepared := phrase_lists

verdict(keywords) := v if {
	hits := [[t, d] | some t in topics; d := detail(t, keywords)]
	[t, d] := hits[0]
	v := {
		"verdict": "escalate", "reason": t.reason, "detail": d,
		"hard": true, "priority": priority, "queue": t.queue,
	}
} else := {"verdict": "abstain"}

detail(t, keywords) := sprintf("the AI classified the topic as '%s'", [category]) if {
	some c in settings[t.categories]
	lower(c) == category
} else := found[0] if {
	# The first message with a phrase, then its first phrase in list order.
	found := [sprintf("the customer wrote '%s'", [p]) |
		some ws in customer_words
		p := text.first_of(ws, keywords[t.keywords])
	]
}
