//! Test fixture: misbehaves as the customer's latest message asks, so the
//! integration tests can check that each kind of failure is contained.
//!
//! `panic`, `loop`, `error`, `nan-weight`, `huge-reason`, `print`; anything
//! else votes `stay` with reason `fixture_ok` (so the smoke test passes).

use escalator_sdk::{Input, Level, PluginInfo, Rule, Vote};

struct Misbehave;

impl Rule for Misbehave {
    fn describe() -> PluginInfo {
        PluginInfo::new("misbehave", "0.1.0", "Misbehaves on request (test fixture)")
    }

    fn evaluate(input: &Input) -> Result<Vote, String> {
        match input.latest_customer_text().unwrap_or("") {
            "panic" => panic!("asked to panic"),
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "error" => Err("asked to fail".to_owned()),
            "nan-weight" => Ok(Vote::escalate("nan", "").weight(f64::NAN)),
            "huge-reason" => Ok(Vote::escalate(&"x".repeat(10 << 20), "")),
            "print" => {
                println!("printed by the plugin");
                escalator_sdk::log(Level::Warn, "logged by the plugin");
                Ok(Vote::stay("fixture_ok", "printed"))
            }
            _ => Ok(Vote::stay("fixture_ok", "behaving").weight(0.25)),
        }
    }
}

escalator_sdk::export_rule!(Misbehave);
