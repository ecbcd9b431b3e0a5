//! Test fixture: reads the wall clock, the monotonic clock and random
//! numbers, reports them in its vote's detail, and escalates when its
//! random draw is odd. With the host's real clocks and entropy its vote
//! would differ on every call; Escalator must make it a function of the
//! decision.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use escalator_sdk::{Input, PluginInfo, Rule, Vote};

struct Dice;

impl Rule for Dice {
    fn describe() -> PluginInfo {
        PluginInfo::new("dice", "0.1.0", "Votes by a random draw (test fixture)")
    }

    fn evaluate(_input: &Input) -> Result<Vote, String> {
        let started = Instant::now();
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_millis();
        // The hasher's keys come from the host's random source.
        let draw = RandomState::new().hash_one(0u8);
        let elapsed = started.elapsed().as_nanos();
        let detail = format!("wall_ms={wall} mono_ns={elapsed} draw={draw:016x}");
        Ok(if draw % 2 == 1 {
            Vote::escalate("odd_draw", &detail)
        } else {
            Vote::stay("even_draw", &detail)
        })
    }
}

escalator_sdk::export_rule!(Dice);
