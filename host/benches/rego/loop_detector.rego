# example-plugins/loop-detector in Rego: the customer says the same thing
# again and again, or asks outright for a human. Phrases match whole words
# with case folded and similarity is Jaccard over word sets, as in the SDK,
# words being split as text.rego says. (The plugin also logs a repetition;
# the policy does not.)
package escalator.loop_detector

import data.escalator.text
import rego.v1

settings := input.settings["loop-detector"]

texts := [text.words(m.text) | some m in input.conversation.messages; m.role == "customer"]

latest := texts[count(texts) - 1]

# The phrase list as the operator wrote it, split on every evaluation.
vote := verdict(phrase_lists.human_phrases)

phrase_lists := {"human_phrases": [text.phrase(p) | some p in settings.human_phrases]}

# The same list split once, ahead of time (`prepared`, evaluated once),
# and passed in `data`.
vote_precomputed := verdict(data.precomputed["loop-detector"].human_phrases)

prepared := phrase_lists

verdict(phrases) := {
	"verdict": "escalate", "reason": "asked_for_human",
	"detail": sprintf("the customer asked for a human ('%s')", [p]),
	"hard": false, "priority": 60,
} if {
	p := text.first_of(latest, phrases)
} else := {
	"verdict": "escalate", "reason": "customer_repeating",
	"detail": sprintf("the customer has said the same thing %d times", [same]),
	"hard": false, "priority": 50,
} if {
	# Every customer message as similar to the latest as the threshold,
	# the latest included.
	same := count([1 | some t in texts; text.similarity(t, latest) >= settings.similarity])
	same >= max([settings.repeats, 2])
} else := {"verdict": "abstain"}
