"""Test fixture: reads time.time(), time.monotonic(), os.urandom() and the
random module, reports them in the vote's detail, and escalates when its
random draw is odd. Escalator must make all of them a function of the
decision, so the vote replays exactly."""

import os
import random
import time

import wit_world
from wit_world.imports import types


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name="dice-py",
            version="0.1.0",
            description="Votes by a random draw (test fixture)",
            settings=[],
            reads=None,
        )

    def validate_settings(self, settings) -> None:
        pass

    def evaluate(self, input: types.Input) -> types.Vote:
        start = time.monotonic()
        wall = time.time()
        raw = os.urandom(4)
        rolled = random.random()
        draw = raw[0] ^ int(rolled * 256)
        elapsed = time.monotonic() - start
        detail = f"wall_s={wall:.6f} mono_s={elapsed:.9f} draw={raw.hex()}:{rolled!r} hash={hash('seed')}"
        if draw % 2 == 1:
            return types.Vote(types.Verdict.ESCALATE, 1.0, False, "odd_draw", detail, None, None)
        return types.Vote(types.Verdict.STAY, 1.0, False, "even_draw", detail, None, None)
