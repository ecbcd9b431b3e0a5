"""billing-dispute: billing disputes that are large, repeated or heading for
a chargeback go to a human in the billing queue.

Driven by data, not by words alone: the disputed amount comes from the
conversation attribute `disputed_amount` (or the largest amount the customer
wrote, such as "$250" or "R$ 1.200,00"), and the customer's history from the
customer attributes `lifetime_value` and `disputes_last_90d`.
"""

import gc
import re

import wit_world
from componentize_py_types import Err
from wit_world.imports import host, types

SETTINGS = [
    ("escalate_from", types.SettingType.NUMBER, types.SettingValue_Number(100.0),
     "disputed amount at or above which a billing dispute escalates"),
    ("hard_from", types.SettingType.NUMBER, types.SettingValue_Number(1000.0),
     "disputed amount at or above which the escalation is hard"),
    ("repeat_disputes", types.SettingType.INTEGER, types.SettingValue_Integer(2),
     "disputes in the last 90 days that escalate whatever the amount"),
    ("categories", types.SettingType.TEXT_LIST, types.SettingValue_TextList(["billing", "payments"]),
     "topic categories this rule looks at"),
    ("dispute_words", types.SettingType.TEXT_LIST,
     types.SettingValue_TextList(["charged twice", "double charge", "overcharged", "refund",
                                  "chargeback", "dispute", "not authorized", "wrong amount"]),
     "phrases that make a billing conversation a dispute"),
]

# "$250", "USD 99.90", "R$ 1.200,00", "€40", "250 dollars"
AMOUNT = re.compile(
    r"(?:[$€£]|R\$|USD|EUR|BRL)\s?(\d{1,3}(?:[.,\s]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
    r"|(\d+(?:[.,]\d{1,2})?)\s?(?:dollars|euros|reais)",
    re.IGNORECASE,
)


# Compiled here, at build time, so that no fresh instance compiles them again.
SPACES = re.compile(r"\s")
DECIMALS = re.compile(r"^(.*?)(?:[.,](\d{1,2}))?$")
SEPARATORS = re.compile(r"[.,]")


def parse_amount(text):
    """A written amount as a float, reading the last separator followed by
    one or two digits as the decimal point."""
    digits = SPACES.sub("", text)
    m = DECIMALS.match(digits)
    whole = SEPARATORS.sub("", m.group(1))
    return float(whole + ("." + m.group(2) if m.group(2) else ""))


def largest_amount(texts):
    amounts = []
    for t in texts:
        for m in AMOUNT.finditer(t):
            amounts.append(parse_amount(m.group(1) or m.group(2)))
    return max(amounts) if amounts else None


def settings_of(settings):
    return {s.name: s.value.value for s in settings}


def attribute(attributes, key):
    for a in attributes:
        if a.key == key:
            return a.value
    return None


def number(value):
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def abstain():
    return types.Vote(types.Verdict.ABSTAIN, 1.0, False, "", "", None, None)


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name="billing-dispute",
            version="0.1.0",
            description="Escalates large, repeated or chargeback-bound billing disputes",
            settings=[types.SettingSpec(n, k, d, desc, secret=False)
                      for n, k, d, desc in SETTINGS],
            reads=types.InputParts.MESSAGES | types.InputParts.CUSTOMER | types.InputParts.TOPIC,
        )

    def validate_settings(self, settings) -> None:
        s = settings_of(settings)
        if s["escalate_from"] < 0 or s["hard_from"] < s["escalate_from"]:
            raise Err("need 0 <= escalate_from <= hard_from, got "
                      f"escalate_from={s['escalate_from']}, hard_from={s['hard_from']}")
        if s["repeat_disputes"] < 1:
            raise Err(f"repeat_disputes must be 1 or more, got {s['repeat_disputes']}")

    def evaluate(self, input: types.Input) -> types.Vote:
        s = settings_of(input.settings)
        texts = [m.text for m in input.conversation.messages if m.role == types.Role.CUSTOMER]
        lowered = " ".join(texts).lower()
        category = (input.topic.category or "").lower()
        words = [w for w in s["dispute_words"] if w.lower() in lowered]
        if category not in [c.lower() for c in s["categories"]] and not words:
            return abstain()
        if not words and category:
            # A billing question is not a dispute until the customer disputes something.
            return abstain()

        amount = number(attribute(input.conversation.attributes, "disputed_amount"))
        if amount is None:
            amount = largest_amount(texts)
        history = number(attribute(input.customer.attributes, "disputes_last_90d")) or 0
        value = number(attribute(input.customer.attributes, "lifetime_value"))
        chargeback = "chargeback" in lowered

        reasons = []
        if amount is not None and amount >= s["escalate_from"]:
            reasons.append(f"disputed amount {amount:.2f}")
        if history >= s["repeat_disputes"]:
            reasons.append(f"{int(history)} disputes in 90 days")
        if chargeback:
            reasons.append("chargeback mentioned")
        if not reasons:
            host.log(host.Level.DEBUG, f"dispute below thresholds (amount {amount})")
            return types.Vote(types.Verdict.STAY, 0.5, False, "small_dispute",
                              f"a dispute of {amount if amount is not None else 'unknown amount'}, "
                              "within what the AI may refund", None, None)

        hard = chargeback or (amount is not None and amount >= s["hard_from"])
        priority = 85 if hard else 65
        if value is not None and value >= 10000:
            priority = min(100, priority + 10)
        skills = ["refunds"] + (["chargebacks"] if chargeback else [])
        host.log(host.Level.INFO, "billing dispute escalated: " + "; ".join(reasons))
        return types.Vote(types.Verdict.ESCALATE, 1.0, hard, "billing_dispute", "; ".join(reasons),
                          priority, types.Routing("billing", skills, False))


# Everything above is built into the component's snapshot. Freezing it keeps
# the collector from walking (and so writing to, and page-faulting in) those
# objects during a fresh instance's short life.
gc.freeze()
