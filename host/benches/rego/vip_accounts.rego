# example-plugins/vip-accounts in Rego: customers on configured tiers, or
# whose account ranks within the top N, are hard-escalated with high
# priority to the enterprise queue.
package escalator.vip_accounts

import rego.v1

settings := input.settings["vip-accounts"]

customer := input.customer

# Tiers compare case-insensitively; the plugin folds ASCII case only, which
# is the same for the tier names configured here.
detail := sprintf("customer is on the '%s' tier", [customer.tier]) if {
	some t in settings.tiers
	lower(t) == lower(customer.tier)
} else := sprintf("account ranks #%d, within the top %d", [customer.account_rank, settings.top_n]) if {
	customer.account_rank >= 1
	customer.account_rank <= settings.top_n
}

# No phrases: both variants are the same rule.
vote_precomputed := vote

default vote := {"verdict": "abstain"}

vote := {
	"verdict": "escalate", "reason": "vip_account", "detail": detail,
	"hard": true, "priority": min([max([settings.priority, 0]), 100]),
	"queue": settings.queue, "skills": ["account-management"],
}
