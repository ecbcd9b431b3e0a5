//! Escalator's rules beside OPA's Rego, the rule engine a user would pick
//! instead: the three Rust example rules (topic-guard, vip-accounts,
//! loop-detector) and the built-in confidence trigger, written as Rego
//! policies (`benches/rego/`) and evaluated in-process with regorus, on 19
//! conversations in English, Portuguese and Spanish.
//!
//! First every rule's vote on every conversation is checked to be the same
//! from the Wasm plugin, its native build and both Rego variants (the
//! confidence trigger has no plugin: the built-in stands for both); any
//! difference stops the bench. Then, per rule and for the whole decision
//! (all four rules), it times one pass over the conversations: the Wasm
//! vote in a fresh instance, the native rule, and Rego with the phrase
//! lists split on every evaluation (as a policy is naturally written) and
//! split ahead of time into `data` (the fair best case). Each implementation
//! is timed from the parsed conversation, so each pays for building its own
//! input. Rego's engine is prepared once (policies parsed and scheduled,
//! data loaded) and reused, a new input per evaluation; a clone of it, what
//! threads sharing one engine would add, is timed on its own. A table of
//! Rego time over Wasm time closes the run.
//!
//!     cargo bench -p escalator --bench rego

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use escalator::config::{BreakerConfig, Config, TriggersConfig};
use escalator::decision::input::{Conversation, Role};
use escalator::decision::ownership::Owner;
use escalator::decision::reading::Reading;
use escalator::decision::signals::Signals;
use escalator::decision::triggers::{self, Context};
use escalator::decision::vote::Verdict;
use escalator::plugin::{LoadedPlugin, Runtime, to_wit_input};
use escalator_sdk::Rule;
use serde_json::{Value as Json, json};

/// One message of a conversation: who wrote it, its text, and on an AI turn
/// its confidence and outcome.
struct Said {
    role: &'static str,
    text: &'static str,
    ai: Option<(f64, &'static str)>,
}

const fn customer(text: &'static str) -> Said {
    Said {
        role: "customer",
        text,
        ai: None,
    }
}

const fn ai(text: &'static str, confidence: f64, outcome: &'static str) -> Said {
    Said {
        role: "ai",
        text,
        ai: Some((confidence, outcome)),
    }
}

/// A conversation of the comparison.
struct Case {
    name: &'static str,
    tier: Option<&'static str>,
    rank: Option<u32>,
    category: Option<&'static str>,
    messages: &'static [Said],
}

/// Each rule fires on some and not on others (checked before timing), in
/// each way it can: by topic or by phrase, by tier or by rank, by a request
/// for a human or by repetition, and each of the confidence trigger's
/// reasons, with small talk, a negation and a hypothetical that keep it
/// quiet.
const CASES: &[Case] = &[
    Case {
        name: "en parcel late, all fine",
        tier: Some("pro"),
        rank: Some(4200),
        category: Some("orders"),
        messages: &[
            customer("Hi, my parcel was due yesterday and has not arrived"),
            ai(
                "Sorry about that! Let me check the courier for you.",
                0.91,
                "answered",
            ),
            customer("It is order 5521, shipped last week"),
            ai(
                "The courier shows it out for delivery today.",
                0.88,
                "answered",
            ),
            customer("Great, what time window should I expect?"),
            ai("Between 2pm and 6pm.", 0.84, "answered"),
        ],
    },
    Case {
        name: "en account hacked",
        tier: Some("pro"),
        rank: Some(980),
        category: Some("account"),
        messages: &[
            customer("I think my account was HACKED yesterday"),
            ai("Let me check the recent sign-ins.", 0.9, "answered"),
            customer("ok, what do I do now?"),
        ],
    },
    Case {
        name: "en attorney",
        tier: None,
        rank: None,
        category: Some("billing"),
        messages: &[
            customer("You charged me twice. My attorney will hear about this."),
            ai(
                "I can see two charges; one is a pending authorisation.",
                0.86,
                "answered",
            ),
        ],
    },
    Case {
        name: "en cancellation by topic, enterprise tier",
        tier: Some("Enterprise"),
        rank: Some(3000),
        category: Some("Cancellation"),
        messages: &[
            customer("Hello, I have a question about my plan"),
            ai("Of course, what would you like to know?", 0.93, "answered"),
        ],
    },
    Case {
        name: "en asks for a person, ranked 100",
        tier: Some("basic"),
        rank: Some(100),
        category: Some("orders"),
        messages: &[
            customer("The app keeps crashing when I pay"),
            ai("Try reinstalling the app.", 0.8, "answered"),
            customer("Can I speak to a person please?"),
        ],
    },
    Case {
        name: "en says it three times, ranked 101",
        tier: Some("basic"),
        rank: Some(101),
        category: Some("refunds"),
        messages: &[
            customer("My refund has not arrived"),
            ai("Refunds take 5 days.", 0.8, "answered"),
            customer("my refund has NOT arrived!"),
            ai("Refunds take 5 days.", 0.8, "answered"),
            customer("My refund has not arrived."),
        ],
    },
    Case {
        name: "en low confidence",
        tier: None,
        rank: Some(50_000),
        category: Some("shipping"),
        messages: &[
            customer("Do you ship batteries to Iceland?"),
            ai(
                "I believe lithium batteries may be restricted.",
                0.41,
                "answered",
            ),
        ],
    },
    Case {
        name: "en shaky streak",
        tier: Some("pro"),
        rank: None,
        category: Some("billing"),
        messages: &[
            customer("Why is the VAT on my invoice higher this month?"),
            ai(
                "It may be a change in your billing country.",
                0.66,
                "answered",
            ),
            customer("My country did not change though"),
            ai(
                "Then it could be the new reduced-rate rules.",
                0.62,
                "answered",
            ),
        ],
    },
    Case {
        name: "en fallback",
        tier: Some("pro"),
        rank: Some(7000),
        category: Some("orders"),
        messages: &[
            customer("Can you split my order into two deliveries?"),
            ai("Sorry, I did not get that.", 0.9, "FALLBACK"),
        ],
    },
    Case {
        name: "en disputes the answer",
        tier: Some("pro"),
        rank: Some(640),
        category: Some("billing"),
        messages: &[
            customer("How much is the late fee?"),
            ai("The late fee is 15 dollars.", 0.95, "answered"),
            customer("That's wrong, it was 30 dollars last time."),
        ],
    },
    Case {
        name: "en dispute asked and negated",
        tier: Some("pro"),
        rank: Some(640),
        category: Some("billing"),
        messages: &[
            customer("How much is the late fee?"),
            ai("The late fee is 15 dollars.", 0.95, "answered"),
            customer("If that is wrong, where can I check? I don't want the wrong amount charged."),
        ],
    },
    Case {
        name: "en small talk around a shaky reply",
        tier: None,
        rank: None,
        category: None,
        messages: &[
            customer("Hi there!"),
            ai("Hello! How can I help?", 0.3, "answered"),
        ],
    },
    Case {
        name: "pt pedido atrasado, tudo bem",
        tier: Some("Pro"),
        rank: Some(2500),
        category: Some("pedidos"),
        messages: &[
            customer("O meu pedido ainda não chegou, pode verificar?"),
            ai("Claro! O pedido está em trânsito.", 0.9, "answered"),
            customer("E quando deve chegar?"),
            ai("A previsão é amanhã até as 18h.", 0.87, "answered"),
        ],
    },
    Case {
        name: "pt repete o reembolso",
        tier: Some("basico"),
        rank: Some(9000),
        category: Some("reembolso"),
        messages: &[
            customer("O meu reembolso ainda não caiu"),
            ai("O prazo é de 5 dias úteis.", 0.85, "answered"),
            customer("o meu reembolso ainda NÃO caiu"),
            ai("O prazo é de 5 dias úteis.", 0.85, "answered"),
            customer("O meu reembolso ainda não caiu!!"),
        ],
    },
    Case {
        name: "pt churn, vip, resposta errada",
        tier: Some("vip"),
        rank: None,
        category: Some("churn"),
        messages: &[
            customer("Quero saber a multa para encerrar o contrato"),
            ai("A multa é de 50 reais.", 0.9, "answered"),
            customer("Isso está errado, o contrato diz 20 reais."),
        ],
    },
    Case {
        name: "pt cumprimento, resposta insegura, rank 12",
        tier: Some("pro"),
        rank: Some(12),
        category: Some("geral"),
        messages: &[
            customer("Olá, bom dia!"),
            ai("Bom dia! Em que posso ajudar?", 0.35, "answered"),
        ],
    },
    Case {
        name: "es pide un supervisor, error de herramienta",
        tier: Some("pro"),
        rank: Some(800),
        category: Some("facturacion"),
        messages: &[
            customer("Me cobraron dos veces este mes"),
            ai("No pude consultar tu factura.", 0.7, "tool_error"),
            customer("Quiero hablar con un supervisor ahora."),
        ],
    },
    Case {
        name: "es la respuesta está mal",
        tier: Some("básico"),
        rank: Some(15_000),
        category: Some("envios"),
        messages: &[
            customer("¿Cuánto cuesta el envío a Sevilla?"),
            ai("El envío cuesta 4 euros.", 0.92, "answered"),
            customer("Eso está mal, en la web pone 6 euros."),
        ],
    },
    Case {
        name: "es revisar el envío, todo bien",
        tier: Some("pro"),
        rank: Some(4100),
        category: Some("envios"),
        messages: &[
            customer("¿Puedes revisar el estado del envío, por favor?"),
            ai("Tu envío llega el jueves.", 0.89, "answered"),
            customer("Perfecto, gracias. ¿Y puedo cambiar la dirección?"),
            ai("Sí, desde tu perfil hasta el miércoles.", 0.83, "answered"),
        ],
    },
];

/// The rules compared, by the names their plugins give themselves; the
/// Rego package of each is the name with `_` for `-`.
const RULES: [&str; 4] = ["topic-guard", "vip-accounts", "loop-detector", "confidence"];

fn conversation(case: &Case) -> Conversation {
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-02T14:00:00Z").unwrap();
    let at = |i: usize| (start + chrono::Duration::seconds(30 * i as i64)).to_rfc3339();
    let messages: Vec<Json> = case
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| match m.ai {
            Some((confidence, outcome)) => json!({"role": m.role, "text": m.text, "at": at(i),
                "ai": {"confidence": confidence, "outcome": outcome}}),
            None => json!({"role": m.role, "text": m.text, "at": at(i)}),
        })
        .collect();
    let body = json!({
        "conversation_id": case.name, "channel": "chat", "now": at(case.messages.len()),
        "customer": {"id": "c-1", "tier": case.tier, "account_rank": case.rank},
        "topic": {"category": case.category},
        "messages": messages,
    });
    Conversation::from_json(body.to_string().as_bytes(), chrono::Utc::now()).unwrap()
}

/// What the comparison holds equal: the verdict, the reason, and what the
/// rule sets beside them. Details are compared for the plugins; the
/// confidence trigger's quote numbers formatted as Rust formats them, which
/// its policy does not try to reproduce.
#[derive(Debug, Clone, PartialEq)]
struct Verdicts {
    verdict: String,
    reason: String,
    hard: bool,
    priority: Option<u64>,
    detail: Option<String>,
}

impl Verdicts {
    fn new(verdict: &str, reason: &str, hard: bool, priority: Option<u64>, detail: &str) -> Self {
        if verdict == "abstain" {
            // An abstain says nothing else.
            return Verdicts {
                verdict: verdict.into(),
                reason: String::new(),
                hard: false,
                priority: None,
                detail: None,
            };
        }
        Verdicts {
            verdict: verdict.into(),
            reason: reason.into(),
            hard,
            priority,
            detail: Some(detail.into()),
        }
    }

    fn of_host(v: &escalator::decision::vote::Vote) -> Self {
        assert!(v.error.is_none(), "the vote failed: {:?}", v.error);
        let verdict = match v.verdict {
            Verdict::Escalate => "escalate",
            Verdict::Stay => "stay",
            Verdict::Abstain => "abstain",
            Verdict::HandBack => "hand_back",
        };
        Self::new(
            verdict,
            &v.reason,
            v.hard,
            v.priority.map(u64::from),
            &v.detail,
        )
    }

    fn of_sdk(v: &escalator_sdk::Vote) -> Self {
        use escalator_sdk::Verdict as V;
        let verdict = match v.verdict {
            V::Escalate => "escalate",
            V::Stay => "stay",
            V::Abstain => "abstain",
            V::HandBack => "hand_back",
        };
        Self::new(
            verdict,
            &v.reason,
            v.hard,
            v.priority.map(u64::from),
            &v.detail,
        )
    }

    fn of_rego(v: &Json) -> Self {
        Self::new(
            v["verdict"].as_str().expect("a verdict"),
            v["reason"].as_str().unwrap_or_default(),
            v["hard"].as_bool().unwrap_or_default(),
            v["priority"].as_u64(),
            v["detail"].as_str().unwrap_or_default(),
        )
    }

    fn without_detail(mut self) -> Self {
        self.detail = None;
        self
    }
}

/// A rule's settings as Rego reads them: `{name: value}`, with the
/// defaults the plugin declares.
fn rego_settings(settings: &[escalator_sdk::Setting]) -> Json {
    use escalator_sdk::SettingValue as V;
    settings
        .iter()
        .map(|s| {
            let value = match &s.value {
                V::Flag(b) => json!(b),
                V::Integer(i) => json!(i),
                V::Number(n) => json!(n),
                V::Text(t) => json!(t),
                V::TextList(l) => json!(l),
            };
            (s.name.clone(), value)
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The confidence trigger's configuration as Rego reads it. Rego has no
/// pattern compiler, so each pattern is written out as the plain phrases it
/// stands for, as someone writing the policy by hand would list them.
fn confidence_settings(t: &TriggersConfig) -> Json {
    let c = &t.confidence;
    let phrases = |p: &escalator::config::phrases::Phrases| {
        let mut out: Vec<String> = Vec::new();
        for e in p.sources().iter().flat_map(|s| written_out(s)) {
            if !out.contains(&e) {
                out.push(e);
            }
        }
        out
    };
    json!({
        "threshold": c.threshold,
        "streak": c.streak,
        "streak_threshold": c.streak_threshold,
        "could_not_answer": c.could_not_answer,
        "disputed_phrases": phrases(&c.disputed_phrases),
        "small_talk": phrases(&c.small_talk),
        "negations": phrases(&t.scope.negations),
        "negation_reach": t.scope.negation_reach,
        "hypotheticals": phrases(&t.scope.hypotheticals),
    })
}

/// The phrases a pattern's groups stand for, in the order the host tries
/// them: `(a|b) c (d|)` is "a c d", "a c", "b c d", "b c". Words, `word*`
/// and `..` are kept as written.
fn written_out(pattern: &str) -> Vec<String> {
    fn sequence(chars: &[char], at: &mut usize) -> Vec<String> {
        let mut out = vec![String::new()];
        while let Some(&c) = chars.get(*at) {
            match c {
                '|' | ')' => break,
                '(' => {
                    *at += 1;
                    let mut choices = Vec::new();
                    loop {
                        choices.extend(sequence(chars, at));
                        let closed = chars[*at] == ')';
                        *at += 1;
                        if closed {
                            break;
                        }
                    }
                    out = out
                        .iter()
                        .flat_map(|head| choices.iter().map(move |c| format!("{head} {c} ")))
                        .collect();
                }
                c => {
                    out.iter_mut().for_each(|s| s.push(c));
                    *at += 1;
                }
            }
        }
        out
    }
    let chars: Vec<char> = pattern.chars().collect();
    sequence(&chars, &mut 0)
        .iter()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The input a Rego policy gets: what a plugin gets, as JSON, with the
/// settings of the rules evaluated under their names. The settings were
/// converted once; each input shares them.
fn rego_input(c: &Conversation, s: &Signals, settings: &regorus::Value) -> regorus::Value {
    let messages: Vec<Json> = c
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::Customer => "customer",
                Role::Ai => "ai",
                Role::Agent => "agent",
                Role::System => "system",
            };
            let mut out = json!({"role": role, "text": m.text, "at_ms": m.at.timestamp_millis()});
            if let Some(a) = &m.ai {
                out["ai"] = json!({"confidence": a.confidence, "intent": a.intent,
                                   "outcome": a.outcome});
            }
            out
        })
        .collect();
    let input = json!({
        "conversation": {"id": c.id, "channel": c.channel, "messages": messages},
        "customer": {"id": c.customer.id, "tier": c.customer.tier,
                     "account_rank": c.customer.account_rank},
        "topic": {"category": c.topic.category, "subcategory": c.topic.subcategory},
        "signals": {"latest_ai_confidence": s.latest_ai_confidence,
                    "lowest_ai_confidence": s.lowest_ai_confidence,
                    "elapsed_ms": s.elapsed_ms, "customer_turns": s.customer_turns},
    });
    let mut input: regorus::Value = serde_json::from_value(without_nulls(input)).unwrap();
    input
        .as_object_mut()
        .unwrap()
        .insert("settings".into(), settings.clone());
    input
}

/// JSON without its null members: an absent field is undefined in Rego,
/// which every policy's rules treat as "not there", as Rust treats `None`.
fn without_nulls(v: Json) -> Json {
    match v {
        Json::Object(o) => o
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k, without_nulls(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Json::Array(a) => a.into_iter().map(without_nulls).collect(),
        v => v,
    }
}

/// A Rego engine loaded with policies and their prepared data, and the
/// settings its inputs carry.
struct Rego {
    engine: RefCell<regorus::Engine>,
    settings: regorus::Value,
}

impl Rego {
    /// An engine with `rules` (and the text helpers), its inputs carrying
    /// their part of `settings` (every rule's, by rule name). The phrase
    /// lists of the precomputed variant are made by the policies' own
    /// `prepared` rules, evaluated once here, so both variants fold phrases
    /// alike (vip-accounts has no phrases).
    fn new(rules: &[&str], settings: &Json) -> Rego {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/rego");
        let mut engine = regorus::Engine::new();
        let mut files: Vec<String> = ["text".to_owned()].into();
        files.extend(rules.iter().map(|r| package(r)));
        if rules.len() == RULES.len() {
            // Every rule's vote in one query.
            files.push("decision".to_owned());
        }
        for file in files {
            let path = dir.join(format!("{file}.rego"));
            let source = std::fs::read_to_string(&path).unwrap();
            engine
                .add_policy(format!("{file}.rego"), source)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        let ours: serde_json::Map<String, Json> = rules
            .iter()
            .map(|r| (r.to_string(), settings[*r].clone()))
            .collect();
        let settings: regorus::Value = serde_json::from_value(Json::Object(ours)).unwrap();
        let mut input = regorus::Value::new_object();
        input
            .as_object_mut()
            .unwrap()
            .insert("settings".into(), settings.clone());
        engine.set_input(input);
        let mut lists = regorus::Value::new_object();
        for rule in rules.iter().filter(|r| **r != "vip-accounts") {
            let prepared = engine
                .eval_rule(format!("data.escalator.{}.prepared", package(rule)))
                .unwrap();
            lists
                .as_object_mut()
                .unwrap()
                .insert((*rule).into(), prepared);
        }
        let mut data = regorus::Value::new_object();
        data.as_object_mut()
            .unwrap()
            .insert("precomputed".into(), lists);
        engine.add_data(data).unwrap();
        // The first evaluation analyses and schedules the policies; done
        // here, once, it is shared by every later evaluation and clone.
        for rule in rules {
            engine
                .eval_rule(format!("data.escalator.{}.vote", package(rule)))
                .unwrap();
        }
        Rego {
            engine: RefCell::new(engine),
            settings,
        }
    }

    /// Evaluates `rule` on one conversation with the prepared engine, reused
    /// as a worker thread would keep its own: a new input, then the rule.
    /// (Threads sharing one engine would each evaluate on a clone of it;
    /// the bench times that clone on its own.)
    fn eval(&self, c: &Conversation, s: &Signals, rule: &str) -> regorus::Value {
        let mut engine = self.engine.borrow_mut();
        engine.set_input(rego_input(c, s, &self.settings));
        engine.eval_rule(rule.to_owned()).unwrap()
    }
}

fn package(rule: &str) -> String {
    rule.replace('-', "_")
}

fn to_json(v: &regorus::Value) -> Json {
    serde_json::from_str(&v.to_json_str().unwrap()).unwrap()
}

/// The built-in confidence trigger alone, as `decide` runs it, with each
/// customer message read afresh (`decide` would reuse readings remembered
/// from earlier turns; the other implementations remember nothing).
struct Builtin {
    triggers: TriggersConfig,
}

impl Builtin {
    fn new() -> Builtin {
        let mut triggers = TriggersConfig::default();
        triggers.sentiment.enabled = false;
        triggers.topic.enabled = false;
        triggers.account.enabled = false;
        triggers.budget.enabled = false;
        triggers.human_request.enabled = false;
        Builtin { triggers }
    }

    fn vote(&self, c: &Conversation, s: &Signals) -> escalator::decision::vote::Vote {
        let readings: Vec<Arc<Reading>> = c
            .customer_messages()
            .map(|m| Arc::new(Reading::new(&m.text, &self.triggers.scope)))
            .collect();
        let ctx = Context {
            conversation: c,
            signals: s,
            emotions: &[],
            readings: &readings,
            solved: &[],
            moved_on: &[],
            explain: false,
            owner: Owner::Ai,
        };
        let (mut votes, _) = triggers::evaluate(&self.triggers, &ctx, escalator::plugin::alone());
        assert_eq!(votes.len(), 1, "only the confidence trigger is enabled");
        votes.pop().unwrap()
    }
}

/// The three example plugins, loaded from their Wasm builds.
struct Plugins {
    runtime: Arc<Runtime>,
    // Holds the plugin files while the registry may read them.
    _dir: tempfile::TempDir,
    by_rule: BTreeMap<&'static str, Arc<LoadedPlugin>>,
}

impl Plugins {
    fn load() -> Plugins {
        let built = common::rust_plugins();
        let runtime = Runtime::new(None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        common::copy_plugins(&built, &common::EXAMPLES, dir.path());
        let config = Config {
            plugins_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let set = common::load(&runtime, &config);
        let by_rule = common::EXAMPLES
            .into_iter()
            .map(|name| {
                let plugin = set.active.iter().find(|p| p.info.name == name);
                (name, Arc::clone(plugin.expect("each example loads")))
            })
            .collect();
        Plugins {
            runtime,
            _dir: dir,
            by_rule,
        }
    }

    /// One vote in a fresh instance, as `decide` calls a plugin.
    fn vote(
        &self,
        rule: &str,
        input: &mut escalator::plugin::bindings::types::Input,
        c: &Conversation,
    ) -> escalator::decision::vote::Vote {
        self.by_rule[rule].evaluate(
            &self.runtime,
            input,
            &BreakerConfig::default(),
            escalator::plugin::alone(),
            &escalator::plugin::Entropy::of("bench", c.now),
        )
    }
}

/// The native builds of the plugins, with their declared defaults.
struct Native {
    settings: BTreeMap<&'static str, Vec<escalator_sdk::Setting>>,
}

impl Native {
    fn new() -> Native {
        Native {
            settings: BTreeMap::from([
                (
                    "topic-guard",
                    common::native_settings::<topic_guard::TopicGuard>(),
                ),
                (
                    "vip-accounts",
                    common::native_settings::<vip_accounts::VipAccounts>(),
                ),
                (
                    "loop-detector",
                    common::native_settings::<loop_detector::LoopDetector>(),
                ),
            ]),
        }
    }

    fn vote(&self, rule: &str, input: &mut escalator_sdk::Input) -> escalator_sdk::Vote {
        input.settings.clone_from(&self.settings[rule]);
        match rule {
            "topic-guard" => topic_guard::TopicGuard::evaluate(input),
            "vip-accounts" => vip_accounts::VipAccounts::evaluate(input),
            _ => loop_detector::LoopDetector::evaluate(input),
        }
        .unwrap()
    }
}

/// Every rule's vote on every conversation, from every implementation,
/// must be the same, and every rule must fire on some conversations and not
/// on others.
fn check(
    cases: &[(&Case, Conversation, Signals)],
    plugins: &Plugins,
    native: &Native,
    builtin: &Builtin,
    rego: &Rego,
) {
    let mut fired = BTreeMap::new();
    for (case, c, s) in cases {
        for rule in RULES {
            let split = Verdicts::of_rego(&to_json(&rego.eval(
                c,
                s,
                &format!("data.escalator.{}.vote", package(rule)),
            )));
            let precomputed = Verdicts::of_rego(&to_json(&rego.eval(
                c,
                s,
                &format!("data.escalator.{}.vote_precomputed", package(rule)),
            )));
            let (wasm, native) = if rule == "confidence" {
                let v = Verdicts::of_host(&builtin.vote(c, s)).without_detail();
                (v.clone(), v)
            } else {
                let mut input = to_wit_input(c, s);
                let wasm = Verdicts::of_host(&plugins.vote(rule, &mut input, c));
                let mut input = common::sdk_input(c, s);
                (wasm, Verdicts::of_sdk(&native.vote(rule, &mut input)))
            };
            let (split, precomputed) = if rule == "confidence" {
                (split.without_detail(), precomputed.without_detail())
            } else {
                (split, precomputed)
            };
            for (label, other) in [
                ("native", &native),
                ("Rego, phrases split every call", &split),
                ("Rego, phrases precomputed", &precomputed),
            ] {
                assert_eq!(
                    &wasm, other,
                    "{rule} on \"{}\": the Wasm plugin (left) and {label} (right) disagree",
                    case.name
                );
            }
            *fired.entry(rule).or_insert(0) += usize::from(wasm.verdict != "abstain");
        }
    }
    for rule in RULES {
        let n = fired[rule];
        assert!(
            n > 0 && n < cases.len(),
            "{rule} fired on {n} of {} conversations: the set should exercise it both ways",
            cases.len()
        );
    }
    println!(
        "verdicts agree: {} conversations x {} rules, Wasm = native = Rego (both variants); fired: {}",
        cases.len(),
        RULES.len(),
        RULES
            .iter()
            .map(|r| format!("{r} {}", fired[r]))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// Total time and conversations by (row, column) of the table.
type Totals = BTreeMap<(String, &'static str), (Duration, u64)>;

/// Mean time per conversation of each timed function, gathered from
/// criterion's own samples (warm-up included).
#[derive(Default)]
struct Times(RefCell<Totals>);

impl Times {
    fn add(&self, row: &str, column: &'static str, elapsed: Duration, conversations: u64) {
        let mut map = self.0.borrow_mut();
        let e = map.entry((row.to_owned(), column)).or_default();
        e.0 += elapsed;
        e.1 += conversations;
    }

    fn micros(&self, row: &str, column: &'static str) -> Option<f64> {
        let map = self.0.borrow();
        let (t, n) = map.get(&(row.to_owned(), column))?;
        Some(t.as_secs_f64() * 1e6 / *n as f64)
    }

    fn print(&self) {
        let cell = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1}"));
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => format!("{:.1}x", a / b),
            _ => "-".to_owned(),
        };
        println!();
        println!("microseconds per conversation (mean); ratios are Rego time / Wasm time");
        println!(
            "{:<16} {:>10} {:>10} {:>12} {:>12} {:>12} {:>12}",
            "rule", "wasm", "native", "rego split", "rego precomp", "split/wasm", "precomp/wasm"
        );
        for row in RULES.iter().copied().chain(["whole decision"]) {
            let wasm = self.micros(row, WASM);
            let native = self.micros(row, NATIVE);
            let split = self.micros(row, REGO_SPLIT);
            let pre = self.micros(row, REGO_PRECOMPUTED);
            // The confidence trigger has no plugin: Rego is set against the
            // built-in, marked with a `*`.
            let (base, mark) = match (wasm, native) {
                (None, Some(_)) => (native, "*"),
                _ => (wasm, ""),
            };
            println!(
                "{:<16} {:>10} {:>10} {:>12} {:>12} {:>12} {:>12}",
                row,
                cell(wasm),
                cell(native),
                cell(split),
                cell(pre),
                ratio(split, base) + mark,
                ratio(pre, base) + mark,
            );
        }
        println!(
            "confidence is built in (native column: the trigger as the host runs it; * = Rego \
             over the built-in); the whole decision's wasm and native columns are the three \
             plugins plus the built-in trigger"
        );
        if let Some(clone) = self.micros(CLONE, CLONE) {
            println!(
                "Rego reuses one prepared engine; a clone of it per evaluation (threads sharing \
                 one) would add {clone:.1} us"
            );
        }
    }
}

const WASM: &str = "wasm fresh instance";
const NATIVE: &str = "native";
const REGO_SPLIT: &str = "rego, phrases split every call";
const REGO_PRECOMPUTED: &str = "rego, phrases precomputed";
const CLONE: &str = "engine clone";

fn main() {
    let cases: Vec<(&Case, Conversation, Signals)> = CASES
        .iter()
        .map(|case| {
            let c = conversation(case);
            let s = Signals::compute(&c);
            (case, c, s)
        })
        .collect();
    let plugins = Plugins::load();
    let native = Native::new();
    let builtin = Builtin::new();
    let settings: Json = RULES
        .iter()
        .map(|r| {
            let s = match native.settings.get(r) {
                Some(s) => rego_settings(s),
                None => confidence_settings(&builtin.triggers),
            };
            (r.to_string(), s)
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    let whole = Rego::new(&RULES, &settings);
    check(&cases, &plugins, &native, &builtin, &whole);

    let times = Times::default();
    let n = cases.len() as u64;
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = c.benchmark_group("rego");
    // A pass of Rego over the conversations takes up to tenths of a second:
    // equal samples, fewer of them, keep the run to minutes.
    group.sampling_mode(SamplingMode::Flat).sample_size(20);
    // Times `f` over every conversation, one pass per iteration.
    let mut timed = |row: &str, column: &'static str, f: &dyn Fn(&Conversation, &Signals)| {
        group.bench_function(format!("{row}, {column}"), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    for (_, c, s) in &cases {
                        f(c, s);
                    }
                }
                let elapsed = start.elapsed();
                times.add(row, column, elapsed, iters * n);
                elapsed
            })
        });
    };
    for rule in RULES {
        let rego = Rego::new(&[rule], &settings);
        let pkg = package(rule);
        let (split, precomputed) = (
            format!("data.escalator.{pkg}.vote"),
            format!("data.escalator.{pkg}.vote_precomputed"),
        );
        if rule == "confidence" {
            timed(rule, NATIVE, &|c, s| {
                std::hint::black_box(builtin.vote(c, s));
            });
        } else {
            timed(rule, WASM, &|c, s| {
                let mut input = to_wit_input(c, s);
                std::hint::black_box(plugins.vote(rule, &mut input, c));
            });
            timed(rule, NATIVE, &|c, s| {
                let mut input = common::sdk_input(c, s);
                std::hint::black_box(native.vote(rule, &mut input));
            });
        }
        timed(rule, REGO_SPLIT, &|c, s| {
            std::hint::black_box(rego.eval(c, s, &split));
        });
        timed(rule, REGO_PRECOMPUTED, &|c, s| {
            std::hint::black_box(rego.eval(c, s, &precomputed));
        });
    }
    // The whole decision: the three plugins and the built-in trigger, as
    // `decide` runs them one after another, against one query of every
    // policy's vote on one input.
    let row = "whole decision";
    timed(row, WASM, &|c, s| {
        let mut input = to_wit_input(c, s);
        for rule in common::EXAMPLES {
            std::hint::black_box(plugins.vote(rule, &mut input, c));
        }
        std::hint::black_box(builtin.vote(c, s));
    });
    timed(row, NATIVE, &|c, s| {
        let mut input = common::sdk_input(c, s);
        for rule in common::EXAMPLES {
            std::hint::black_box(native.vote(rule, &mut input));
        }
        std::hint::black_box(builtin.vote(c, s));
    });
    timed(row, REGO_SPLIT, &|c, s| {
        std::hint::black_box(whole.eval(c, s, "data.escalator.decision.votes"));
    });
    timed(row, REGO_PRECOMPUTED, &|c, s| {
        std::hint::black_box(whole.eval(c, s, "data.escalator.decision.votes_precomputed"));
    });
    // What threads sharing one prepared engine would add to each
    // evaluation: a clone of it to evaluate on.
    group.bench_function("clone of the prepared engine, all rules", |b| {
        b.iter_custom(|iters| {
            let engine = whole.engine.borrow();
            let start = Instant::now();
            for _ in 0..iters {
                std::hint::black_box(engine.clone());
            }
            let elapsed = start.elapsed();
            times.add(CLONE, CLONE, elapsed, iters);
            elapsed
        })
    });
    group.finish();
    c.final_summary();
    times.print();
}
