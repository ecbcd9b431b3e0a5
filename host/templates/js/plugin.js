// {{name}}: escalates when a customer message contains one of the configured
// keywords. Replace the logic with your own rule.
import { log } from "escalator:rules/host@{{interface}}";

const DEFAULT_KEYWORDS = ["refund"];

function setting(settings, name) {
  const s = settings.find((s) => s.name === name);
  return s ? s.value.val : undefined;
}

export function describe() {
  return {
    name: "{{name}}",
    version: "0.1.0",
    description: "Escalates on configured keywords",
    settings: [
      {
        name: "keywords",
        kind: "text-list",
        default: { tag: "text-list", val: DEFAULT_KEYWORDS },
        description: "phrases in customer messages that escalate",
        secret: false,
      },
    ],
    reads: undefined,
  };
}

export function validateSettings(settings) {
  const keywords = setting(settings, "keywords");
  if (!keywords || keywords.length === 0) {
    throw "keywords must not be empty";
  }
}

export function evaluate(input) {
  const keywords = (setting(input.settings, "keywords") || []).map((k) => k.toLowerCase());
  for (const m of input.conversation.messages) {
    if (m.role !== "customer") continue;
    const text = m.text.toLowerCase();
    const hit = keywords.find((k) => text.includes(k));
    if (hit) {
      log("info", `keyword '${hit}' found`);
      return { verdict: "escalate", weight: 1, hard: false, reason: "keyword", detail: `the customer wrote '${hit}'`, priority: 50, routing: undefined };
    }
  }
  return { verdict: "abstain", weight: 1, hard: false, reason: "", detail: "", priority: undefined, routing: undefined };
}
