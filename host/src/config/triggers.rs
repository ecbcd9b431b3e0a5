//! The escalation policy operators edit: every built-in trigger's switches,
//! weights, thresholds and phrase lists, the tier mapping and the routing
//! attributes. Each section deserialises straight from the config file with
//! its defaults filled in, then each section's `validate` checks the ranges.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{ConfigError, in_range, invalid, priority, weight, within};
use super::phrases::{Phrases, defaults};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// All built-in triggers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TriggersConfig {
    /// Low or failing AI answers.
    pub confidence: ConfidenceConfig,
    /// Negative sentiment and frustration.
    pub sentiment: SentimentConfig,
    /// Always-escalate topics.
    pub topic: TopicConfig,
    /// Priority accounts.
    pub account: AccountConfig,
    /// Turn and time budgets.
    pub budget: BudgetConfig,
    /// Explicit requests for a human.
    pub human_request: HumanRequestConfig,
    /// When a phrase found in a message does not count: quoted, negated, or
    /// asked about hypothetically. Shared by every phrase list.
    pub scope: ScopeConfig,
}

/// When a phrase found in a message does not mean what it seems to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScopeConfig {
    /// Words that negate a phrase shortly after them in the same sentence:
    /// "I don't need a human", "não preciso cancelar".
    pub negations: Phrases,
    /// How many words after a negation it still reaches.
    pub negation_reach: u32,
    /// Words that make the rest of their sentence hypothetical: "if I
    /// cancel, do I lose my data?". A hypothetical question asks about a
    /// topic rather than raising it; a hypothetical statement ("if this is
    /// not fixed I will cancel") still counts as a threat.
    pub hypotheticals: Phrases,
}

impl Default for ScopeConfig {
    fn default() -> Self {
        ScopeConfig {
            negations: defaults(&[
                "(dont|do not|doesnt|does not|didnt|did not|wont|will not|no|not) (need|want|wanna|require|have to|plan to|intend to|going to|gonna)",
                "no need (to|for|)",
                "not (necessary|needed)",
                "(nao|nem) (preciso|precisa|quero|vou|pretendo|e necessario|precisamos)",
                "sem necessidade (de|)",
                "(no) (necesito|necesitamos|quiero|queremos|hace falta|voy a|pienso|es necesario)",
                "sin necesidad (de|)",
            ]),
            negation_reach: 4,
            hypotheticals: defaults(&[
                "(if|whether|suppose|supposing|hypothetically|unless)",
                "in case",
                "what happens (if|when)",
                "(se|caso|supondo)",
                "e se",
                "(si|suponiendo)",
                "en caso (de|que)",
                "que pasa (si|cuando)",
                "o que acontece (se|quando)",
            ]),
        }
    }
}

/// The confidence trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfidenceConfig {
    /// Whether it votes.
    pub enabled: bool,
    /// Weight of its escalate vote.
    pub weight: f64,
    /// The latest AI confidence below this escalates.
    pub threshold: f64,
    /// This many AI turns in a row below `streak_threshold` escalate.
    pub streak: u32,
    /// The bar for the streak: lower confidence, repeated, is a pattern even
    /// when no single turn is below `threshold`.
    pub streak_threshold: f64,
    /// AI turn outcomes meaning the AI could not answer.
    pub could_not_answer: Vec<String>,
    /// The customer saying the AI's answer is wrong ("that's not right",
    /// "isso tá errado", "eso está mal"): the AI failed even if it was sure.
    pub disputed_phrases: Phrases,
    /// Greetings, thanks and goodbyes: when they make up most of the
    /// customer's latest message, a shaky AI reply to it is no reason for a
    /// human.
    pub small_talk: Phrases,
}

impl Default for ConfidenceConfig {
    fn default() -> Self {
        ConfidenceConfig {
            enabled: true,
            weight: 1.0,
            threshold: 0.55,
            streak: 2,
            streak_threshold: 0.7,
            could_not_answer: strings(&[
                "fallback",
                "not_understood",
                "not-understood",
                "no_answer",
                "tool_error",
                "tool-error",
                "error",
            ]),
            disputed_phrases: defaults(&[
                "(that|this|thats|its|it s|that s|this is|that is|it is) (wrong|incorrect|not right|not true|not correct|not what i asked|not my question)",
                "(you re|youre|you are|you) (wrong|mistaken|incorrect)",
                "(wrong|incorrect) (answer|info|information|number|amount|figure|price|date)",
                "(isso|esse|essa|isto|tá|ta|esta|está) .. (errad*|incorret*)",
                "(nao|n) (e|eh|é) (isso|verdade|o que eu perguntei)",
                "(informacao|resposta|valor|numero) (errad*|incorret*)",
                "(eso|esto|esa|ese) .. (esta mal|es incorrect*|es falso|esta equivocad*)",
                "(no) (es|esta) (correcto|correcta|bien|asi)",
                "(informacion|respuesta|monto|numero) (equivocad*|incorrect*|erronea|erroneo)",
            ]),
            small_talk: defaults(&[
                "(hi|hello|hey|hiya|yo|howdy|morning|evening|good (morning|afternoon|evening|day)|greetings|how are you|hows it going)",
                "(thank u|thanks so much|have a good one|take care|that will be all|thats it|all good)",
                "(tudo bem|td bem|tudo certo|como vai|oie|obg|brigadao|abraco|abs|valeu demais|falou)",
                "(como estas|como esta|que onda|buen dia|saludos|muchisimas gracias|nos vemos|cuidate)",
                "(thanks|thank you|thx|ty|cheers|much appreciated|appreciate it|great|perfect|ok|okay|cool|awesome|got it|bye|goodbye|see you|have a (good|nice|great) (day|one|evening|weekend)|thats all|that is all|nothing else)",
                "(oi|ola|bom dia|boa tarde|boa noite|e ai|opa)",
                "(obrigad*|valeu|brigad*|vlw|tchau|ate mais|ok|beleza|blz|show|perfeito|otimo|era so isso|so isso|tenha um bom dia)",
                "(hola|buenas|buenos dias|buenas tardes|buenas noches|que tal)",
                "(gracias|muchas gracias|mil gracias|chao|chau|adios|hasta luego|vale|ok|perfecto|genial|listo|eso es todo|nada mas|que tengas (un|) buen dia)",
            ]),
        }
    }
}

/// The sentiment and frustration trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SentimentConfig {
    /// Whether it votes.
    pub enabled: bool,
    /// Weight of its escalate vote.
    pub weight: f64,
    /// A message whose VADER compound score is at or below this is angry.
    pub angry_at: f64,
    /// A message at or below this (and above `angry_at`) is frustrated.
    pub frustrated_at: f64,
    /// This many frustrated-or-angry customer messages in a row escalate.
    pub streak: u32,
    /// Weight of the vote when the latest message is only frustrated:
    /// enough to offer a human, not to escalate on its own.
    pub offer_weight: f64,
    /// Phrases of support frustration that VADER scores as neutral (or
    /// cannot read: Portuguese and Spanish). One, stated, makes a message
    /// angry: the guide escalates frustration at once.
    pub frustration_phrases: Phrases,
    /// Insults and threats that make a message angry whatever its score.
    pub anger_phrases: Phrases,
    /// Sarcasm is praise and a failure in one message ("oh wonderful,
    /// another update that broke everything"): these are the praise...
    pub sarcasm_praise: Phrases,
    /// ...and these the failure.
    pub sarcasm_failure: Phrases,
    /// Doubt and mild disappointment ("not sure that answers it", "a bit
    /// disappointing"): a weak cue, which offers a human.
    pub doubt_phrases: Phrases,
    /// A message with at least this many letters, nearly all capitals, is shouting.
    pub shouting_min_letters: u32,
    /// A run of this many `!` or `?` is a frustration cue.
    pub punctuation_run: u32,
    /// A customer message this similar (word overlap, 0-1) to an earlier one
    /// is a repetition, a frustration cue.
    pub repetition_similarity: f64,
    /// How many earlier customer messages a message is compared with for
    /// near repetitions; exact repetitions are found however far back.
    pub repetition_window: u32,
}

impl Default for SentimentConfig {
    fn default() -> Self {
        SentimentConfig {
            enabled: true,
            weight: 1.0,
            angry_at: -0.6,
            frustrated_at: -0.3,
            streak: 2,
            offer_weight: 0.5,
            frustration_phrases: defaults(&[
                // English
                "still (not|isnt|doesnt|dont|cant|wont|no|broken|waiting|nothing|the same|shows|says|showing|saying|displays|charging|charged|pending|stuck|black|blank|down|happening|there|getting|wrong|missing|havent|hasnt|have not|has not)",
                "(second|third|fourth|fifth|3rd|4th|5th|2nd) time",
                "again and again",
                "(how many|so many) times",
                "i (already|just) (told|said|explained|sent|gave|did|tried)",
                "(ive|i have) (already|) (told|said|explained|tried|asked) .. (times|already|twice)",
                "(already|just) (explained|told you)",
                "(not|isnt|wasnt|wasn't) (helpful|helping)",
                "(doesnt|does not|didnt|did not) help",
                "(useless|pointless|hopeless|incompetent|clueless)",
                "waste of (my|) time",
                "(ridiculous|unacceptable|outrageous|absurd|insane|pathetic|disgraceful|shameful)",
                "(fed up|sick of|tired of|had enough|done with this)",
                "(going|talking) in circles",
                "(nobody|no one) (helps|is helping|cares|listens)",
                "(keep|keeps) (telling|asking|saying|sending)",
                "(same|identical) (answer|reply|response|message|thing) (again|)",
                "are you (even|) (listening|reading)",
                "(this|that) (is|was) (a|) (joke|nightmare|mess)",
                "(worst|terrible|horrible|awful|appalling) (service|support|experience|company|app)",
                "(makes|made) me (so|) (angry|mad|furious)",
                "(i am|im) (so|really|very|) (angry|mad|furious|livid|frustrated|annoyed|pissed)",
                "for (weeks|days|hours|months) now",
                // Portuguese
                "ainda (nao|sem|nada|continua|esta|ta|o mesmo|mostra|aparece|cobrando)",
                "(de novo|outra vez|novamente)",
                "(pela|pela a) (segunda|terceira|quarta|quinta|milesima) vez",
                "quantas vezes",
                "(ja|eu ja) (falei|disse|expliquei|mandei|tentei|fiz)",
                "(palhacada|absurdo|ridiculo|inaceitavel|vergonha|descaso|desrespeito|pessimo|horrivel|lamentavel)",
                "(nao|nunca) resolve*",
                "(to|estou|tô) (cansad*|farto|farta|puto|puta|irritad*|revoltad*|indignad*)",
                "(nao aguento|cansei)",
                "(voces|vcs|vc) (sao|é|e) (uma|um|) (piada|incompetentes|inuteis|lixo)",
                "(enrolando|enrolacao|embromando|empurrando)",
                "(ninguem) (resolve|ajuda|responde)",
                "perda de tempo",
                "(mesma|mesmo) (resposta|coisa|mensagem)",
                // Spanish
                "(todavia|aun|sigue|sigo) (no|sin|igual|el mismo|la misma|aparece|apareciendo|dice|diciendo|muestra|saliendo|cobrando|pendiente)",
                "(otra vez|de nuevo|nuevamente)",
                "(por|es la) (segunda|tercera|cuarta|quinta|enesima) vez",
                "cuantas veces",
                "(ya|ya les|ya te|ya lo) (dije|explique|mande|intente|hice|conte)",
                "(verguenza|vergonzoso|ridiculo|inaceptable|indignante|absurdo|pesimo|horrible|una burla|un desastre|una estafa)",
                "(estoy|ando) (harto|harta|cansado|cansada|hasta la madre|podrido|podrida|furioso|furiosa|molesto|molesta|enojado|enojada)",
                "(son|sois) (unos|unas|) (inutiles|incompetentes|ladrones)",
                "(nadie) (me|) (ayuda|resuelve|responde)",
                "perdida de tiempo",
                "(la|lo) (misma|mismo) (respuesta|cosa)",
                "(me|nos) (estan|tienen) (tomando el pelo|dando vueltas)",
            ]),
            anger_phrases: defaults(&[
                "chargeback",
                "(i will|ill|im going to|gonna) (sue|report you|dispute)",
                "sue you",
                "(scam|scammers|fraudsters|thieves|crooks|rip off|ripoff)",
                "(bloody|damn|damned|fucking|f*cking|freaking|effing|shitty|crappy)",
                "(wtf|ffs|omfg)",
                "(bad|negative|1 star|one star) review*",
                "(post|posting|put|putting|write|writing|leave|leaving|share|sharing|tell|telling) .. (on|in|to) (trustpilot|facebook|twitter|instagram|tiktok|reddit|google|yelp|every|the press|the news|social media)",
                "(viraram|virou|são|sao) (piada|uma piada|palhacada|uma palhacada)",
                "(enfia|enfiem|metam)",
                "(que raiva|odeio|odio)",
                "(furious|livid|outraged|disgusted|appalled|pissed off|fuming)",
                "(bullshit|crap|hell is this|the hell)",
                "(never|not) (ordering|buying|using you|flying with you|coming back) (again|ever)",
                "(inacreditavel|revoltante|vergonhoso|um lixo|porcaria|uma merda)",
                "(indignante|vergonzoso|lamentable|una porqueria|un asco|una mierda|encabronad*|emputad*)",
                "(tell|warn) everyone",
                "(golpe|golpistas|ladroes|safados|bando de)",
                "(porra|merda|caralho|droga de|bosta)",
                "(estafa|estafadores|ladrones|sinverguenzas|chorros)",
                "(mierda|carajo|puta madre|joder|chingada|cono)",
            ]),
            sarcasm_praise: defaults(&[
                "(oh|wow|yay) (great|wonderful|brilliant|fantastic|perfect|lovely|amazing|nice|good)",
                "(wonderful|brilliant|fantastic|fabulous|splendid|marvelous|marvellous|stellar|superb)",
                "(top work|world class|great job|nice job|well done|good job|bravo|kudos|really loving|just loving|truly|love paying|thanks a lot|thanks for nothing)",
                "(yeah right|sure sure|oh sure|oh great|just great|oh joy|how lovely|how nice|what a joke|so helpful|super helpful|real helpful|cool cool|love that for me|amazing stuff|nailed it|genius)",
                "(muito util|super util|sensacional|show de bola|que beleza|otimo trabalho|que eficiencia)",
                "(muy util|super util|que maravilla|buen trabajo|que crack|genios|que lujo)",
                "(just|exactly) what i (needed|wanted)",
                "love (that|how|it when)",
                "(que|q) (maravilha|otimo|beleza|lindo)",
                "(obrigad*|valeu) (mesmo|hein|por nada)",
                "(parabens|adorei|nota 10|nota dez|trabalho de excelencia|ajudou demais|ajudou muito|servico de primeira)",
                "(genial|maravilloso|fantastico|que bien|buenisimo|que eficiencia|aplausos|bravo|felicitaciones|de lujo|un lujo)",
                "(gracias|muchas gracias) (eh|por nada)",
                "me encanta",
            ]),
            sarcasm_failure: defaults(&[
                "(broke|broken|breaks|crashed|crashes|crashing|died|dead|wiped|lost|deleted|gone|down|stuck|frozen|failed|fails|ruined|slower|worse|twice|double charged|charged twice|no show|no showed|doesnt exist|not exist|cant|cannot|without)",
                "(another|again|yet another|once again) (update|bug|error|problem|issue|outage|crash|delay|charge|fee|failure|glitch)",
                "(doesnt|dont|didnt|does not|did not|not) (work|working|load|loading|open|arrive|arrived)",
                "(quebrou|quebrado|travou|travado|caiu|sumiu|perdi|apagou|parou|bugou|sem|nem|duas vezes|carregando|nao consigo|atraso|atrasou)",
                "mais (uma|um) (atualizacao|erro|problema|bug|cobranca|falha)",
                "(nao) (funciona|funcionou|abre|carrega|chegou)",
                "(rompio|rompe|roto|caido|colgado|trabado|perdi|borro|dos veces|sin|ni|no puedo|no consigo|cargando|atraso)",
                "se cayo",
                "(otra|otro) (actualizacion|error|problema|fallo|cobro|falla)",
                "(no) (funciona|funciono|abre|carga|llego)",
            ]),
            doubt_phrases: defaults(&[
                "(not|dont|do not|im not|i am not) (sure|convinced|clear) (that|this|it|if|what) .. (explains|answers|helps|is right|is correct|makes sense|means)",
                "(doesnt|does not|didnt|did not) (really|quite|) (explain|answer|help|make sense)",
                "(a bit|kind of|kinda|somewhat|slightly|quite|pretty|rather) (disappointing|disappointed|annoying|annoyed|frustrating|confusing|confused|odd|strange|unhappy)",
                "(disappointing|disappointed|not impressed|unimpressed)",
                "(meio|um pouco|bem|meia) (chato|chata|decepcionad*|confus*|estranho|estranha|frustrad*)",
                "(nao|n) (entendi|ficou claro|me convenceu|explica|responde)",
                "(e ou nao e|sim ou nao)",
                "(medio|un poco|algo|bastante) (embole|molesto|molesta|decepcionad*|confus*|raro|rara|frustrad*)",
                "(no|n) (entendi|entiendo|me queda claro|queda claro|me convence|explica|responde)",
                "(es o no es|si o no)",
            ]),
            shouting_min_letters: 8,
            punctuation_run: 3,
            repetition_similarity: 0.8,
            repetition_window: 20,
        }
    }
}

/// One always-escalate topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuardedTopic {
    /// Upstream topic categories (or subcategories) that mean this topic.
    pub categories: Vec<String>,
    /// Customer phrases that mean this topic (patterns).
    pub phrases: Phrases,
    /// Two things said in one message that together mean this topic, when
    /// neither does alone: "an order" with "I didn't place", "codes" with
    /// "I never asked for".
    pub together: Vec<Together>,
    /// Phrases that, in the same message, show a match means something else
    /// ("cancel the order so I can re-order", "my accountant needs the
    /// invoices").
    pub unless: Phrases,
    /// The queue it routes to.
    pub queue: String,
    /// The priority it asks for.
    pub priority: u8,
}

impl Default for GuardedTopic {
    fn default() -> Self {
        GuardedTopic {
            categories: Vec::new(),
            phrases: Phrases::default(),
            together: Vec::new(),
            unless: Phrases::default(),
            queue: "general".into(),
            priority: 80,
        }
    }
}

/// Two phrase lists that must both match in one customer message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Together {
    /// What it is about ("an order", "login codes").
    pub about: Phrases,
    /// What is said of it ("I didn't place", "never asked for").
    pub with: Phrases,
}

/// The always-escalate topic trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopicConfig {
    /// Whether it votes.
    pub enabled: bool,
    /// Weight of its (hard) escalate vote.
    pub weight: f64,
    /// The guarded topics by name.
    pub topics: BTreeMap<String, GuardedTopic>,
}

impl Default for TopicConfig {
    fn default() -> Self {
        let mut topics = BTreeMap::new();
        topics.insert(
            "security".to_owned(),
            GuardedTopic {
                categories: strings(&[
                    "security",
                    "account_compromise",
                    "account-compromise",
                    "fraud",
                ]),
                phrases: defaults(&[
                    // English
                    "(hacked|hacker|hackers|phishing|phished|scammed)",
                    "(someone|somebody|a stranger|someone else) .. (logged|signed|got|broke) (in|into)",
                    "(unauthori*ed|fraudulent|suspicious) (charge*|transaction*|payment*|login*|log in|sign in|access|activity|order*|purchase*)",
                    "(unauthori*ed|fraud|identity theft|stolen identity)",
                    "account (was|has been|got|is) (compromised|taken over|accessed|broken into|stolen)",
                    "(i|we) (did not|didnt|never|didn't) (make|place|order|buy|authori*e|approve|request|ask for|recogni*e|sign up|log in|change|make this)",
                    "(dont|do not|cant|can't) recogni*e (this|that|the|a|these|those) (charge*|payment*|transaction*|order*|purchase*|login*|device*)",
                    "(charge*|payment*|order*|purchase*|login*) (i|we) (dont|do not|didnt|did not|never) (recogni*e|make|made|place|placed|authori*e|authori*ed)",
                    "(password|passcode|pin) (was|has been|got) (changed|reset)",
                    "(reset|verification|security|2fa|one time|otp|login) (code*|email*|emails|link*|text*|sms|message*) (i|we) (didnt|did not|never|dont|do not) (ask*|request*|want*|make)",
                    "(never|didnt|did not|not) (asked|ask|requested|request) for (a|any|the|this|these|that|) (reset|code*|verification|password|link)",
                    "(email|e mail|phone number|address) (on|of|for) (my|the) account (was|has been|got) changed",
                    "(changed|change) (my|the) (email|password|phone|address) without",
                    "(locked|kicked) out of my account",
                    "(stole|stolen) (my|the)",
                    "asking for my (password|pin|code|card)",
                    "(someone|somebody) (has|had|got|is using|used|accessed|logged into|got into|changed) (my|our) (account|card|login|password|email|details)",
                    "(pretend*|claiming|claimed) to be (you|from you|your|from your)",
                    "(gave|told|shared|sent|read out) (them|him|her|someone|the caller) (my|the) (code|codes|password|pin|details|card)",
                    "(money|funds|balance|savings) (is|was|are|were|has|have|) (missing|gone|disappeared|taken|withdrawn|drained)",
                    "(withdrawal|transfer|payment|payments|transfers) (i|we) (didnt|did not|never) (make|made|authori*e|authori*ed|send|sent)",
                    "(sim) (swap|swapped|card was (changed|replaced|moved))",
                    "(dont|do not) remember (making|placing|buying|ordering|signing)",
                    "(account|card|details|identity) (was|has been|got|were|have been) (stolen|cloned|skimmed|used|leaked|breached)",
                    "(suspicious|strange|weird|odd|unusual|unknown|unfamiliar) (login|logins|activity|sign in|charge|charges|transaction|transactions|device|purchase|purchases|order|orders|text|email|call)",
                    // Portuguese
                    "(hackead*|invadid*|clonad*|golpe|fraude|fraudulent*)",
                    "(compra|pedido|cobranca|transacao|pagamento|pix|acesso|login) .. (que|q) (eu|) (nao|nunca) (fiz|reconheco|autorizei|pedi|solicitei|realizei|fizemos)",
                    "(nao|nunca) (fiz|reconheco|autorizei|pedi|solicitei|realizei) (essa|esta|esse|este|a|o|nenhuma|nenhum) (compra|pedido|cobranca|transacao|pagamento|pix|codigo|acesso)",
                    "(codigo|codigos|sms|email|e mail) .. (que|q) (eu|) (nao|nunca) (pedi|solicitei)",
                    "(trocaram|mudaram|alteraram) (meu|o|a|minha) (email|e mail|senha|telefone|numero|endereco)",
                    "(alguem|outra pessoa) .. (entrou|acessou|logou|usando|mexeu)",
                    "(minha conta|meu cartao) (foi|ta|esta) (invadida|clonado|bloquead*)",
                    "(atividade|acesso|login|compra|compras|cobranca|transacao|movimentacao) (suspeit*|estranh*|desconhecid*)",
                    "(roubaram|clonaram|hackearam|invadiram) (meu|minha|a|o)",
                    "(cartao|conta|senha|dados) (clonad*|roubad*|vazad*)",
                    "se passando (por|pelo|pela)",
                    "(passei|informei|dei|falei) (o|a|meu|minha) (codigo|senha|dados|cartao)",
                    "(sumiu|sumiram|desapareceu|desapareceram) (o|meu|) (dinheiro|saldo|valor)",
                    "(transferencia|pix|saque|pagamento) (que|q) (eu|) (nao|nunca) (fiz|autorizei|mandei)",
                    // Spanish
                    "(hackearon|hackeado|hackeada|jaquearon|fraude|estafa|clonaron|clonada|suplantacion)",
                    "(pedido|compra|cargo|cobro|transaccion|pago|acceso) .. (que|q) (yo|) (no|nunca) (hice|reconozco|autorice|pedi|solicite|realice)",
                    "(no|nunca) (hice|reconozco|autorice|pedi|solicite|realice) (ese|este|esa|esta|el|la|ningun|ninguna) (pedido|compra|cargo|cobro|transaccion|pago|codigo|acceso)",
                    "(codigo|codigos|sms|correo|correos|mensaje|mensajes) .. (que|q) (yo|) (no|nunca) (pedi|solicite)",
                    "(cambiaron|cambiaron el|modificaron) (mi|el|la) (correo|contrasena|clave|telefono|numero|direccion|email)",
                    "(alguien|otra persona) .. (entro|accedio|ingreso|esta usando|uso)",
                    "(actividad|acceso|inicio de sesion|compra|compras|cargo|cargos|transaccion|movimiento|movimientos) (sospechos*|extran*|desconocid*|raro|raros|rara|raras)",
                    "(me) (robaron|clonaron|hackearon|vaciaron) (la|mi|el)",
                    "(tarjeta|cuenta|clave|datos) (clonad*|robad*|filtrad*)",
                    "haciendose pasar (por|de)",
                    "(di|pase|comparti|le di) (el|la|mi|los) (codigo|clave|contrasena|datos|tarjeta)",
                    "(desaparecio|desaparecieron|falta|me falta|me sacaron|me quitaron) (el|mi|) (dinero|saldo|plata)",
                    "(transferencia|retiro|pago) (que|q) (yo|) (no|nunca) (hice|autorice|mande)",
                ]),
                together: vec![
                    Together {
                        about: defaults(&[
                            "(login|log in|sign in|signin|verification|security|one time|2fa|otp|reset|password|passcode|access) (code|codes|email|emails|text|texts|sms|link|links|request|requests|notification|notifications|alert|alerts)",
                            "(order|orders|purchase|purchases|charge|charges|payment|payments|transaction|transactions|profile|profiles|device|devices|login|logins|session|sessions|upgrade|subscription)",
                            "(email|e mail|phone number|number|address|password) (on|of|for|in) (my|the) account",
                            "(compra|compras|pedido|pedidos|cobranca|cobrancas|lancamento|lancamentos|transacao|transacoes|pagamento|pix|codigo|codigos|sms|perfil|dispositivo|aparelho|login|acesso|senha)",
                            "(pedido|pedidos|compra|compras|cargo|cargos|cobro|cobros|transaccion|transacciones|pago|codigo|codigos|sms|perfil|dispositivo|sesion|contrasena|clave|charge|notificacion)",
                        ]),
                        with: defaults(&[
                            "(i|we|i definitely|i certainly) (did not|didnt|never|havent|have not|wasnt|was not|am not|dont|do not|hadnt) (buy|bought|order|ordered|place|placed|make|made|request|requested|ask|asked|touch|touched|change|changed|authori*e|authori*ed|sign|signed|log|logged|use|used|upgrade|upgraded|try|tried|trying|recogni*e|know|leave|left)",
                            "(not|isnt|wasnt|aint) (mine|me)",
                            "(never|not) (requested|asked for|seen|heard of|made|placed|bought|ordered)",
                            "(i|we) (dont|do not) know (any|this|that|who|the|a|an)",
                            "(some|an|another|a different|unknown|strange|weird|random) (address|city|country|device|phone|person|gmail|email|number|location)",
                            "(was|were) (asleep|sleeping)",
                            "(someone|somebody) else",
                            "(no idea|never seen)",
                            "(eu|a gente|nos|) (nao|nunca) (fiz|comprei|pedi|solicitei|autorizei|reconheco|mexi|alterei|troquei|cadastrei|entrei|acessei|faco ideia|conheco|contratei|compartilhei)",
                            "(nao|nunca) (e|eh|foi) (meu|minha|meus|minhas|eu)",
                            "(alguem|outra pessoa) (tentou|ta|esta|entrou|usou|usando|mexeu)",
                            "(tava|estava|estavamos) dormindo",
                            "(outra|outro) (cidade|estado|pais|endereco)",
                            "(yo|) (no|nunca) (hice|compre|pedi|solicite|autorice|reconozco|toque|cambie|entre|inicie|tengo idea|conozco|estoy intentando|he hecho|he pedido|he comprado|he salido|he solicitado|hice upgrade|contrate)",
                            "(no es|no son) (mio|mia|mios|mias)",
                            "(alguien|otra persona|somebody|someone) (esta|entro|uso|usando|intento|is using)",
                            "estaba dormid*",
                            "(otra|otro) (ciudad|pais|direccion|estado)",
                        ]),
                    },
                    Together {
                        about: defaults(&[
                            "(text|sms|email|e mail|message|link|call|notification|correo|mensaje|enlace|mensagem|ligacao)",
                        ]),
                        with: defaults(&[
                            "(is|was) (that|this|it) (actually|really|) (from you|you|yours|legit|genuine|real)",
                            "(entered|typed|put|filled|gave|clicked|tapped) .. (password|pin|details|card|code)",
                            "(es|era) (vuestro|de ustedes|de vosotros|real|legit)",
                            "(rellenado|rellene|puse|di|ingrese) .. (contrasena|clave|pin|datos|tarjeta|codigo)",
                            "(e|eh|foi) (de voces|de vcs|voces|vcs|real)",
                            "(coloquei|digitei|passei|informei|cliquei) .. (senha|pin|dados|cartao|codigo)",
                        ]),
                    },
                ],
                unless: defaults(&[
                    "(hacking|hacked) (on|together|away) ",
                    "hackathon",
                    "life hack*",
                    "(if|si|se) .. (ever|algun dia|um dia|algum dia)",
                ]),
                queue: "security".into(),
                priority: 95,
            },
        );
        topics.insert(
            "legal".to_owned(),
            GuardedTopic {
                categories: strings(&["legal", "regulatory", "complaint_regulatory"]),
                phrases: defaults(&[
                    // English
                    "(lawyer|lawyers|attorney|attorneys|solicitor|legal counsel)",
                    "(lawsuit|legal action|class action|small claims|sue|suing)",
                    "(take|taking) (you|this|it|them) to court",
                    "(ombudsman|regulator|attorney general|trading standards)",
                    "(ftc|cfpb|bbb|fcc|ofcom|ico|better business bureau|consumer financial protection)",
                    "(gdpr|ccpa|data protection authority|data protection|consumer protection)",
                    "(file|filing|lodge|submit|make) (a|an|) (formal|official|) (complaint|report|claim) (with|to) (the|)",
                    "(is|isnt|is it) (this|that|it) (even|) (legal|lawful|allowed)",
                    "(illegal|unlawful|breach of contract|violat* (my|the) (rights|law))",
                    "(my|our) rights (as|under)",
                    "(report|reporting) (you|this|your company|it) (to|with) (the|a|my)",
                    "(formal|official) complaint",
                    "(consumer|trading) (rights|standards|affairs|ombudsman)",
                    // Portuguese
                    "(advogad*|processo|processar|processando|justica|juizado|pequenas causas|acao judicial)",
                    "(procon|reclame aqui|consumidor gov|consumidorgovbr|anatel|aneel|anac|bacen|banco central|anpd|lgpd|ouvidoria)",
                    "(codigo de defesa do consumidor|cdc|direitos do consumidor|meus direitos)",
                    "(isso|isto) (e|eh|é) (legal|permitido|crime|ilegal)",
                "(e|eh) (legal|permitido) (vcs|voces|voce|vc|cobrar|cobrarem|fazer|fazerem)",
                "(isso|isto) pode (isso|)",
                    "(ilegal|abusiv*|crime)",
                    "(vou|irei|vamos) (denunciar|registrar queixa|abrir reclamacao|entrar na justica|processar)",
                    "(orgao|orgaos) de defesa",
                    // Spanish
                    "(abogad*|demanda|demandar|demandarlos|juicio|juzgado|tribunal|denuncia|denunciar)",
                    "(profeco|omic|facua|sernac|defensa del consumidor|oficina del consumidor|hoja de reclamaciones|libro de reclamaciones|aepd|proteccion de datos|superintendencia|condusef)",
                    "(esto|eso) (es|sera) (legal|ilegal)",
                    "(ilegal|abusiv*|delito)",
                    "(mis|sus) derechos",
                    "(voy a|vamos a|pienso) (denunciar|demandar|poner una queja|poner una reclamacion|reclamar ante|ir a)",
                    "(queja|reclamacion|denuncia) (formal|oficial)",
                ]),
                unless: defaults(&[
                    "(my|our|the|company) .. (accountant|lawyer|attorney|solicitor|bookkeeper|auditor|tax advisor|notary) (needs|need|wants|asked|requires|is asking|requested|asks)",
                    "(not|no|nao|no es|isnt) (a|an|uma|um|una|un) (complaint|reclamacao|queixa|queja|reclamo|denuncia)",
                    "for (my|our) (lawyer|attorney|accountant|tax|taxes|records|audit)",
                    "(meu|minha|nosso|o) (contador|contadora|advogado|advogada) (precisa|pediu|quer|solicitou)",
                    "(mi|nuestro|el) (contador|contadora|abogado|abogada|gestor|gestora) (necesita|pidio|quiere|solicito)",
                    "(legal|juridic*) (department|team|name|entity|address)",
                ]),
                queue: "legal".into(),
                together: Vec::new(),
                priority: 90,
            },
        );
        topics.insert(
            "cancellation".to_owned(),
            GuardedTopic {
                categories: strings(&["cancellation", "churn"]),
                phrases: defaults(&[
                    // English
                    "(cancel*|terminate|end|close|delete|deactivate|shut down|kill) .. (my|our|the|this) (subscription|account|plan|membership|contract|service|line|policy|profile)",
                    "(cancel*|unsubscribe|opt out|quit) (everything|it all|now|today)",
                    "(i|we|im|were|i am|we are|ill|well|id|wed) (want|wanna|need|would like|like|going|gonna|will|have decided|decided|plan|planning|intend) .. (to|) (cancel|leave|quit|unsubscribe|switch|close)",
                    "(stop|stopping|block|blocking) (paying|payment*|the payments|billing|charging me|auto ?pay|direct debit|the direct debit|the debit)",
                    "(switching|switch|moving|move|going|go) (to|over to) (a|another|your|) (competitor|provider|company|carrier|bank|service)",
                    "(im|i am|we are|were) (done|finished|through) with (you|your|this)",
                    "(take|taking) my (business|money) elsewhere",
                    "(leaving|leave) (you|your service|this company)",
                    "(refund|chargeback) and (cancel|close)",
                    "stop (you|you lot|you guys|them|it|) .. (taking|charging|billing|debiting|collecting) (money|me|us|my)",
                    "(not|never) (going to|gonna|planning to|want to) (keep|continue|renew) (the|my|our|it|this)",
                    "(dont|do not|please dont|please do not) renew",
                    "(shut|close|wind) (it|this|the account|the workspace|my account) down",
                    "(shut down|close down|wrap up|wind down) (the|my|our) (account|workspace|membership|subscription)",
                    "(moving|switching|migrating|porting|going) (over|our|) .. to (another|a new|a different|the other|a cheaper) (network|provider|carrier|supplier|company|bank|platform|operator|service)",
                    "(pac|porting|port out|migration) code",
                "(i|we) want out (of|)",
                "(get|let) (me|us) out of (this|the|my|our) (contract|plan|subscription|membership)",
                "(dont|do not|stop|never) (charge|bill|debit) (me|us|my card) (again|anymore|any more|ever again)",
                "(no longer|dont|do not|not) (need|want|use) (the|this|your|my|our) (service|subscription|membership|plan|account|app)",
                "(return|send back|sending back) (the|your) (modem|router|box|equipment|device|hardware)",
                "(cancela|cancelem|cancele|cancelar) (isso|tudo|minha|meu|a minha|o meu)",
                "(nao|n) quero mais (pagar|usar|o servico|a assinatura|o plano|nada)",
                "(sair|sai) (do plano|da assinatura|do servico|dessa|desse)",
                "(desisto|desistir) (do|da|dos|das)",
                "(cancela|cancelen|cancelame|cancelenme) (todo|mi|el|la)",
                "(salirme|me quiero salir|quiero salir|me salgo) (del|de la|de)",
                "(baja|bajas) (del|de la|de) (servicio|plan|linea|suscripcion|cuenta)",
                    "(fechar|encerrar|cancelar) (a|minha|nossa) conta",
                    "(nao|n) (vou|vamos) mais (usar|precisar|pagar)",
                    "(vou|vamos) (migrar|mudar|trocar|passar) (pra|para) (outra|a outra|o outro|outro|concorrente)",
                    "(nao|n) (ser|quero ser) mais (cobrad*|descontad*)",
                    "devolver (o|os) (modem|aparelho|aparelhos|equipamento|roteador|decodificador)",
                    "(no quiero|ya no quiero|no voy a) seguir (pagando|con|usando)",
                    "(saquenme|sacame|sacanme|dame de baja|denme de baja|quitenme|borrenme)",
                    "(me cambio|me paso|nos cambiamos|nos pasamos) (a|con)",
                    "dejar de (pagar|usar)",
                    "devolver (el|los) (modem|router|decodificador|equipo|equipos)",
                    // Portuguese
                    "(cancel*|encerr*|exclu*|apagar|desativ*|rescindir|rescisao) .. (minha|meu|a|o) (conta|assinatura|plano|contrato|servico|linha|cadastro)",
                    "(quero|queria|vou|preciso) .. (cancelar|encerrar|sair|desistir|trocar de operadora|mudar de operadora)",
                    "(nao|nao) quero mais (o|a|esse|essa|nada|nenhum|nenhuma|saber|)",
                    "(parar|suspender|sustar|bloquear|cortar) (de pagar|o pagamento|os pagamentos|a cobranca|as cobrancas|o debito|debito automatico)",
                    "(cancelar|tirar) (o|do) debito automatico",
                    "(vou|to indo|estou indo|vou pra|vou para) (pra|para|a) (concorrente|concorrencia|outra operadora|outro banco|outra empresa)",
                    "portabilidade",
                    // Spanish
                    "(cancel*|dar de baja|darme de baja|darnos de baja|baja|cerrar|eliminar|borrar|desactivar|rescindir) .. (mi|el|la|nuestra|nuestro) (cuenta|suscripcion|plan|contrato|servicio|linea|membresia|perfil)",
                    "(quiero|queria|voy a|necesito) .. (cancelar|darme de baja|dar de baja|irme|salirme|cambiarme de compania|cambiarme de operador)",
                    "(ya no) (quiero|deseo|necesito) (el|su|este|mas|nada)",
                    "(dejar de pagar|anular la domiciliacion|cancelar la domiciliacion|parar los cobros|bloquear los cobros)",
                    "(me paso|me voy|me cambio|nos pasamos|nos vamos) (a|con) (la|otra|otro|su) (competencia|compania|operador|empresa|banco|proveedor)",
                    "portabilidad",
                ]),
                unless: defaults(&[
                    "(re order|reorder|order again|place it again|place a new|order a new|new order|instead|replace it|different size|different color|another size|another color|the right one|correct one)",
                    "cancel* .. (meeting|appointment|flight|flights|reservation|booking|call|train|event|class|order|vuelo|voo|pedido|reserva|cita)",
                    "(meeting|appointment|flight|reservation|booking|train|event|class|order|vuelo|voo|pedido|reserva|cita) .. cancel*",
                    "(refazer|fazer de novo|fazer outro|novo pedido|outro tamanho|outra cor|trocar por)",
                    "(hacerlo de nuevo|otro pedido|nuevo pedido|otra talla|otro color|pedir de nuevo|cambiarlo por)",
                ]),
                together: vec![Together {
                    about: defaults(&[
                        "(direct debit|debit|payments|payment|billing|account|membership|subscription|contract|service|plan|card on file|supply|broadband|line|renewal)",
                        "(debito|pagamento|pagamentos|cobranca|conta|assinatura|contrato|servico|plano|cartao)",
                        "(domiciliacion|cobro|cobros|pago|pagos|cuenta|suscripcion|contrato|servicio|plan|tarjeta)",
                    ]),
                    with: defaults(&[
                        "(dont|do not) want (you|them|it|to be) (taking|charging|billing|to take|to charge|charged|billed)",
                        "(already|have|we ve|weve|ive) (gone|left|moved|switched)",
                        "(wrapped up|wrap up|wrap it up|close out|final bill|final invoice|closing balance)",
                        "(nao|n) (quero|vou) (mais|continuar|seguir) (pagar|pagando|usar)",
                        "(ja|a gente ja) (saiu|sai|mudei|mudamos|troquei)",
                        "(no|ya no) (quiero|voy a) (seguir|continuar) (pagando|usando)",
                        "(ya) (me fui|nos fuimos|me cambie|nos cambiamos)",
                    ]),
                }],
                queue: "retention".into(),
                priority: 80,
            },
        );
        TopicConfig {
            enabled: true,
            weight: 1.0,
            topics,
        }
    }
}

/// The priority-account trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountConfig {
    /// Whether it votes.
    pub enabled: bool,
    /// Weight of its (hard) escalate vote.
    pub weight: f64,
    /// Customer tiers that never stay with the AI (case-insensitive).
    pub tiers: Vec<String>,
    /// Accounts ranked 1..=top_n never stay with the AI; 0 turns this off.
    pub top_n: u32,
    /// The priority asked for.
    pub priority: u8,
    /// The queue it routes to.
    pub queue: String,
    /// Customer messages after which an interaction is sustained and a
    /// priority account goes to a human whatever else happens; before that
    /// it is offered one (its vote weighs `offer_weight`). Anything going
    /// wrong (any other trigger) escalates it at once.
    pub sustained_turns: u32,
    /// Weight of its vote before the interaction is sustained: enough to
    /// offer a human, not to escalate on its own.
    pub offer_weight: f64,
}

impl Default for AccountConfig {
    fn default() -> Self {
        AccountConfig {
            enabled: true,
            weight: 1.0,
            tiers: strings(&["enterprise"]),
            top_n: 100,
            priority: 90,
            queue: "enterprise".into(),
            sustained_turns: 3,
            offer_weight: 0.5,
        }
    }
}

/// The turn and time budget trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetConfig {
    /// Whether it votes.
    pub enabled: bool,
    /// Weight of its escalate vote.
    pub weight: f64,
    /// The customer's Nth message without resolution escalates; 0 turns the
    /// turn budget off.
    pub max_customer_turns: u32,
    /// Seconds from the first customer message after which an unresolved
    /// conversation escalates; 0 turns the time budget off.
    pub max_seconds: u64,
    /// AI outcomes that mean the conversation is resolved (no budget applies).
    pub resolved_outcomes: Vec<String>,
    /// The customer's own word that it is resolved ("thanks, that worked",
    /// "funcionou", "ya funciona"): no budget applies.
    pub resolved_phrases: Phrases,
    /// Acknowledgements ("great", "got it", "top", "vale"): weaker than the
    /// above, they close a problem only after a confident AI answer, when the
    /// customer moves on to a new question or ends the conversation.
    pub thanks_phrases: Phrases,
    /// Budgets by channel, replacing the ones above for conversations on
    /// that channel: an e-mail thread is not a six-minute chat.
    pub channels: BTreeMap<String, ChannelBudget>,
}

/// The budgets of one channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelBudget {
    /// As `max_customer_turns`.
    pub max_customer_turns: u32,
    /// As `max_seconds`.
    pub max_seconds: u64,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            enabled: true,
            weight: 1.0,
            max_customer_turns: 4,
            max_seconds: 360,
            resolved_outcomes: strings(&["resolved"]),
            resolved_phrases: defaults(&[
                "(that|it|this) (worked|works|did it|did the trick|fixed it|solved it|helped)",
                "(working|works|fixed|solved|sorted|resolved) (now|thanks|thank you|perfectly)",
                "(all|problem|issue) (sorted|solved|resolved|good|set)",
                "(thanks|thank you|thx|ty|cheers) (so much|a lot|very much|for (the|your|all) (help|fix|info|information)|for sticking)",
                "(good to know|exactly what (i|she|he|we) needed|thats all i needed|all good now|problem solved|sorted now)",
                "(funcionou|funciona agora|deu certo|resolveu|resolvido|consegui|passou|deu bom|apareceu|chegou)",
                "(muito obrigad*|obrigad* pela ajuda|obrigad* pelo retorno|era isso)",
                "(ya funciona|funciono|funciona ahora|se soluciono|solucionado|resuelto|lo logre|ya (me|lo) (llego|aparecio))",
                "(muchas gracias|mil gracias|gracias por la ayuda|me lo apunto|era eso)",
            ]),
            thanks_phrases: defaults(&[
                "(thanks|thank you|thx|ty|cheers|perfect|great|awesome|excellent|got it|brilliant|nice one|cool|lovely|done|ok|okay)",
                "(obrigad*|valeu|brigad*|vlw|perfeito|otimo|show|beleza|blz|entendi|top|fechou|massa|feito|ok)",
                "(gracias|perfecto|genial|excelente|entendido|vale|dale|joya|barbaro|buenisimo|listo|ok|hecho)",
            ]),
            channels: BTreeMap::from([
                (
                    "email".to_owned(),
                    ChannelBudget {
                        max_customer_turns: 6,
                        max_seconds: 3 * 86_400,
                    },
                ),
                (
                    "social".to_owned(),
                    ChannelBudget {
                        max_customer_turns: 6,
                        max_seconds: 86_400,
                    },
                ),
                (
                    "whatsapp".to_owned(),
                    ChannelBudget {
                        max_customer_turns: 5,
                        max_seconds: 3_600,
                    },
                ),
            ]),
        }
    }
}

/// The asked-for-a-human trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HumanRequestConfig {
    /// Whether it votes.
    pub enabled: bool,
    /// Weight of its escalate vote.
    pub weight: f64,
    /// Phrases by language (patterns); all lists are matched whatever the
    /// customer's language.
    pub phrases: BTreeMap<String, Phrases>,
    /// Phrases of a human wanted later, or maybe: these offer one.
    pub maybe_phrases: Phrases,
}

impl Default for HumanRequestConfig {
    fn default() -> Self {
        let mut phrases = BTreeMap::new();
        phrases.insert(
            "en".to_owned(),
            defaults(&[
                "(talk|speak|chat|connect|transfer|put|pass|get|escalate) (me|) (to|with|through to|over to|) (a|an|the|some|your|one of your|) (real|actual|live|human|proper|) (human|person|people|agent|rep|representative|operator|supervisor|manager|someone|somebody|staff|employee|being)",
                "(real|actual|live|human|flesh and blood) (person|human|agent|being|people|support)",
                "(human|live) (agent|support|help|being)",
                "(is|are) (there|) (a|any|anyone|anybody|someone|somebody|a real person|a human) (real|human|) .. (reading|there|here|behind|on the other end|listening|working)",
                "(am i|are you) (talking|speaking|chatting) (to|with) (a|an|) (bot|robot|machine|ai|computer|program)",
                "(are you|is this) (a|an|just a|just an) (bot|robot|machine|ai|computer|automated)",
                "(stop|enough with|no more|not) (the|this|a|) (bot|robot|chatbot|machine|script|automated)",
                "(dont|do not) want (to talk to|to chat with|) (a|the|this|) (bot|robot|machine|ai|chatbot)",
                "(representative|supervisor)",
                "(agent|human|person|someone|somebody|operator) (please|pls|plz|now)",
                "(a|your|the) (phone|telephone) number (to call|i can call|to reach)",
                "(can|could|would) (someone|somebody|a person|a human|an agent) (call|phone|ring) me",
                "(give|send) me (someone|somebody|a person|a human)",
                "(let me|can i|could i|may i|i want to|i need to|id like to|i would like to) (talk|speak|chat) (to|with) (someone|somebody)",
                "(someone|somebody) (who can|that can|to) (actually|really|) help",
                "(someone|somebody|a person|a member of staff|a staff member|a specialist|a colleague|an agent|a human|an expert|a real person|an actual person|people) (from|on|in|at|of) (your|the) .. (team|department|dept|staff|office|desk|side)",
                "(pass|forward|send|hand|escalate|refer|transfer) (this|it|me|my case|my complaint|my query|my request|my message) (on|over|) to (a|an|someone|somebody|the|your) .. (person|human|team|staff|member|agent|supervisor|manager|department|specialist)",
                "(prefer|rather|like) (to|) (deal|speak|talk|go through|discuss|sort) .. with (a person|someone|somebody|a human|a real person|an actual person|your team|a member)",
                "(a|an) (member of staff|staff member|real person|actual person|human being) (to|) (pick|look|handle|take|check|review|call)",
                "(rather than|instead of|no more|not) (more|) (automated|canned|bot|robot|generic|faq|copy paste) (replies|answers|responses|messages)",
                "(need|want|like|get) (a hand|help) from (someone|somebody|a person|a human)",
                "(escalate|escalating) (this|it|my case|my ticket|my issue|me) (to|please|now|)",
                "(want|need|get|give) (me|us|) (a|an) (real|actual|live|human|) (person|human|agent|rep|representative|operator)",
                "(is|are) (anyone|anybody|someone|somebody) (there|here|real|reading|available|alive|actually)",
                "(talk|speak|chat) (to|with) (someone|somebody|a person) (directly|in person|on the phone|who works there)",
                "(customer service|support|customer care) (rep|representative|agent|person|team member)",
            ]),
        );
        phrases.insert(
            "pt".to_owned(),
            defaults(&[
                "(falar|conversar|trocar ideia) (com|c) (um|uma|algum|alguma|o|a|) (humano|humana|pessoa|atendente|gente|alguem|agente|supervisor|supervisora|gerente|responsavel|operador|operadora|funcionario|funcionaria)",
                "(atendente|atendimento|pessoa|gente|ser) (humano|humana|real|de verdade|de carne e osso)",
                "(me|nos) (passa|passe|transfere|transfira|encaminha|encaminhe|coloca|coloque|conecta) (pra|para|com|a|o|) (um|uma|algum|alguma|) (humano|pessoa|atendente|alguem|gente|supervisor|gerente|agente)",
                "(tem|ha|existe) (alguem|alguma pessoa|gente|humano|um humano) (ai|aqui|de verdade|real|lendo)",
                "(nao|n) (seja|e|eh) (robo|bot|maquina)",
                "(e|eh|é|vc e|voce e|vc eh|isso e) (um|uma|) (robo|bot|maquina|ia)",
                "(chega|cansei|para) (de|com) (robo|bot|maquina|ia|resposta automatica|respostas automaticas)",
                "(nao|n) (quero|aguento) (falar com|conversar com|mais) (robo|bot|maquina|ia)",
                "(quero|queria|preciso) (um|uma) (atendente|pessoa|humano)",
                "(numero|telefone|contato) (pra|para) (ligar|falar com alguem|falar com uma pessoa)",
                "(alguem|uma pessoa) (pode|poderia) me ligar",
                "(chamar|chama|acionar|aciona|envolver|colocar) (alguem|uma pessoa|um humano|um atendente|o pessoal|a equipe|o time)",
                "(alguem|uma pessoa|o pessoal) (da|do|de) (equipe|time|setor|area|departamento|suporte)",
                "(olhar|atendimento|contato|analise) (humano|humana|de uma pessoa|de gente)",
                "(uma pessoa|alguem|gente) (mesmo|de verdade)",
                "(trocar uma ideia|falar|conversar) com alguem",
                "(quero|preciso|queria|gostaria de) (falar|conversar) com (o suporte|o atendimento|a central|o sac|a equipe|o gerente|um supervisor)",
                "(tem|ha) (como|jeito de|algum jeito de) falar com (alguem|uma pessoa|um atendente|o suporte|humano)",
                "(sac|0800|central de atendimento)",
                "(resposta|respostas) (de|automatica|automaticas|pronta|prontas) (faq|robo|bot|)",
            ]),
        );
        phrases.insert(
            "es".to_owned(),
            defaults(&[
                "(hablar|platicar|conversar|comunicarme|comunicarnos) (con|a) (un|una|algun|alguna|el|la|) (humano|humana|persona|asesor|asesora|agente|operador|operadora|ejecutivo|ejecutiva|supervisor|supervisora|gerente|encargado|encargada|representante|alguien|empleado|empleada)",
                "(persona|ser humano|agente|asesor|gente) (real|de verdad|humano|humana|de carne y hueso)",
                "(me|nos) (pasas|pases|pasa|pase|comunicas|comunica|comuniques|transfieres|transfiera|conectas|conecta|derivas|deriva) (con|a) (un|una|algun|alguna|) (humano|persona|asesor|asesora|agente|alguien|operador|supervisor|ejecutivo)",
                "(hay|habra) (alguien|alguna persona|un humano|una persona|gente) (ahi|aqui|real|de verdad|leyendo)",
                "(es|eres|sos|esto es) (un|una|) (bot|robot|maquina|ia|contestador)",
                "(no|ya no) (quiero|aguanto) (hablar con|mas|seguir con) (un|el|la|) (bot|robot|maquina|ia)",
                "(basta|ya basta) (de|con) (bot|robot|maquina|respuestas automaticas)",
                "(quiero|necesito|queria) (un|una) (agente|asesor|asesora|persona|humano|operador|ejecutivo)",
                "(numero|telefono) (para) (llamar|hablar con alguien|hablar con una persona)",
                "(alguien|una persona) (puede|podria) (llamarme|marcarme)",
                "(me|nos) (atienda|atendiera|atiende|atiendan) (una persona|alguien|un humano|un asesor|una asesora|gente)",
                "(prefiero|preferiria|quisiera|quiero) (que me atienda|hablar con|tratar con|que me llame) (una persona|alguien|un humano)",
                "(no|ni) .. (a una maquina|con una maquina|a un bot|con un bot|a un robot|con un robot)",
                "(alguien|una persona) (del|de) (equipo|area|departamento|soporte|servicio)",
                "(me llame|llamarme|me llamen|que me llamen) (alguien|una persona|un asesor)",
                "(quiero|necesito|queria|quisiera) (hablar|comunicarme) con (soporte|atencion al cliente|el gerente|un supervisor|servicio al cliente|alguien responsable)",
                "(hay|existe) (forma|manera|alguna forma|alguna manera) de hablar con (alguien|una persona|un asesor|un humano)",
                "(un|una) (ser humano|persona humana)",
            ]),
        );
        HumanRequestConfig {
            enabled: true,
            weight: 1.0,
            phrases,
            maybe_phrases: defaults(&[
                "(later|maybe|might|may|perhaps|if (this|that|it) (doesnt|does not|dont|still) (work|works|helps))",
                "(talvez|depois|mais tarde|se (isso|nao) (nao|) (funcionar|resolver))",
                "(tal vez|quizas|capaz|despues|mas tarde|si (esto|no|sigue) (no|igual|) (funciona|resuelve|))",
            ]),
        }
    }
}

/// How action and score map to the conversation's tier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TierConfig {
    /// A conversation the AI keeps is `ai_assisted` (a human approves
    /// irreversible actions) from this score up, `ai_resolved` below it.
    pub ai_assisted_from: f64,
}

impl Default for TierConfig {
    fn default() -> Self {
        TierConfig {
            ai_assisted_from: 0.3,
        }
    }
}

/// Where routing hints come from in the customer record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingConfig {
    /// Customer attribute naming the account manager, the preferred agent.
    pub account_manager_attribute: String,
    /// Customer attribute naming the agent who last spoke to the customer.
    pub recent_agent_attribute: String,
    /// Customer attribute with the RFC 3339 time of that contact.
    pub recent_agent_at_attribute: String,
    /// How recent that contact must be to prefer the agent, in days.
    pub recent_agent_days: u32,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            account_manager_attribute: "account_manager".into(),
            recent_agent_attribute: "last_agent".into(),
            recent_agent_at_attribute: "last_agent_contact_at".into(),
            recent_agent_days: 30,
        }
    }
}

impl TriggersConfig {
    /// Checks every range, naming the key of the first bad value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let c = &self.confidence;
        weight("triggers.confidence.weight", c.weight)?;
        within("triggers.confidence.threshold", c.threshold, 0.0, 1.0)?;
        within(
            "triggers.confidence.streak_threshold",
            c.streak_threshold,
            0.0,
            1.0,
        )?;
        in_range("triggers.confidence.streak", c.streak.into(), 2, 1000)?;

        let s = &self.sentiment;
        weight("triggers.sentiment.weight", s.weight)?;
        weight("triggers.sentiment.offer_weight", s.offer_weight)?;
        within("triggers.sentiment.angry_at", s.angry_at, -1.0, 1.0)?;
        within(
            "triggers.sentiment.frustrated_at",
            s.frustrated_at,
            -1.0,
            1.0,
        )?;
        if s.angry_at > s.frustrated_at {
            return Err(invalid(
                "triggers.sentiment.angry_at",
                format!("must not be above frustrated_at ({})", s.frustrated_at),
            ));
        }
        in_range("triggers.sentiment.streak", s.streak.into(), 1, 1000)?;
        in_range(
            "triggers.sentiment.punctuation_run",
            s.punctuation_run.into(),
            2,
            1000,
        )?;
        in_range(
            "triggers.sentiment.shouting_min_letters",
            s.shouting_min_letters.into(),
            1,
            100_000,
        )?;
        within(
            "triggers.sentiment.repetition_similarity",
            s.repetition_similarity,
            0.01,
            1.0,
        )?;

        in_range(
            "triggers.sentiment.repetition_window",
            s.repetition_window.into(),
            1,
            1000,
        )?;

        weight("triggers.topic.weight", self.topic.weight)?;
        for (name, t) in &self.topic.topics {
            priority(
                &format!("triggers.topic.topics.{name}.priority"),
                t.priority,
            )?;
        }

        let a = &self.account;
        weight("triggers.account.weight", a.weight)?;
        priority("triggers.account.priority", a.priority)?;
        in_range("triggers.account.top_n", a.top_n.into(), 0, 100_000_000)?;
        in_range(
            "triggers.account.sustained_turns",
            a.sustained_turns.into(),
            1,
            100_000,
        )?;
        weight("triggers.account.offer_weight", a.offer_weight)?;

        let b = &self.budget;
        weight("triggers.budget.weight", b.weight)?;
        in_range(
            "triggers.budget.max_customer_turns",
            b.max_customer_turns.into(),
            0,
            100_000,
        )?;
        // Thirty days: long enough for the slowest e-mail thread, and far
        // from the range where a timestamp plus it could overflow.
        in_range("triggers.budget.max_seconds", b.max_seconds, 0, 30 * 86_400)?;
        for (channel, c) in &b.channels {
            in_range(
                &format!("triggers.budget.channels.{channel}.max_customer_turns"),
                c.max_customer_turns.into(),
                0,
                100_000,
            )?;
            in_range(
                &format!("triggers.budget.channels.{channel}.max_seconds"),
                c.max_seconds,
                0,
                30 * 86_400,
            )?;
        }
        in_range(
            "triggers.scope.negation_reach",
            self.scope.negation_reach.into(),
            0,
            20,
        )?;
        weight("triggers.human_request.weight", self.human_request.weight)?;
        Ok(())
    }
}

impl TierConfig {
    /// Checks the range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        within("tiers.ai_assisted_from", self.ai_assisted_from, 0.0, 1000.0)
    }
}

impl RoutingConfig {
    /// Checks the range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        in_range(
            "routing.recent_agent_days",
            self.recent_agent_days.into(),
            0,
            3650,
        )
    }
}
