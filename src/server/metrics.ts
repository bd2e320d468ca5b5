// Request counts, latency histogram and tiles served, kept in plain maps and written as Prometheus text.

/** Upper bounds of the latency buckets, seconds. Tiles are answered in well under a millisecond. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class Metrics {
  private readonly requests = new Map<string, { route: string; status: number; count: number }>();
  private readonly latency = new Map<string, Histogram>();
  private readonly tiles = new Map<string, { count: number; bytes: number }>();
  private readonly started = Date.now();

  /** One answered request: `route` is a route name (`tile`, `tilejson`…), never the raw path. */
  observe(route: string, status: number, seconds: number): void {
    const key = route + ' ' + status;
    const counter = this.requests.get(key);
    if (counter) counter.count++;
    else this.requests.set(key, { route, status, count: 1 });
    let histogram = this.latency.get(route);
    if (!histogram) {
      histogram = { counts: new Array<number>(BUCKETS.length).fill(0), sum: 0, count: 0 };
      this.latency.set(route, histogram);
    }
    histogram.sum += seconds;
    histogram.count++;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]) {
        histogram.counts[i]++;
        break;
      }
    }
  }

  tileServed(tileset: string, bytes: number): void {
    const counter = this.tiles.get(tileset);
    if (counter) {
      counter.count++;
      counter.bytes += bytes;
    } else this.tiles.set(tileset, { count: 1, bytes });
  }

  /** Prometheus text exposition format 0.0.4. */
  render(gauges: { tilesets: number }): string {
    const lines: string[] = [
      '# HELP mekan_http_requests_total HTTP requests answered, by route and status.',
      '# TYPE mekan_http_requests_total counter',
    ];
    for (const { route, status, count } of this.requests.values()) lines.push(`mekan_http_requests_total{route="${escapeLabel(route)}",status="${status}"} ${count}`);
    lines.push('# HELP mekan_http_request_duration_seconds Time to answer a request, by route.', '# TYPE mekan_http_request_duration_seconds histogram');
    for (const [route, histogram] of this.latency) {
      const label = escapeLabel(route);
      let cumulative = 0;
      BUCKETS.forEach((bound, i) => {
        cumulative += histogram.counts[i];
        lines.push(`mekan_http_request_duration_seconds_bucket{route="${label}",le="${bound}"} ${cumulative}`);
      });
      lines.push(`mekan_http_request_duration_seconds_bucket{route="${label}",le="+Inf"} ${histogram.count}`);
      lines.push(`mekan_http_request_duration_seconds_sum{route="${label}"} ${histogram.sum}`);
      lines.push(`mekan_http_request_duration_seconds_count{route="${label}"} ${histogram.count}`);
    }
    lines.push('# HELP mekan_tiles_served_total Tiles sent with status 200, by tileset.', '# TYPE mekan_tiles_served_total counter');
    for (const [tileset, { count }] of this.tiles) lines.push(`mekan_tiles_served_total{tileset="${escapeLabel(tileset)}"} ${count}`);
    lines.push('# HELP mekan_tile_bytes_total Tile bytes sent (as encoded), by tileset.', '# TYPE mekan_tile_bytes_total counter');
    for (const [tileset, { bytes }] of this.tiles) lines.push(`mekan_tile_bytes_total{tileset="${escapeLabel(tileset)}"} ${bytes}`);
    lines.push('# HELP mekan_tilesets Tilesets being served.', '# TYPE mekan_tilesets gauge', `mekan_tilesets ${gauges.tilesets}`);
    lines.push('# HELP mekan_uptime_seconds Seconds since this process started serving.', '# TYPE mekan_uptime_seconds gauge', `mekan_uptime_seconds ${(Date.now() - this.started) / 1000}`);
    return lines.join('\n') + '\n';
  }
}
