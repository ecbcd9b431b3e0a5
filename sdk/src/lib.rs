//! Write Escalator rule plugins in Rust.
//!
//! A rule is one implementation of [`Rule`] and one call of [`export_rule!`].
//! The WebAssembly plumbing (wit-bindgen, the canonical ABI) stays inside this
//! crate. The crate also builds for the host target, so a rule's logic is unit
//! tested with plain `cargo test`; [`log`] prints to stderr there.
//!
//! ```
//! use escalator_sdk::{Input, PluginInfo, Rule, Vote};
//!
//! struct Refunds;
//!
//! impl Rule for Refunds {
//!     fn describe() -> PluginInfo {
//!         PluginInfo::new("refunds", "0.1.0", "Escalates refund disputes")
//!     }
//!
//!     fn evaluate(input: &Input) -> Result<Vote, String> {
//!         if input.topic.category.as_deref() == Some("refund") {
//!             Ok(Vote::escalate("refund-dispute", "refunds need a human").priority(60))
//!         } else {
//!             Ok(Vote::abstain())
//!         }
//!     }
//! }
//!
//! escalator_sdk::export_rule!(Refunds);
//! ```
//!
//! Build the component with `cargo build --target wasm32-wasip2 --release` and
//! drop `target/wasm32-wasip2/release/<crate>.wasm` into Escalator's plugins
//! directory.

mod settings;
pub mod text;
mod vote;

pub use settings::Settings;

#[doc(hidden)]
#[allow(missing_docs, clippy::all)]
pub mod __bindings {
    wit_bindgen::generate!({
        world: "rule",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "__export_rule_world",
        default_bindings_module: "escalator_sdk::__bindings",
        additional_derives: [PartialEq],
    });
}

pub use __bindings::escalator::rules::host::Level;
pub use __bindings::escalator::rules::types::{
    AiTurn, Attachment, Attribute, Conversation, Customer, EventKind, Input, InputParts, Message,
    Owner, Ownership, OwnershipEvent, PluginInfo, Role, Routing, Setting, SettingSpec, SettingType,
    SettingValue, Signals, Topic, Verdict, Vote,
};

/// The version of the `escalator:rules` interface this SDK builds against,
/// read from the WIT package at build time.
pub const INTERFACE_VERSION: &str = env!("ESCALATOR_RULES_VERSION");

/// One escalation rule.
///
/// Implement it on a unit struct and export it with [`export_rule!`]. Every
/// decision runs in a fresh instance, so a rule cannot carry state from one
/// conversation to the next: everything it needs is in its [`Input`].
pub trait Rule {
    /// Names the rule and lists the settings it accepts.
    fn describe() -> PluginInfo;

    /// Checks the operator's settings when the plugin is loaded.
    ///
    /// Declared defaults are already filled in and types already checked by
    /// the host; this is for rules of your own (ranges, non-empty lists). The
    /// error text is shown to operators, so say what to change.
    fn validate_settings(settings: &Settings<'_>) -> Result<(), String> {
        let _ = settings;
        Ok(())
    }

    /// Votes on one conversation. An `Err` counts as an abstain, with the
    /// message recorded in the decision.
    fn evaluate(input: &Input) -> Result<Vote, String>;
}

/// Exports a [`Rule`] as the plugin's implementation of the `rule` world.
///
/// Call it once, at the top level of the plugin crate. The exports exist only
/// in the WebAssembly build: natively, several rule crates can be linked into
/// one program (tests, benchmarks) without their exports clashing.
#[macro_export]
macro_rules! export_rule {
    ($rule:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __EscalatorExportedRule = $crate::__Adapter<$rule>;
            $crate::__bindings::__export_rule_world!(
                __EscalatorExportedRule with_types_in $crate::__bindings
            );
        };
        // Natively, this keeps the rule "used" for dead-code analysis.
        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            let _ = <$crate::__Adapter<$rule> as $crate::__bindings::Guest>::describe;
            let _ = <$crate::__Adapter<$rule> as $crate::__bindings::Guest>::validate_settings;
            let _ = <$crate::__Adapter<$rule> as $crate::__bindings::Guest>::evaluate;
        };
    };
}

#[doc(hidden)]
pub struct __Adapter<R>(std::marker::PhantomData<R>);

impl<R: Rule> __bindings::Guest for __Adapter<R> {
    fn describe() -> PluginInfo {
        R::describe()
    }

    fn validate_settings(settings: Vec<Setting>) -> Result<(), String> {
        R::validate_settings(&Settings::new(&settings))
    }

    fn evaluate(input: Input) -> Result<Vote, String> {
        R::evaluate(&input)
    }
}

/// Writes a record to Escalator's log, tagged with this plugin's name.
///
/// Outside WebAssembly (in native unit tests) the record goes to stderr.
///
/// ```
/// escalator_sdk::log(escalator_sdk::Level::Info, "matched the refund rule");
/// ```
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    __bindings::escalator::rules::host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

impl PluginInfo {
    /// Starts a description with no settings; add them with [`PluginInfo::setting`].
    pub fn new(name: &str, version: &str, description: &str) -> Self {
        PluginInfo {
            name: name.to_owned(),
            version: version.to_owned(),
            description: description.to_owned(),
            settings: Vec::new(),
            reads: None,
        }
    }

    /// Declares a setting; `default: None` makes it required.
    pub fn setting(
        mut self,
        name: &str,
        kind: SettingType,
        default: Option<SettingValue>,
        description: &str,
    ) -> Self {
        self.settings.push(SettingSpec {
            name: name.to_owned(),
            kind,
            default,
            description: description.to_owned(),
            secret: false,
        });
        self
    }

    /// Makes the setting declared last a secret: a credential such as an
    /// API key. Escalator hands it to the rule like any setting but never
    /// shows it (operators see whether it is set and a short digest), and
    /// scrubs it from anything the rule prints, logs or returns. Do not
    /// echo it anyway.
    ///
    /// ```
    /// use escalator_sdk::{PluginInfo, SettingType};
    ///
    /// let info = PluginInfo::new("crm", "0.1.0", "Escalates accounts the CRM flags")
    ///     .setting("api_key", SettingType::Text, None, "the CRM's API key")
    ///     .secret();
    /// assert!(info.settings[0].secret);
    /// ```
    ///
    /// # Panics
    ///
    /// When no setting is declared yet.
    pub fn secret(mut self) -> Self {
        self.settings
            .last_mut()
            .expect("declare a setting with `.setting(…)` before marking it `.secret()`")
            .secret = true;
        self
    }

    /// Says which parts of the input the rule reads; without it, the rule
    /// reads everything. Escalator may hand a part left out empty (a rule
    /// that does not read `messages` gets no messages, and is cheaper to
    /// call on long conversations).
    ///
    /// ```
    /// use escalator_sdk::{InputParts, PluginInfo};
    ///
    /// let info = PluginInfo::new("vip", "0.1.0", "Escalates top accounts")
    ///     .reads(InputParts::CUSTOMER | InputParts::OWNERSHIP);
    /// assert_eq!(info.reads, Some(InputParts::CUSTOMER | InputParts::OWNERSHIP));
    /// ```
    pub fn reads(mut self, parts: InputParts) -> Self {
        self.reads = Some(parts);
        self
    }
}

impl Input {
    /// This plugin's settings, with the declared defaults filled in.
    pub fn settings(&self) -> Settings<'_> {
        Settings::new(&self.settings)
    }

    /// The customer's messages, oldest first.
    pub fn customer_messages(&self) -> impl DoubleEndedIterator<Item = &Message> {
        self.conversation
            .messages
            .iter()
            .filter(|m| m.role == Role::Customer)
    }

    /// The messages of the current stretch: since the AI's latest hand-back
    /// while the AI owns the conversation, since the handoff while a human
    /// does. The built-in triggers judge only these.
    pub fn segment(&self) -> &[Message] {
        let start = (self.ownership.segment_start as usize).min(self.conversation.messages.len());
        &self.conversation.messages[start..]
    }

    /// Whether a human owns the conversation: then Escalator asks whether
    /// it can go back to the AI, and [`Vote::hand_back`] says it can.
    pub fn human_owns(&self) -> bool {
        self.ownership.owner == Owner::Human
    }

    /// The text of the customer's latest message, if any.
    pub fn latest_customer_text(&self) -> Option<&str> {
        self.customer_messages()
            .next_back()
            .map(|m| m.text.as_str())
    }
}

impl Customer {
    /// The value of a customer attribute.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        find_attribute(&self.attributes, key)
    }
}

impl Conversation {
    /// The value of a conversation attribute.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        find_attribute(&self.attributes, key)
    }
}

fn find_attribute<'a>(attributes: &'a [Attribute], key: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
}

/// Builders for the types of a rule's input, for native unit tests.
pub mod testing;
