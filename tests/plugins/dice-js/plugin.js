// Test fixture: reads Date.now(), performance.now(), Math.random() and
// crypto.getRandomValues(), reports them in the vote's detail, and
// escalates when its random draw is odd. Escalator must make all of them a
// function of the decision, so the vote replays exactly.

export function describe() {
  return { name: "dice-js", version: "0.1.0", description: "Votes by a random draw (test fixture)", settings: [], reads: undefined };
}

export function validateSettings(settings) {}

export function evaluate(input) {
  const start = performance.now();
  const wall = Date.now();
  const bytes = new Uint8Array(4);
  crypto.getRandomValues(bytes);
  const math = Math.random();
  const draw = bytes[0] ^ Math.floor(math * 256);
  const elapsed = performance.now() - start;
  const detail = `wall_ms=${wall} mono_ms=${elapsed} draw=${Array.from(bytes).join(".")}:${math}`;
  const odd = draw % 2 === 1;
  return {
    verdict: odd ? "escalate" : "stay",
    weight: 1,
    hard: false,
    reason: odd ? "odd_draw" : "even_draw",
    detail,
    priority: undefined,
    routing: undefined,
  };
}
