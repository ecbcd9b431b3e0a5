//! What people say, in English, Portuguese and Spanish, as (en, pt, es)
//! triples. Written as a real help desk's chats read, so that the built-in
//! triggers react to them as they would to real traffic: a doubt reads as
//! frustrated, an insult or a threat as angry, "talk to a human" as a
//! request for one. `{n}` is the order number, `{agent}` the agent's first
//! name, `{topic}` the subject as the agent names it.

/// One text in the three languages.
pub type Tri = (&'static str, &'static str, &'static str);

/// A support subject: the customer's opening, the AI's first answer, and
/// how an agent who read the conversation refers to it.
#[derive(Debug)]
pub struct Subject {
    /// Topic category, as the upstream AI classifies it.
    pub category: &'static str,
    /// Topic subcategory.
    pub subcategory: &'static str,
    /// The customer's first message.
    pub opening: Tri,
    /// The AI's answer to it.
    pub answer: Tri,
    /// The problem as a noun phrase, for the agent's first reply.
    pub topic: Tri,
}

/// Every subject, grouped by category in [`CATEGORIES`] order.
pub const SUBJECTS: &[Subject] = &[
    Subject {
        category: "billing",
        subcategory: "double-charge",
        opening: (
            "Hi, I was charged twice for order #{n}. Can you fix that?",
            "Oi, fui cobrado duas vezes pelo pedido #{n}. Vocês podem resolver?",
            "Hola, me cobraron dos veces el pedido #{n}. ¿Pueden solucionarlo?",
        ),
        answer: (
            "I checked order #{n}: the second charge is a pre-authorisation and will disappear within 3 business days.",
            "Verifiquei o pedido #{n}: a segunda cobrança é uma pré-autorização e some em até 3 dias úteis.",
            "Revisé el pedido #{n}: el segundo cargo es una preautorización y desaparecerá en 3 días hábiles.",
        ),
        topic: (
            "the double charge on order #{n}",
            "a cobrança duplicada do pedido #{n}",
            "el cobro duplicado del pedido #{n}",
        ),
    },
    Subject {
        category: "billing",
        subcategory: "refund",
        opening: (
            "I'm waiting for the refund for order #{n}. When will it arrive?",
            "Estou esperando o reembolso do pedido #{n}. Quando cai?",
            "Estoy esperando el reembolso del pedido #{n}. ¿Cuándo llega?",
        ),
        answer: (
            "The refund for order #{n} was issued on our side; banks usually take 5 to 10 business days to show it.",
            "O reembolso do pedido #{n} já foi feito do nosso lado; os bancos costumam levar de 5 a 10 dias úteis para mostrar.",
            "El reembolso del pedido #{n} ya se emitió; los bancos suelen tardar de 5 a 10 días hábiles en reflejarlo.",
        ),
        topic: (
            "the refund for order #{n}",
            "o reembolso do pedido #{n}",
            "el reembolso del pedido #{n}",
        ),
    },
    Subject {
        category: "billing",
        subcategory: "invoice",
        opening: (
            "I need an invoice with my company's VAT number for order #{n}.",
            "Preciso da nota fiscal do pedido #{n} com o CNPJ da minha empresa.",
            "Necesito una factura del pedido #{n} con el NIF de mi empresa.",
        ),
        answer: (
            "You can add your VAT number under Account > Billing details and download the invoice for order #{n} from the Orders page.",
            "Você pode informar o CNPJ em Conta > Dados de faturamento e baixar a nota do pedido #{n} na página de Pedidos.",
            "Puede añadir su NIF en Cuenta > Datos de facturación y descargar la factura del pedido #{n} en la página de Pedidos.",
        ),
        topic: (
            "the invoice for order #{n}",
            "a nota fiscal do pedido #{n}",
            "la factura del pedido #{n}",
        ),
    },
    Subject {
        category: "shipping",
        subcategory: "late-delivery",
        opening: (
            "My order #{n} was due on Monday. Where is it?",
            "Meu pedido #{n} era para chegar na segunda. Cadê ele?",
            "Mi pedido #{n} tenía que llegar el lunes. ¿Dónde está?",
        ),
        answer: (
            "Order #{n} is with the carrier and the new estimate is Thursday. Sorry for the wait.",
            "O pedido #{n} está com a transportadora e a nova previsão é quinta-feira. Desculpe a demora.",
            "El pedido #{n} está con la transportista y la nueva fecha estimada es el jueves. Disculpe la espera.",
        ),
        topic: (
            "the late delivery of order #{n}",
            "o atraso na entrega do pedido #{n}",
            "el retraso en la entrega del pedido #{n}",
        ),
    },
    Subject {
        category: "shipping",
        subcategory: "tracking",
        opening: (
            "The tracking for order #{n} hasn't updated in four days.",
            "O rastreio do pedido #{n} não atualiza há quatro dias.",
            "El seguimiento del pedido #{n} no se actualiza desde hace cuatro días.",
        ),
        answer: (
            "The carrier scanned order #{n} at their regional hub yesterday; tracking usually catches up within 24 hours.",
            "A transportadora registrou o pedido #{n} no centro regional ontem; o rastreio costuma atualizar em até 24 horas.",
            "La transportista registró el pedido #{n} en su centro regional ayer; el seguimiento suele actualizarse en 24 horas.",
        ),
        topic: (
            "the tracking of order #{n}",
            "o rastreio do pedido #{n}",
            "el seguimiento del pedido #{n}",
        ),
    },
    Subject {
        category: "shipping",
        subcategory: "wrong-address",
        opening: (
            "I put the wrong address on order #{n}. Can I change it?",
            "Coloquei o endereço errado no pedido #{n}. Dá para alterar?",
            "Puse mal la dirección en el pedido #{n}. ¿Se puede cambiar?",
        ),
        answer: (
            "Order #{n} hasn't shipped yet, so you can edit the address from the order page for the next two hours.",
            "O pedido #{n} ainda não foi despachado, então você pode editar o endereço na página do pedido nas próximas duas horas.",
            "El pedido #{n} aún no salió, así que puede editar la dirección desde la página del pedido durante las próximas dos horas.",
        ),
        topic: (
            "the delivery address on order #{n}",
            "o endereço de entrega do pedido #{n}",
            "la dirección de entrega del pedido #{n}",
        ),
    },
    Subject {
        category: "account",
        subcategory: "password-reset",
        opening: (
            "The password reset email never arrives.",
            "O e-mail para redefinir a senha não chega.",
            "No me llega el correo para restablecer la contraseña.",
        ),
        answer: (
            "I've sent a new reset link to the address on your account. It can take a few minutes; please check your spam folder too.",
            "Enviei um novo link de redefinição para o e-mail da sua conta. Pode levar alguns minutos; confira também a caixa de spam.",
            "Envié un nuevo enlace para restablecer la contraseña al correo de su cuenta. Puede tardar unos minutos; revise también la carpeta de spam.",
        ),
        topic: (
            "the password reset",
            "a redefinição da sua senha",
            "el restablecimiento de su contraseña",
        ),
    },
    Subject {
        category: "account",
        subcategory: "login",
        opening: (
            "The app keeps logging me out every few minutes.",
            "O app fica me deslogando a cada poucos minutos.",
            "La app me cierra la sesión cada pocos minutos.",
        ),
        answer: (
            "That usually happens when the app is out of date. Please update it to version 5.2 and sign in again.",
            "Isso costuma acontecer quando o app está desatualizado. Atualize para a versão 5.2 e entre de novo.",
            "Eso suele pasar cuando la app está desactualizada. Actualícela a la versión 5.2 y vuelva a iniciar sesión.",
        ),
        topic: (
            "the app logging you out",
            "o app te deslogando",
            "la app cerrándole la sesión",
        ),
    },
    Subject {
        category: "account",
        subcategory: "profile-update",
        opening: (
            "How do I change the phone number on my profile?",
            "Como altero o telefone do meu perfil?",
            "¿Cómo cambio el número de teléfono de mi perfil?",
        ),
        answer: (
            "Go to Account > Profile, tap the phone number and confirm the new one with the code we text you.",
            "Vá em Conta > Perfil, toque no telefone e confirme o novo número com o código que enviamos por SMS.",
            "Vaya a Cuenta > Perfil, toque el número de teléfono y confirme el nuevo con el código que le enviamos por SMS.",
        ),
        topic: (
            "the phone number on your profile",
            "o telefone do seu perfil",
            "el teléfono de su perfil",
        ),
    },
    Subject {
        category: "technical",
        subcategory: "app-crash",
        opening: (
            "The app crashes as soon as I open the cart.",
            "O aplicativo fecha sozinho quando abro o carrinho.",
            "La aplicación se cierra en cuanto abro el carrito.",
        ),
        answer: (
            "Thanks for reporting it. Clearing the app's cache under Settings > Storage fixes this for most people.",
            "Obrigado por avisar. Limpar o cache do app em Configurações > Armazenamento resolve na maioria dos casos.",
            "Gracias por avisar. Borrar la caché de la app en Ajustes > Almacenamiento lo soluciona en la mayoría de los casos.",
        ),
        topic: (
            "the app crashing when you open the cart",
            "o app fechando quando você abre o carrinho",
            "la app cerrándose al abrir el carrito",
        ),
    },
    Subject {
        category: "technical",
        subcategory: "sync-error",
        opening: (
            "My orders aren't syncing between the website and the app.",
            "Meus pedidos não sincronizam entre o site e o app.",
            "Mis pedidos no se sincronizan entre la web y la app.",
        ),
        answer: (
            "Please sign out of the app and back in; that forces a full sync with your account.",
            "Saia do app e entre novamente; isso força uma sincronização completa com a sua conta.",
            "Cierre sesión en la app y vuelva a entrar; eso fuerza una sincronización completa con su cuenta.",
        ),
        topic: (
            "the sync between the website and the app",
            "a sincronização entre o site e o app",
            "la sincronización entre la web y la app",
        ),
    },
    Subject {
        category: "technical",
        subcategory: "integration",
        opening: (
            "Our Shopify integration stopped importing orders yesterday.",
            "Nossa integração com a Shopify parou de importar pedidos ontem.",
            "Nuestra integración con Shopify dejó de importar pedidos ayer.",
        ),
        answer: (
            "The Shopify connection needs to be re-authorised after their API update. Go to Integrations > Shopify and click Reconnect.",
            "A conexão com a Shopify precisa ser reautorizada depois da atualização da API deles. Vá em Integrações > Shopify e clique em Reconectar.",
            "La conexión con Shopify debe volver a autorizarse tras su actualización de la API. Vaya a Integraciones > Shopify y pulse Reconectar.",
        ),
        topic: (
            "the Shopify order import",
            "a importação de pedidos da Shopify",
            "la importación de pedidos de Shopify",
        ),
    },
    Subject {
        category: "returns",
        subcategory: "return-label",
        opening: (
            "How do I get a return label for order #{n}?",
            "Como consigo a etiqueta de devolução do pedido #{n}?",
            "¿Cómo consigo la etiqueta de devolución del pedido #{n}?",
        ),
        answer: (
            "I've emailed you a prepaid return label for order #{n}. Drop the parcel at any post office within 14 days.",
            "Enviei por e-mail uma etiqueta de devolução pré-paga do pedido #{n}. Leve o pacote a qualquer agência dos Correios em até 14 dias.",
            "Le envié por correo una etiqueta de devolución prepagada del pedido #{n}. Deje el paquete en cualquier oficina de correos en 14 días.",
        ),
        topic: (
            "the return of order #{n}",
            "a devolução do pedido #{n}",
            "la devolución del pedido #{n}",
        ),
    },
    Subject {
        category: "returns",
        subcategory: "exchange",
        opening: (
            "I'd like to exchange the shoes from order #{n} for a bigger size.",
            "Quero trocar o tênis do pedido #{n} por um número maior.",
            "Quiero cambiar las zapatillas del pedido #{n} por una talla más grande.",
        ),
        answer: (
            "Size 43 is in stock. I've started an exchange for order #{n}; the new pair ships as soon as we receive the old one.",
            "O 43 está disponível. Abri a troca do pedido #{n}; o novo par é enviado assim que recebermos o antigo.",
            "La talla 43 está disponible. Inicié el cambio del pedido #{n}; el nuevo par se envía en cuanto recibamos el anterior.",
        ),
        topic: (
            "the exchange for order #{n}",
            "a troca do pedido #{n}",
            "el cambio del pedido #{n}",
        ),
    },
    Subject {
        category: "returns",
        subcategory: "refund-status",
        opening: (
            "I sent order #{n} back two weeks ago. When do I get my money?",
            "Devolvi o pedido #{n} há duas semanas. Quando recebo meu dinheiro?",
            "Devolví el pedido #{n} hace dos semanas. ¿Cuándo recibo mi dinero?",
        ),
        answer: (
            "The warehouse received order #{n} on the 3rd; the refund goes out within 5 business days of inspection.",
            "O armazém recebeu o pedido #{n} no dia 3; o reembolso sai em até 5 dias úteis após a conferência.",
            "El almacén recibió el pedido #{n} el día 3; el reembolso se emite en 5 días hábiles tras la revisión.",
        ),
        topic: (
            "the refund for your return of order #{n}",
            "o reembolso da devolução do pedido #{n}",
            "el reembolso de la devolución del pedido #{n}",
        ),
    },
    Subject {
        category: "fraud",
        subcategory: "unrecognised-charge",
        opening: (
            "There's a charge of $89.90 on my card that I don't recognise.",
            "Tem uma cobrança de R$ 89,90 no meu cartão que eu não reconheço.",
            "Hay un cargo de 89,90 en mi tarjeta que no reconozco.",
        ),
        answer: (
            "I can see a payment of $89.90 for order #{n}, placed from your account on Saturday. Could someone in your household have made it?",
            "Vejo um pagamento de R$ 89,90 do pedido #{n}, feito pela sua conta no sábado. Alguém da sua casa pode ter feito?",
            "Veo un pago de 89,90 del pedido #{n}, hecho desde su cuenta el sábado. ¿Pudo hacerlo alguien de su casa?",
        ),
        topic: (
            "the $89.90 charge you don't recognise",
            "a cobrança de R$ 89,90 que você não reconhece",
            "el cargo de 89,90 que no reconoce",
        ),
    },
    Subject {
        category: "fraud",
        subcategory: "suspicious-login",
        opening: (
            "I got an alert about a login to my account from another country.",
            "Recebi um alerta de acesso à minha conta de outro país.",
            "Me llegó una alerta de un inicio de sesión en mi cuenta desde otro país.",
        ),
        answer: (
            "I see a sign-in from a new device on Tuesday. If it wasn't you, please change your password now; I've signed out all other sessions.",
            "Vejo um acesso de um novo dispositivo na terça. Se não foi você, troque sua senha agora; encerrei todas as outras sessões.",
            "Veo un inicio de sesión desde un dispositivo nuevo el martes. Si no fue usted, cambie su contraseña ahora; cerré todas las demás sesiones.",
        ),
        topic: (
            "the sign-in from another country",
            "o acesso de outro país",
            "el inicio de sesión desde otro país",
        ),
    },
    Subject {
        category: "fraud",
        subcategory: "phishing",
        opening: (
            "I got an email that looks like it's from you asking for my card details. Is it real?",
            "Recebi um e-mail que parece ser de vocês pedindo os dados do meu cartão. É verdade?",
            "Recibí un correo que parece de ustedes pidiendo los datos de mi tarjeta. ¿Es real?",
        ),
        answer: (
            "We never ask for card details by email. Please don't click any links in it; you can forward it to security@example.com.",
            "Nunca pedimos dados de cartão por e-mail. Não clique em nenhum link; você pode encaminhar para security@example.com.",
            "Nunca pedimos datos de tarjeta por correo. No haga clic en ningún enlace; puede reenviarlo a security@example.com.",
        ),
        topic: (
            "the email asking for your card details",
            "o e-mail pedindo os dados do seu cartão",
            "el correo que pide los datos de su tarjeta",
        ),
    },
];

/// The categories and their share of traffic, in [`SUBJECTS`] order.
pub const CATEGORIES: [(&str, f64); 6] = [
    ("billing", 25.0),
    ("shipping", 25.0),
    ("account", 15.0),
    ("technical", 15.0),
    ("returns", 12.0),
    ("fraud", 8.0),
];

/// The customer says it worked.
pub const THANKS: &[Tri] = &[
    (
        "Thanks, that worked!",
        "Obrigado, deu certo!",
        "¡Gracias, ya funciona!",
    ),
    (
        "Perfect, all sorted now. Thank you!",
        "Perfeito, funcionou. Muito obrigada!",
        "Perfecto, solucionado. ¡Muchas gracias!",
    ),
    (
        "Great, that fixed it. Thanks a lot.",
        "Resolvido, valeu pela ajuda!",
        "Listo, era eso. Gracias por la ayuda.",
    ),
];

/// The customer did not follow the answer.
pub const CONFUSED: &[Tri] = &[
    (
        "Sorry, I don't quite follow. Where exactly do I find that?",
        "Não entendi direito. Onde exatamente eu encontro isso?",
        "Perdón, no entiendo bien. ¿Dónde encuentro eso exactamente?",
    ),
    (
        "I'm a bit lost. Which menu is that in?",
        "Fiquei meio perdido, em qual menu fica isso?",
        "Estoy un poco perdido, ¿en qué menú está eso?",
    ),
    (
        "What do you mean? I can't see that option anywhere.",
        "Como assim? Não estou vendo essa opção.",
        "¿Cómo? No veo esa opción por ningún lado.",
    ),
];

/// Doubt and mild disappointment; the last one disputes the answer.
pub const FRUSTRATED: &[Tri] = &[
    (
        "Hmm, I'm not sure that answers my question.",
        "Hmm, não sei se isso responde minha pergunta.",
        "Mmm, no estoy seguro de que eso responda mi pregunta.",
    ),
    (
        "That doesn't really help, to be honest.",
        "Isso não ajudou muito, sinceramente.",
        "Eso no me ayuda mucho, la verdad.",
    ),
    (
        "I did that already and nothing changed.",
        "Já fiz isso e nada mudou. Meio chato.",
        "Ya hice eso y no cambió nada.",
    ),
    (
        "Hmm, that's a bit disappointing.",
        "Hmm, que pena, esperava outra resposta.",
        "Mmm, qué pena, esperaba otra respuesta.",
    ),
    (
        "I'm not sure that will work for me.",
        "Não sei se isso vai funcionar pra mim.",
        "No sé si eso me va a servir.",
    ),
    (
        "That's not right, I never got anything.",
        "Isso tá errado, não recebi nada.",
        "Eso está mal, no me llegó nada.",
    ),
];

/// Anger: a frustration phrase, shouting, a threat.
pub const ANGRY: &[Tri] = &[
    (
        "This is ridiculous. I've explained this three times already!",
        "Isso é um absurdo! Já expliquei três vezes!",
        "¡Esto es ridículo! Ya lo expliqué tres veces.",
    ),
    (
        "Still not working. Terrible service!!!",
        "Continua sem funcionar. Péssimo atendimento!!!",
        "Sigue sin funcionar. ¡¡¡Pésimo servicio!!!",
    ),
    (
        "Unbelievable. If this isn't fixed today I'm filing a chargeback.",
        "Inacreditável. Se não resolverem hoje vou abrir uma reclamação no Procon.",
        "Increíble. Si no lo resuelven hoy pido el contracargo a mi banco.",
    ),
];

/// The customer asks for a person.
pub const ASK_HUMAN: &[Tri] = &[
    (
        "Can I talk to a human, please?",
        "Quero falar com um atendente humano, por favor.",
        "Quiero hablar con una persona, por favor.",
    ),
    (
        "Is there a real person I can speak to?",
        "Tem alguém aí que não seja robô?",
        "¿Hay alguna persona real que me pueda atender?",
    ),
    (
        "Please pass this to someone on your team.",
        "Me passa para um atendente, por favor.",
        "Páseme con un agente, por favor.",
    ),
];

/// A fraud scare that turns out to be nothing: a family member's
/// purchase, the customer's own sign-in abroad, a phishing mail deleted
/// unopened (by subcategory, in [`SUBJECTS`] order).
pub const FALSE_ALARM: &[Tri] = &[
    (
        "Oh wait, my son used my card for that. All sorted, thanks for the help!",
        "Ah, foi meu filho que usou o cartão. Tudo resolvido, obrigado pela ajuda!",
        "Ah, fue mi hijo quien usó la tarjeta. Ya está resuelto, ¡gracias por la ayuda!",
    ),
    (
        "Never mind, that was me on holiday. Problem solved, thank you!",
        "Deixa, fui eu mesmo na viagem. Resolvido, muito obrigado!",
        "No importa, fui yo de viaje. Solucionado, ¡muchas gracias!",
    ),
    (
        "OK, I deleted it without clicking anything. All good now, thanks for the help!",
        "Ok, apaguei sem clicar em nada. Tudo certo, obrigado pela ajuda!",
        "Vale, lo borré sin hacer clic en nada. ¡Gracias por la ayuda!",
    ),
];

/// A fraud case that is one: the customer confirms it was not them.
pub const NOT_ME: &[Tri] = &[
    (
        "No, that wasn't me or anyone in my family.",
        "Não, não fui eu nem ninguém da minha família.",
        "No, no fui yo ni nadie de mi familia.",
    ),
    (
        "No, I didn't do that. What should I do now?",
        "Não fui eu. O que eu faço agora?",
        "No fui yo. ¿Qué hago ahora?",
    ),
];

/// The AI explains again.
pub const AI_CLARIFY: &[Tri] = &[
    (
        "Sure! Open the app, go to Orders, pick the order and tap 'Get help'. The option is at the bottom.",
        "Claro! Abra o app, vá em Pedidos, escolha o pedido e toque em 'Ajuda'. A opção fica lá embaixo.",
        "¡Claro! Abra la app, vaya a Pedidos, elija el pedido y toque 'Ayuda'. La opción está abajo.",
    ),
    (
        "No problem: it's under Account > Settings, in the second section.",
        "Sem problema: fica em Conta > Configurações, na segunda seção.",
        "Sin problema: está en Cuenta > Ajustes, en la segunda sección.",
    ),
];

/// The AI apologises and tries again.
pub const AI_RETRY: &[Tri] = &[
    (
        "I'm sorry about that. I checked again: I can see the request on our side and I've flagged it as urgent.",
        "Sinto muito. Verifiquei de novo: a solicitação está aqui e marquei como urgente.",
        "Lo siento. Lo revisé de nuevo: veo la solicitud y la marqué como urgente.",
    ),
    (
        "I understand, sorry for the trouble. Could you send me a screenshot of what you see?",
        "Entendo, desculpe o transtorno. Pode me mandar um print do que aparece?",
        "Entiendo, disculpe las molestias. ¿Puede enviarme una captura de lo que ve?",
    ),
];

/// The AI tries to keep a customer who asked for a person.
pub const AI_HOLD: &[Tri] = &[(
    "I can help with that right here. Could you tell me a bit more first?",
    "Posso ajudar com isso por aqui. Pode me contar um pouco mais antes?",
    "Puedo ayudarle con eso aquí mismo. ¿Me cuenta un poco más primero?",
)];

/// The AI could not answer.
pub const AI_FALLBACK: &[Tri] = &[
    (
        "Sorry, I didn't understand that. Could you rephrase?",
        "Desculpe, não entendi. Pode reformular?",
        "Lo siento, no entendí. ¿Puede reformularlo?",
    ),
    (
        "I'm not able to help with that yet.",
        "Ainda não consigo ajudar com isso.",
        "Todavía no puedo ayudar con eso.",
    ),
];

/// The AI closes a solved conversation.
pub const AI_WRAP_UP: &[Tri] = &[(
    "Glad I could help! Anything else?",
    "Que bom que ajudei! Posso ajudar em mais alguma coisa?",
    "¡Me alegra haber ayudado! ¿Algo más?",
)];

/// An agent's first reply that shows they read the conversation.
pub const AGENT_AWARE: &[Tri] = &[
    (
        "Hi, this is {agent}. I've read the conversation and I'm looking into {topic} right now.",
        "Olá, aqui é {agent}. Li a conversa e já estou verificando {topic}.",
        "Hola, soy {agent}. Leí la conversación y ya estoy revisando {topic}.",
    ),
    (
        "Hi, {agent} here. Sorry for the trouble with {topic}; I'm fixing it now and will confirm in a few minutes.",
        "Oi, aqui é {agent}. Desculpe pelo problema com {topic}; já estou resolvendo e confirmo em alguns minutos.",
        "Hola, le habla {agent}. Disculpe el problema con {topic}; ya lo estoy resolviendo y le confirmo en unos minutos.",
    ),
];

/// An agent's first reply that neither shows the context nor asks to
/// start over.
pub const AGENT_GENERIC: &[Tri] = &[(
    "Hi, this is {agent}. I'll take it from here and get back to you shortly.",
    "Oi, aqui é {agent}. Vou assumir daqui e já te retorno.",
    "Hola, soy {agent}. Me encargo a partir de aquí y le respondo en breve.",
)];

/// An agent's first reply that makes the customer start over.
pub const AGENT_RESTART: &[Tri] = &[
    (
        "Hi, I'm {agent}. Can you tell me what happened?",
        "Olá, sou {agent}. Pode me contar o que aconteceu?",
        "Hola, soy {agent}. ¿Puede contarme qué pasó?",
    ),
    (
        "Hello, {agent} here. How can I help you today?",
        "Oi, aqui é {agent}. Como posso ajudar?",
        "Hola, le atiende {agent}. ¿En qué puedo ayudarle?",
    ),
];

/// Why an agent gave the conversation back to the AI.
pub const HANDBACK_NOTE: &[Tri] = &[
    (
        "refund issued; the AI can confirm the details",
        "reembolso feito; a IA pode confirmar os detalhes",
        "reembolso emitido; la IA puede confirmar los detalles",
    ),
    (
        "customer calmed down, only the routine follow-up is left",
        "cliente mais calmo, só falta o acompanhamento de rotina",
        "el cliente se calmó, solo queda el seguimiento de rutina",
    ),
];

/// Survey comments of happy customers.
pub const PRAISE: &[Tri] = &[
    (
        "Quick and helpful, thanks.",
        "Rápido e eficiente, obrigado.",
        "Rápido y útil, gracias.",
    ),
    (
        "Solved on the first try.",
        "Resolveram de primeira.",
        "Lo resolvieron a la primera.",
    ),
];

/// Survey comments of unhappy customers.
pub const COMPLAINTS: &[Tri] = &[
    (
        "Took far too long to reach a person.",
        "Demorou demais para falar com alguém.",
        "Tardaron demasiado en pasarme con una persona.",
    ),
    (
        "I had to explain everything twice.",
        "Tive que explicar tudo de novo.",
        "Tuve que explicarlo todo dos veces.",
    ),
    (
        "The bot kept going in circles.",
        "O robô ficou andando em círculos.",
        "El bot no paraba de dar vueltas.",
    ),
];

/// The help-desk queue a category goes to, and the queue it is transferred
/// to when the first one cannot finish it.
pub fn queues(category: &str) -> (&'static str, &'static str) {
    match category {
        "billing" => ("billing", "billing-specialists"),
        "shipping" => ("logistics", "carrier-claims"),
        "account" => ("accounts", "accounts-tier2"),
        "technical" => ("tech-support", "tech-tier2"),
        "returns" => ("returns", "returns-tier2"),
        _ => ("security", "fraud-investigations"),
    }
}
