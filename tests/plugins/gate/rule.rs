// Test fixture rule shared by the `gate-*` crates: misbehaves inside the load
// gate itself, in `describe` and in the smoke evaluation, as `MODE` says:
//
// - `print`: prints to stdout and stderr in `describe` and `evaluate`, then
//   votes normally (it must load and vote);
// - `panic`: panics in `evaluate` (it fails the smoke step as a trap);
// - `oom`: allocates without end in `describe` (it fails as out_of_memory).

use escalator_sdk::{Input, PluginInfo, Rule, Vote};

struct Gate;

impl Rule for Gate {
    fn describe() -> PluginInfo {
        match MODE {
            "print" => {
                println!("gate fixture: describe on stdout");
                eprintln!("gate fixture: describe on stderr");
            }
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
                }
            }
            _ => {}
        }
        PluginInfo::new(
            &format!("gate-{MODE}"),
            "0.1.0",
            "Misbehaves inside the load gate (test fixture)",
        )
    }

    fn evaluate(_input: &Input) -> Result<Vote, String> {
        match MODE {
            "print" => {
                println!("gate fixture: evaluate on stdout");
                eprintln!("gate fixture: evaluate on stderr");
                Ok(Vote::stay("fixture_ok", "printed").weight(0.25))
            }
            "panic" => panic!("gate fixture: asked to panic"),
            _ => Ok(Vote::abstain()),
        }
    }
}

escalator_sdk::export_rule!(Gate);
