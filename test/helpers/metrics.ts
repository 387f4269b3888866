// Reading a gateway's Prometheus text, as a scraper would.

/** The value of `name` (with exactly `labels`, e.g. `{reason="slow"}`) in Prometheus text; 0 when absent. */
export function metricValue(text: string, name: string, labels = ''): number {
  const prefix = `${name}${labels} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? 0 : Number(line.slice(prefix.length));
}

/** Scrapes `<baseUrl>/metrics` and reads one value. */
export async function scrapeMetric(baseUrl: string, name: string, labels = ''): Promise<number> {
  return metricValue(await (await fetch(`${baseUrl}/metrics`)).text(), name, labels);
}
