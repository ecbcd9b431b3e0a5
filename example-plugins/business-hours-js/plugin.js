// business-hours: outside the support team's hours in the customer's time
// zone, no agent can pick up, so this rule pulls towards the AI (a stay
// vote): a soft escalation becomes an offer — a callback when the team is
// back — while hard escalations (security, VIP, ...) still go through.
//
// componentize-js has no Intl time-zone data, so the rule carries its own
// table of UTC offsets with the United States' and the European Union's
// daylight-saving rules; the `utc_offsets` setting adds or overrides zones.
import { log } from "escalator:rules/host@0.3.0";

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

// Standard offset in minutes, and the daylight-saving rule that applies.
const ZONES = {
  "UTC": [0, null],
  "Europe/London": [0, "eu"], "Europe/Lisbon": [0, "eu"], "Europe/Dublin": [0, "eu"],
  "Europe/Paris": [60, "eu"], "Europe/Berlin": [60, "eu"], "Europe/Madrid": [60, "eu"],
  "Europe/Rome": [60, "eu"], "Europe/Amsterdam": [60, "eu"], "Europe/Athens": [120, "eu"],
  "America/New_York": [-300, "us"], "America/Chicago": [-360, "us"], "America/Denver": [-420, "us"],
  "America/Phoenix": [-420, null], "America/Los_Angeles": [-480, "us"],
  "America/Sao_Paulo": [-180, null], "America/Argentina/Buenos_Aires": [-180, null],
  "America/Mexico_City": [-360, null], "America/Bogota": [-300, null],
  "Asia/Kolkata": [330, null], "Asia/Tokyo": [540, null], "Asia/Singapore": [480, null],
  "Australia/Brisbane": [600, null],
};

const SETTINGS = [
  ["open", "text", { tag: "text", val: "09:00" }, "opening time, HH:MM local"],
  ["close", "text", { tag: "text", val: "18:00" }, "closing time, HH:MM local"],
  ["days", "text-list", { tag: "text-list", val: ["mon", "tue", "wed", "thu", "fri"] }, "open days"],
  ["default_timezone", "text", { tag: "text", val: "UTC" }, "zone used when the customer has none"],
  ["utc_offsets", "text-list", { tag: "text-list", val: [] }, "extra zones, as Zone=+HH:MM (no daylight saving)"],
  ["weight", "number", { tag: "number", val: 0.5 }, "weight of the stay vote outside hours"],
];

function setting(settings, name) {
  const s = settings.find((s) => s.name === name);
  return s ? s.value.val : undefined;
}

function minutes(hhmm) {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm || "");
  if (!m || Number(m[1]) > 24 || Number(m[2]) > 59) return null;
  return Number(m[1]) * 60 + Number(m[2]);
}

function parseOffset(text) {
  const m = /^([^=]+)=([+-])(\d{2}):(\d{2})$/.exec(text);
  if (!m) return null;
  const sign = m[2] === "-" ? -1 : 1;
  return [m[1].trim(), sign * (Number(m[3]) * 60 + Number(m[4]))];
}

// The UTC instant (ms) of the nth (or last, n = -1) given weekday of a month.
function nthWeekday(year, month, weekday, n, hourUtc) {
  if (n > 0) {
    const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
    const day = 1 + ((weekday - first + 7) % 7) + (n - 1) * 7;
    return Date.UTC(year, month, day, hourUtc);
  }
  const lastDate = new Date(Date.UTC(year, month + 1, 0));
  const day = lastDate.getUTCDate() - ((lastDate.getUTCDay() - weekday + 7) % 7);
  return Date.UTC(year, month, day, hourUtc);
}

function inDaylightSaving(rule, nowMs, standardOffset) {
  const year = new Date(nowMs).getUTCFullYear();
  if (rule === "eu") {
    // Last Sunday of March to last Sunday of October, 01:00 UTC.
    return nowMs >= nthWeekday(year, 2, 0, -1, 1) && nowMs < nthWeekday(year, 9, 0, -1, 1);
  }
  if (rule === "us") {
    // Second Sunday of March to first Sunday of November, 02:00 local.
    const start = nthWeekday(year, 2, 0, 2, 2) - standardOffset * 60000;
    const end = nthWeekday(year, 10, 0, 1, 2) - (standardOffset + 60) * 60000;
    return nowMs >= start && nowMs < end;
  }
  return false;
}

function offsetFor(zone, extra, nowMs) {
  if (extra[zone] !== undefined) return extra[zone];
  const known = ZONES[zone];
  if (!known) return null;
  const [standard, rule] = known;
  return standard + (rule && inDaylightSaving(rule, nowMs, standard) ? 60 : 0);
}

export function describe() {
  return {
    name: "business-hours",
    version: "0.1.0",
    description: "Outside business hours in the customer's zone, turns soft escalations into callback offers",
    settings: SETTINGS.map(([name, kind, dflt, description]) => ({ name, kind, default: dflt, description, secret: false })),
    // Only the customer's time zone; `signals.nowMs` always arrives.
    reads: { messages: false, customer: true, topic: false, ownership: false, signals: false },
  };
}

export function validateSettings(settings) {
  const open = minutes(setting(settings, "open"));
  const close = minutes(setting(settings, "close"));
  if (open === null || close === null || open >= close) {
    throw `open and close must be HH:MM with open before close, got ${setting(settings, "open")}-${setting(settings, "close")}`;
  }
  for (const d of setting(settings, "days")) {
    if (!DAYS.includes(d)) throw `unknown day ${JSON.stringify(d)}; use ${DAYS.join(", ")}`;
  }
  for (const o of setting(settings, "utc_offsets")) {
    if (!parseOffset(o)) throw `utc_offsets entries look like Zone=+HH:MM, got ${JSON.stringify(o)}`;
  }
  const zone = setting(settings, "default_timezone");
  if (!(zone in ZONES) && !setting(settings, "utc_offsets").some((o) => parseOffset(o)[0] === zone)) {
    throw `unknown default_timezone ${JSON.stringify(zone)}; add it to utc_offsets`;
  }
}

export function evaluate(input) {
  const s = input.settings;
  const nowMs = Number(input.signals.nowMs);
  const extra = Object.fromEntries(setting(s, "utc_offsets").map(parseOffset));
  let zone = input.customer.timezone || setting(s, "default_timezone");
  let offset = offsetFor(zone, extra, nowMs);
  if (offset === null) {
    log("warn", `unknown time zone ${zone}; using ${setting(s, "default_timezone")}`);
    zone = setting(s, "default_timezone");
    offset = offsetFor(zone, extra, nowMs);
  }
  const local = new Date(nowMs + offset * 60000);
  const day = DAYS[local.getUTCDay()];
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  const open = minutes(setting(s, "open"));
  const close = minutes(setting(s, "close"));
  const hhmm = `${String(local.getUTCHours()).padStart(2, "0")}:${String(local.getUTCMinutes()).padStart(2, "0")}`;
  if (setting(s, "days").includes(day) && minute >= open && minute < close) {
    return { verdict: "abstain", weight: 1, hard: false, reason: "", detail: "", priority: undefined, routing: undefined };
  }
  return {
    verdict: "stay",
    weight: setting(s, "weight"),
    hard: false,
    reason: "outside_business_hours",
    detail: `it is ${day} ${hhmm} in ${zone}; agents work ${setting(s, "days").join(",")} ${setting(s, "open")}-${setting(s, "close")}: offer a callback`,
    priority: undefined,
    routing: undefined,
  };
}

// Run both paths once while the component is built: its initialised state is
// snapshotted, so every fresh instance starts with them already parsed and
// their property lookups warmed instead of paying for that on its first call.
// (Nothing here calls the host; `log` is only reached for unknown zones.)
for (const [zone, at] of [["UTC", "2026-03-04T12:00:00Z"], ["America/New_York", "2026-07-05T03:00:00Z"]]) {
  const settings = SETTINGS.map(([name, , value]) => ({ name, value }));
  validateSettings(settings);
  evaluate({ settings, customer: { timezone: zone }, signals: { nowMs: BigInt(Date.parse(at)) } });
}
