//! Schemas of what the API takes apart by hand: the decide request and the
//! outcome batch (parsed field by field, with rules serde's derive cannot
//! state), query strings, and the answers built as JSON values. Every bound
//! below is the constant the parser checks, so the document says what the
//! parser accepts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema,
    SchemaType, Type,
};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::config::{InputLimits, Tag};
use crate::decision::emotion::Emotion;
use crate::decision::input::{Customer, MAX_ATTACHMENTS, MAX_ID_LEN, MAX_LONG, MAX_NAME, Topic};
use crate::decision::merge::Action;
use crate::decision::tier::Tier;
use crate::outcome::{MAX_BATCH, MAX_ID, MAX_TEXT};

/// An RFC 3339 time as the parsers take it (chrono's reading: `T`, `t` or
/// a space between date and time, any number of fractional digits, `Z` or
/// an offset up to ±23:59). JSON Schema's `date-time` format would also
/// admit leap seconds, which the decide request refuses. February 29th is
/// left out, since a pattern cannot tell leap years.
fn time_pattern(years: &str) -> String {
    format!(
        "^{years}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)\
         |02-(0[1-9]|1[0-9]|2[0-8]))[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?\
         ([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
    )
}

/// Times of the decide request: the years 1970 to 9999.
pub fn decide_time_pattern() -> String {
    time_pattern("(19[7-9][0-9]|[2-9][0-9]{3})")
}

/// Times of queries and outcome events: any four-digit year.
pub fn any_time_pattern() -> String {
    time_pattern("[0-9]{4}")
}

/// An RFC 3339 time of a query or an outcome event: any four-digit year.
pub struct AnyTime;

impl PartialSchema for AnyTime {
    fn schema() -> RefOr<Schema> {
        time(any_time_pattern(), "An RFC 3339 time.").into()
    }
}

impl ToSchema for AnyTime {}

/// A string holding something other than white space.
const NOT_BLANK: &str = "\\S";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn nullable(types: Type) -> SchemaType {
    SchemaType::from_iter([types, Type::Null])
}

fn null() -> Schema {
    ObjectBuilder::new().schema_type(Type::Null).into()
}

fn one_of_names(names: &[&str]) -> ObjectBuilder {
    string().enum_values(Some(names.iter().copied()))
}

fn time(pattern: String, description: &str) -> ObjectBuilder {
    string()
        .pattern(Some(pattern))
        .description(Some(description))
        .examples([json!("2026-01-31T09:30:00Z")])
}

fn reference<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
}

/// The body of `POST /v1/decide`, as `decision::input` parses it.
pub struct DecideBody;

impl PartialSchema for DecideBody {
    fn schema() -> RefOr<Schema> {
        let limits = InputLimits::default();
        ObjectBuilder::new()
            .description(Some(
                "A conversation to decide on. Unknown fields are refused, and so are a key \
                 given twice, trailing bytes after the object, and ownership events out of \
                 order (a `transfer` or `handback_to_ai` while the AI owns the conversation \
                 after an earlier event gave it back, a `handoff_to_human` while a human owns \
                 it): each a 422 naming the field. `messages` and each message's `text` are \
                 bounded by `[input] max_messages` and `max_message_chars`; the bounds shown \
                 are the defaults.",
            ))
            .property(
                "conversation_id",
                string()
                    .pattern(Some(NOT_BLANK))
                    .max_length(Some(MAX_ID_LEN))
                    .description(Some("The caller's conversation identifier."))
                    .examples([json!("c-1042")]),
            )
            .required("conversation_id")
            .property(
                "channel",
                ObjectBuilder::new()
                    .schema_type(nullable(Type::String))
                    .description(Some("Channel, for example `chat`.")),
            )
            .property(
                "now",
                time(
                    decide_time_pattern(),
                    "The instant to decide for; the server's clock when absent or null.",
                )
                .schema_type(nullable(Type::String)),
            )
            .property("customer", reference::<Customer>())
            .property("topic", reference::<Topic>())
            .property(
                "messages",
                ArrayBuilder::new()
                    .items(MessageInput::schema())
                    .max_items(Some(limits.max_messages as usize))
                    .description(Some("Messages, oldest first.")),
            )
            .property(
                "attributes",
                ObjectBuilder::new()
                    .additional_properties(Some(string()))
                    .description(Some("Attributes of the conversation.")),
            )
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl ToSchema for DecideBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "DecideRequest".into()
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for (name, schema) in [
            (Customer::name(), Customer::schema()),
            (Topic::name(), Topic::schema()),
            (MessageInput::name(), MessageInput::schema()),
            (
                crate::decision::input::AiTurn::name(),
                crate::decision::input::AiTurn::schema(),
            ),
            (
                crate::decision::input::Attachment::name(),
                crate::decision::input::Attachment::schema(),
            ),
            (OwnershipEventInput::name(), OwnershipEventInput::schema()),
        ] {
            schemas.push((name.into(), schema));
        }
    }
}

/// One message of a decide request: what each role may carry.
pub struct MessageInput;

impl MessageInput {
    fn variant(roles: &[&str], text_required: bool) -> ObjectBuilder {
        let limits = InputLimits::default();
        let text = string()
            .max_length(Some(limits.max_message_chars as usize))
            .description(Some("The message's text."));
        let text = if text_required {
            text
        } else {
            text.schema_type(nullable(Type::String))
        };
        let builder = ObjectBuilder::new()
            .property("role", one_of_names(roles))
            .required("role")
            .property("text", text)
            .property("at", time(decide_time_pattern(), "When it was sent."))
            .required("at")
            .property(
                "attachments",
                ArrayBuilder::new()
                    .items(reference::<crate::decision::input::Attachment>())
                    .max_items(Some(MAX_ATTACHMENTS))
                    .description(Some(
                        "Files attached, passed through to the human and to plugins, never \
                         fetched.",
                    )),
            )
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        if text_required {
            builder.required("text")
        } else {
            builder
        }
    }
}

impl PartialSchema for MessageInput {
    fn schema() -> RefOr<Schema> {
        let human = MessageInput::variant(&["customer", "agent"], true)
            .title(Some("CustomerOrAgentMessage"))
            .property("ai", null())
            .property("event", null());
        let ai = MessageInput::variant(&["ai"], true)
            .title(Some("AiMessage"))
            .property(
                "ai",
                OneOfBuilder::new()
                    .item(reference::<crate::decision::input::AiTurn>())
                    .item(null())
                    .description(Some("What the upstream AI reported about this turn.")),
            )
            .property("event", null());
        let has_text: Schema = ObjectBuilder::new()
            .property("text", string())
            .required("text")
            .into();
        let has_event: Schema = ObjectBuilder::new()
            .property("event", ObjectBuilder::new().schema_type(Type::Object))
            .required("event")
            .into();
        let system: Schema = MessageInput::variant(&["system"], false)
            .title(Some("SystemMessage"))
            .property("ai", null())
            .property(
                "event",
                OneOfBuilder::new()
                    .item(reference::<OwnershipEventInput>())
                    .item(null())
                    .description(Some("A change of who owns the conversation.")),
            )
            .into();
        let system = utoipa::openapi::schema::AllOfBuilder::new()
            .item(system)
            .item(
                AnyOfBuilder::new()
                    .item(has_text)
                    .item(has_event)
                    .description(Some(
                        "`text` may be left out when an `event` stands for it.",
                    )),
            )
            .title(Some("SystemMessage"));
        OneOfBuilder::new()
            .item(human)
            .item(ai)
            .item(system)
            .description(Some(
                "A message: `ai` only on the AI's turns, `event` only on system messages.",
            ))
            .into()
    }
}

impl ToSchema for MessageInput {
    fn name() -> std::borrow::Cow<'static, str> {
        "MessageInput".into()
    }
}

/// An ownership event on a system message, as the parser checks it.
pub struct OwnershipEventInput;

impl PartialSchema for OwnershipEventInput {
    fn schema() -> RefOr<Schema> {
        let name = |what: &str| {
            string()
                .schema_type(nullable(Type::String))
                .max_length(Some(MAX_NAME))
                .description(Some(what))
        };
        let reason = || {
            string()
                .schema_type(nullable(Type::String))
                .max_length(Some(MAX_LONG))
                .description(Some("Why, in the help desk's or the agent's words."))
        };
        let kind = |kind: &str, queue: Schema| {
            ObjectBuilder::new()
                .title(Some(kind))
                .property("type", one_of_names(&[kind]))
                .required("type")
                .property(
                    "agent",
                    name("The agent who took it, or gave it back; blank is none."),
                )
                .property("queue", queue)
                .property("reason", reason())
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        };
        let queue = || name("The queue it went to; blank is none.");
        let named = |field: &str| -> Schema {
            ObjectBuilder::new()
                .property(
                    field,
                    string().pattern(Some(NOT_BLANK)).max_length(Some(MAX_NAME)),
                )
                .required(field)
                .into()
        };
        let transfer: Schema = kind("transfer", queue().into()).into();
        let transfer = utoipa::openapi::schema::AllOfBuilder::new()
            .item(transfer)
            .item(
                AnyOfBuilder::new()
                    .item(named("agent"))
                    .item(named("queue"))
                    .description(Some("A transfer names the agent and/or queue it goes to.")),
            )
            .title(Some("transfer"));
        let no_queue = AnyOfBuilder::new()
            .item(null())
            .item(string().pattern(Some("^\\s*$")).max_length(Some(MAX_NAME)))
            .description(Some("A hand-back to the AI goes to no queue."));
        OneOfBuilder::new()
            .item(kind("handoff_to_human", queue().into()))
            .item(transfer)
            .item(kind("handback_to_ai", no_queue.into()))
            .into()
    }
}

impl ToSchema for OwnershipEventInput {
    fn name() -> std::borrow::Cow<'static, str> {
        "OwnershipEventInput".into()
    }
}

/// The body of `POST /v1/outcomes`, as `outcome::parse_batch` checks it.
pub struct OutcomeBatchBody;

/// What a type-specific field of an outcome event holds.
enum Field {
    Name,
    Text,
    OneOf(&'static [&'static str]),
    Score,
    TagName,
}

impl OutcomeBatchBody {
    fn id(description: &str) -> ObjectBuilder {
        // Not blank, no control characters.
        string()
            .pattern(Some(
                "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$",
            ))
            .max_length(Some(MAX_ID))
            .description(Some(description))
    }

    fn field(kind: &Field) -> RefOr<Schema> {
        match kind {
            Field::Name => string()
                .pattern(Some(NOT_BLANK))
                .max_length(Some(MAX_ID))
                .into(),
            Field::Text => string().max_length(Some(MAX_TEXT)).into(),
            Field::OneOf(names) => one_of_names(names).into(),
            Field::Score => ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(5))
                .into(),
            Field::TagName => reference::<Tag>(),
        }
    }

    fn event(
        kind: &str,
        description: &str,
        fields: &[(&str, Field, bool)],
        decision_required: bool,
    ) -> ObjectBuilder {
        let decision = OutcomeBatchBody::id(
            "The decision it follows, when the sender knows it (required for a review).",
        );
        let mut b = ObjectBuilder::new()
            .title(Some(kind))
            .description(Some(description))
            .property(
                "event_id",
                OutcomeBatchBody::id(
                    "The sender's id for the event; a second event with it is a repeat.",
                ),
            )
            .required("event_id")
            .property("type", one_of_names(&[kind]))
            .required("type")
            .property(
                "conversation_id",
                OutcomeBatchBody::id("The conversation it happened in."),
            )
            .required("conversation_id")
            .property(
                "at",
                time(
                    any_time_pattern(),
                    "When it happened; at most 24 hours ahead of the server's clock.",
                ),
            )
            .required("at")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        b = if decision_required {
            b.property("decision_id", decision).required("decision_id")
        } else {
            b.property("decision_id", decision.schema_type(nullable(Type::String)))
        };
        for (name, kind, required) in fields {
            let f = OutcomeBatchBody::field(kind);
            b = if *required {
                b.property(*name, f).required(*name)
            } else {
                // A null field is an absent one.
                b.property(*name, OneOfBuilder::new().item(f).item(null()))
            };
        }
        b
    }
}

impl PartialSchema for OutcomeBatchBody {
    fn schema() -> RefOr<Schema> {
        use Field::*;
        let e = OutcomeBatchBody::event;
        let transferred: Schema = e(
            "transferred",
            "Moved to another queue and/or agent.",
            &[("to_queue", Name, false), ("to_agent", Name, false)],
            false,
        )
        .into();
        let names = |field: &str| -> Schema {
            ObjectBuilder::new()
                .property(field, OutcomeBatchBody::field(&Name))
                .required(field)
                .into()
        };
        let transferred = utoipa::openapi::schema::AllOfBuilder::new()
            .item(transferred)
            .item(
                AnyOfBuilder::new()
                    .item(names("to_queue"))
                    .item(names("to_agent"))
                    .description(Some("A transfer names `to_queue`, `to_agent` or both.")),
            )
            .title(Some("transferred"));
        let event = OneOfBuilder::new()
            .item(e(
                "human_assigned",
                "A human agent took the conversation.",
                &[("agent", Name, true), ("queue", Name, false)],
                false,
            ))
            .item(e(
                "human_first_reply",
                "The human's first reply to the customer; its `text` is scored for context \
                 completeness.",
                &[
                    ("agent", Name, false),
                    ("queue", Name, false),
                    ("text", Text, false),
                ],
                false,
            ))
            .item(transferred)
            .item(e(
                "handed_back_to_ai",
                "The human handed the conversation back to the AI.",
                &[("agent", Name, false), ("note", Text, false)],
                false,
            ))
            .item(e(
                "resolved",
                "Resolved, `by` the AI or a human.",
                &[("by", OneOf(&["ai", "human"]), true)],
                false,
            ))
            .item(e(
                "reopened",
                "A resolved conversation came back.",
                &[],
                false,
            ))
            .item(e(
                "abandoned",
                "The customer left before it was resolved.",
                &[],
                false,
            ))
            .item(e(
                "csat",
                "A satisfaction score, 1 to 5.",
                &[("score", Score, true), ("comment", Text, false)],
                false,
            ))
            .item(e(
                "review",
                "A person's verdict on a decision.",
                &[
                    (
                        "verdict",
                        OneOf(&["correct", "unnecessary", "missed"]),
                        true,
                    ),
                    ("tag", TagName, false),
                    ("note", Text, false),
                    ("reviewer", Name, false),
                ],
                true,
            ));
        ObjectBuilder::new()
            .description(Some(
                "A batch of outcome events, taken whole or not at all.",
            ))
            .property(
                "events",
                ArrayBuilder::new()
                    .items(event)
                    .min_items(Some(1))
                    .max_items(Some(MAX_BATCH)),
            )
            .required("events")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl ToSchema for OutcomeBatchBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "OutcomeBatch".into()
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((Tag::name().into(), Tag::schema()));
    }
}

/// `POST /v1/decide`'s query string.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Explain {
    /// Adds `explain` to the decision: every built-in trigger with what it
    /// observed and its thresholds. `true`, `1` or empty turn it on.
    #[param(value_type = Option<String>, pattern = "^(true|false|1|0|)$")]
    pub explain: Option<String>,
}

/// `GET /v1/decisions`'s query string: filters, each at most once.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionsQuery {
    /// Decisions made at or after this RFC 3339 time.
    #[param(value_type = Option<AnyTime>)]
    pub since: Option<String>,
    /// Decisions made before this RFC 3339 time.
    #[param(value_type = Option<AnyTime>)]
    pub until: Option<String>,
    /// Only this conversation.
    pub conversation: Option<String>,
    /// Only this action.
    #[param(inline)]
    pub action: Option<Action>,
    /// Only decisions with this reason code.
    pub reason: Option<String>,
    /// Only decisions with a reason of this tag.
    pub tag: Option<String>,
    /// Only this topic category.
    pub category: Option<String>,
    /// Only decisions a plugin of this name voted in.
    pub plugin: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page: opaque, though its pattern
    /// tells what the server reads (the hex of a time in µs, `/`, and a
    /// decision id).
    #[param(
        pattern = "^(2[dD])?(3[0-9]){1,18}2[fF](2[0-9a-fA-F]|[3-6][0-9a-fA-F]|7[0-9a-eA-E])*$"
    )]
    pub cursor: Option<String>,
}

/// `GET /v1/kpis`'s query string.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpisQuery {
    /// Decisions made at or after this RFC 3339 time; default `to` − 28
    /// days. Must be before `to`, at most 1098 days before it.
    #[param(value_type = Option<AnyTime>)]
    pub from: Option<String>,
    /// Decisions made before this RFC 3339 time; default now.
    #[param(value_type = Option<AnyTime>)]
    pub to: Option<String>,
    /// The trend's bucket (default `week`).
    #[param(inline)]
    pub bucket: Option<crate::kpi::window::Bucket>,
    /// Only this category, `(none)` for conversations without one.
    pub category: Option<String>,
    /// Only this channel, `(none)` for conversations without one.
    pub channel: Option<String>,
}

/// `GET /v1/review`'s query string.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// Only escalations with a reason of this tag.
    pub tag: Option<String>,
    /// Only escalations with this reason code.
    pub reason: Option<String>,
    /// Only this category, `(none)` for conversations without one.
    pub category: Option<String>,
    /// Only escalations a plugin of this name voted in.
    pub plugin: Option<String>,
    /// Only escalations without a verdict yet.
    pub unreviewed: Option<bool>,
    /// Decided at or after this RFC 3339 time.
    #[param(value_type = Option<AnyTime>)]
    pub since: Option<String>,
    /// Decided before this RFC 3339 time.
    #[param(value_type = Option<AnyTime>)]
    pub until: Option<String>,
    /// Items, 1 to 200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Shuffles the sample; the same seed gives the same sample (default:
    /// today's date).
    pub seed: Option<String>,
}

/// A conversation's timeline (`GET /v1/conversations/{id}`).
#[derive(Serialize, ToSchema)]
pub struct Timeline {
    /// The conversation.
    pub conversation_id: String,
    /// How many decisions the log holds of it.
    pub decisions: usize,
    /// How many outcome events.
    pub events: usize,
    /// The newest decision, `null` when there is none.
    pub latest: Option<TimelineDecision>,
    /// How action, tier and mood moved from one decision to the next.
    pub moves: Vec<TimelineMove>,
    /// Decisions and events in time order.
    pub timeline: Vec<TimelineEntry>,
}

/// One decision in a timeline.
#[derive(Serialize, ToSchema)]
pub struct TimelineDecision {
    /// Always `decision`.
    #[schema(pattern = "^decision$")]
    pub kind: String,
    /// The decision's `now`.
    pub at: DateTime<Utc>,
    /// The decision.
    pub decision_id: String,
    /// Its action.
    pub action: Action,
    /// Its tier.
    pub tier: Tier,
    /// Its priority, 0 to 100.
    pub priority: u8,
    /// Its score.
    pub score: f64,
    /// The codes of its reasons, heaviest first.
    pub reasons: Vec<String>,
    /// The customer's latest mood as the decision read it.
    pub mood: Option<Emotion>,
    /// The emotional trajectory in one line.
    pub trajectory: String,
}

/// One outcome event in a timeline: the event as stored.
#[derive(Serialize, ToSchema)]
pub struct TimelineEvent {
    /// Always `event`.
    #[schema(pattern = "^event$")]
    pub kind: String,
    /// The sender's id for it.
    pub event_id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind_of_event: String,
    /// The conversation.
    pub conversation_id: String,
    /// The decision it follows, when the sender named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The type's own fields (`agent`, `score`, …).
    #[serde(flatten)]
    pub fields: BTreeMap<String, Value>,
}

/// A decision or an outcome event.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum TimelineEntry {
    /// A decision.
    Decision(TimelineDecision),
    /// An outcome event.
    Event(TimelineEvent),
}

/// A change of action, tier or mood between two decisions.
#[derive(Serialize, ToSchema)]
pub struct TimelineMove {
    /// The later decision's `now`.
    pub at: DateTime<Utc>,
    /// The later decision.
    pub decision_id: String,
    /// `action`, `tier` or `mood`.
    #[schema(pattern = "^(action|tier|mood)$")]
    pub field: String,
    /// Before (`null` for no mood).
    #[schema(value_type = Option<String>)]
    pub from: Value,
    /// After (`null` for no mood).
    #[schema(value_type = Option<String>)]
    pub to: Value,
}

/// What `GET /v1/review` answers.
#[derive(Serialize, ToSchema)]
pub struct ReviewPage {
    /// The sample.
    pub items: Vec<ReviewItem>,
    /// How many escalations matched (at most 5000, the newest).
    pub pool: usize,
    /// How many of those in each category (`(none)` for none).
    pub strata: BTreeMap<String, usize>,
    /// The seed the sample was shuffled with.
    pub seed: String,
    /// How the sample was drawn, in words.
    pub sampling: String,
}

/// One escalation to review.
#[derive(Serialize, ToSchema)]
pub struct ReviewItem {
    /// The decision.
    pub decision_id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// Its `now`.
    pub decided_at: DateTime<Utc>,
    /// Its action.
    pub action: Action,
    /// Its tier.
    pub tier: Tier,
    /// Its priority.
    pub priority: u8,
    /// The topic category, `null` when none was given.
    pub category: Option<String>,
    /// The reasons that carried it.
    pub reasons: Vec<crate::decision::Reason>,
    /// The handoff context.
    pub context: crate::decision::context::Handoff,
    /// The verdict already given, as its `review` outcome event; `null`
    /// when none was.
    #[schema(value_type = Option<Object>)]
    pub review: Option<Value>,
}
