// Shared source of the `flip-*` and `smoke-trap` fixtures: each crate sets
// `VARIANT` and includes this file, so the tests get several versions of one
// rule that vote differently.
use escalator_sdk::{Input, PluginInfo, Rule, SettingType, SettingValue, Settings, Vote};

struct Flip;

impl Rule for Flip {
    fn describe() -> PluginInfo {
        PluginInfo::new("flip", VARIANT, "Votes according to its build variant (test fixture)").setting(
            "level",
            SettingType::Integer,
            Some(SettingValue::Integer(1)),
            "any integer; the strict variant refuses negative ones",
        )
    }

    fn validate_settings(settings: &Settings<'_>) -> Result<(), String> {
        let level = settings.integer("level").unwrap_or(1);
        if VARIANT == "strict" && level < 0 {
            return Err(format!("level must be 0 or more, got {level}"));
        }
        Ok(())
    }

    fn evaluate(input: &Input) -> Result<Vote, String> {
        if VARIANT == "smoke-trap" && input.conversation.id == "escalator-smoke-test" {
            panic!("this variant traps on the smoke conversation");
        }
        let reason = format!("variant_{VARIANT}");
        Ok(match VARIANT {
            "b" => Vote::stay(&reason, "version b says stay").weight(0.5),
            _ => Vote::escalate(&reason, "this version says escalate").weight(0.5),
        })
    }
}

escalator_sdk::export_rule!(Flip);
