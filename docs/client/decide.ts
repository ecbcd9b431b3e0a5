// Asks a running Escalator for a decision, typed by the types that
// `npm run generate` derives from docs/openapi.json.
import createClient from "openapi-fetch";
import type { paths } from "./escalator";

const token = "YOUR_CLIENT_TOKEN";
const client = createClient<paths>({
  baseUrl: "http://127.0.0.1:8080",
  headers: { Authorization: `Bearer ${token}` },
});

const { data, error, response } = await client.POST("/v1/decide", {
  body: {
    conversation_id: "c-1042",
    topic: { category: "billing", subcategory: "refund" },
    customer: { id: "u-77", tier: "enterprise" },
    messages: [
      { role: "customer", text: "You charged me twice.", at: "2026-01-31T09:30:00Z" },
      {
        role: "ai",
        text: "I can see one charge.",
        at: "2026-01-31T09:30:05Z",
        ai: { confidence: 0.42, intent: "billing_dispute" },
      },
      { role: "customer", text: "Let me talk to a person!", at: "2026-01-31T09:30:40Z" },
    ],
  },
});

if (error) {
  // Every error has the same shape: code, message and the field at fault.
  console.error(response.status, error.error.code, error.error.field, error.error.message);
} else {
  console.log(data.action, data.tier, data.priority, data.reasons.map((r) => r.code));
  console.log(data.context.summary);
}
