# Every rule's vote on one conversation: the whole decision, as one query.
package escalator.decision

import rego.v1

votes := [
	data.escalator.topic_guard.vote,
	data.escalator.vip_accounts.vote,
	data.escalator.loop_detector.vote,
	data.escalator.confidence.vote,
]

votes_precomputed := [
	data.escalator.topic_guard.vote_precomputed,
	data.escalator.vip_accounts.vote,
	data.escalator.loop_detector.vote_precomputed,
	data.escalator.confidence.vote_precomputed,
]
