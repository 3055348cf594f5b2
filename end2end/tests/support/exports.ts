/**
 * A raw event export for `key` as Mixpanel's Raw Event Export API returns it (and as a JSON
 * pipeline lands it): one JSON event per line, exposures today (the run started today) and
 * conversions a minute later, 2,000 users per arm; `extra` adds guardrail events.
 */
export function exportFor(key: string, extra = true): Buffer {
  const dayStart = Math.floor(Date.now() / 86_400_000) * 86_400;
  const lines: string[] = [];
  const event = (name: string, user: string, time: number, props: object = {}) =>
    lines.push(JSON.stringify({ event: name, properties: { time, distinct_id: user, $insert_id: `${name}-${user}`, ...props } }));
  for (const [arm, purchaseEvery] of [['control', 10], ['treatment', 8]] as const) {
    for (let i = 0; i < 2000; i++) {
      const user = `${arm}-${i}`;
      const t = dayStart + (i % 3600);
      event('$experiment_started', user, t, { 'Experiment name': key, 'Variant name': arm, $browser: 'Chrome' });
      if (i % purchaseEvery === 0) event('purchase_completed', user, t + 60, { amount: 20 });
      if (extra && i % 100 === 0) event('refunds', user, t + 120);
      if (extra && i % 200 === 0) event('support_tickets', user, t + 180);
    }
  }
  return Buffer.from(lines.join('\n') + '\n');
}
