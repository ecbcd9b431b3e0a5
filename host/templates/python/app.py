"""{{name}}: escalates when a customer message contains one of the configured
keywords. Replace the logic with your own rule."""

import wit_world
from wit_world.imports import host, types
from componentize_py_types import Err

DEFAULT_KEYWORDS = ["refund"]


def setting(settings, name):
    for s in settings:
        if s.name == name:
            return s.value.value
    return None


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name="{{name}}",
            version="0.1.0",
            description="Escalates on configured keywords",
            settings=[
                types.SettingSpec(
                    name="keywords",
                    kind=types.SettingType.TEXT_LIST,
                    default=types.SettingValue_TextList(DEFAULT_KEYWORDS),
                    description="phrases in customer messages that escalate",
                    secret=False,
                )
            ],
            reads=None,
        )

    def validate_settings(self, settings) -> None:
        if not setting(settings, "keywords"):
            raise Err("keywords must not be empty")

    def evaluate(self, input: types.Input) -> types.Vote:
        keywords = [k.lower() for k in setting(input.settings, "keywords") or []]
        for m in input.conversation.messages:
            if m.role != types.Role.CUSTOMER:
                continue
            text = m.text.lower()
            for k in keywords:
                if k in text:
                    host.log(host.Level.INFO, f"keyword {k!r} found")
                    return types.Vote(types.Verdict.ESCALATE, 1.0, False, "keyword",
                                      f"the customer wrote '{k}'", 50, None)
        return types.Vote(types.Verdict.ABSTAIN, 1.0, False, "", "", None, None)
