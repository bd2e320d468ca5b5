// Request counts, latency histogram and tiles served, kept in plain maps and written as Prometheus text.
import type { CacheFigures } from '../archive/types.js';

/** Upper bounds of the latency buckets, seconds. Tiles are answered in well under a millisecond. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

interface RouteFigures {
  histogram: Histogram;
  statuses: Map<number, { count: number }>;
}

/** Everything a Metrics holds, as plain data: what workers send to be summed (see clusterMetrics.ts). */
export interface MetricsSnapshot {
  requests: { route: string; status: number; count: number }[];
  latency: [route: string, histogram: Histogram][];
  tiles: [tileset: string, counter: { count: number; bytes: number }][];
  caches?: CacheSnapshot;
}

/** `tiles`: hot tiles; `etags`: hashes of tiles from archives that store none; `live`: PostGIS tiles (short TTL), when a database is served. */
export interface CacheSnapshot {
  tiles: CacheFigures;
  etags: CacheFigures;
  live?: CacheFigures;
}

const CACHE_HELP: Record<keyof CacheSnapshot, string> = {
  tiles: 'hot tiles kept in memory',
  etags: 'ETags (content hashes) of tiles from archives that store none',
  live: 'live (PostGIS) tiles kept in memory until their TTL',
};

const CACHE_METRIC: Record<keyof CacheSnapshot, string> = { tiles: 'mekan_tile_cache', etags: 'mekan_etag_cache', live: 'mekan_live_tile_cache' };

function addFigures(into: CacheFigures, from: CacheFigures): void {
  into.entries += from.entries;
  into.bytes += from.bytes;
  into.maxBytes += from.maxBytes;
  into.hits += from.hits;
  into.misses += from.misses;
}

/** The one label under which private tilesets the scraper holds no token for are counted. */
export const PRIVATE_LABEL = '(private)';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function record({ histogram, statuses }: RouteFigures, status: number, seconds: number): void {
  const counter = statuses.get(status);
  if (counter) counter.count++;
  else statuses.set(status, { count: 1 });
  histogram.sum += seconds;
  histogram.count++;
  for (let i = 0; i < BUCKETS.length; i++) {
    if (seconds <= BUCKETS[i]) {
      histogram.counts[i]++;
      break;
    }
  }
}

export class Metrics {
  /** Each route's latency histogram and request counts by status: the hot path finds them without building a key string. */
  private readonly routes = new Map<string, RouteFigures>();
  private readonly tiles = new Map<string, { count: number; bytes: number }>();
  private summedCaches: CacheSnapshot | undefined;

  /** `caches` reads the process's caches when a snapshot or the text is made. */
  constructor(private readonly caches?: () => CacheSnapshot) {}

  /** One answered request: `route` is a route name (`tile`, `tilejson`…), never the raw path. */
  observe(route: string, status: number, seconds: number): void {
    record(this.route(route), status, seconds);
  }

  /** observe() for one route, its figures found once: what the tile route calls on every answer. */
  recorder(route: string): (status: number, seconds: number) => void {
    // Made at the first answer, as observe() does: a route never answered has no series in /metrics.
    let figures: RouteFigures | undefined;
    return (status, seconds) => record((figures ??= this.route(route)), status, seconds);
  }

  private route(route: string): RouteFigures {
    let figures = this.routes.get(route);
    if (!figures) {
      figures = { histogram: { counts: new Array<number>(BUCKETS.length).fill(0), sum: 0, count: 0 }, statuses: new Map() };
      this.routes.set(route, figures);
    }
    return figures;
  }

  tileServed(tileset: string, bytes: number): void {
    const counter = this.tiles.get(tileset);
    if (counter) {
      counter.count++;
      counter.bytes += bytes;
    } else this.tiles.set(tileset, { count: 1, bytes });
  }

  /** Request counts, a route's statuses together. */
  private *requests(): Iterable<{ route: string; status: number; count: number }> {
    for (const [route, { statuses }] of this.routes) for (const [status, { count }] of statuses) yield { route, status, count };
  }

  snapshot(): MetricsSnapshot {
    return {
      requests: [...this.requests()],
      latency: [...this.routes].map(([route, { histogram }]) => [route, { ...histogram, counts: [...histogram.counts] }]),
      tiles: [...this.tiles].map(([tileset, counter]) => [tileset, { ...counter }]),
      caches: this.cacheFigures(),
    };
  }

  /** The sum of several processes' metrics. */
  static sum(snapshots: MetricsSnapshot[]): Metrics {
    const total = new Metrics();
    for (const snapshot of snapshots) {
      for (const { route, status, count } of snapshot.requests) {
        const { statuses } = total.route(route);
        const counter = statuses.get(status);
        if (counter) counter.count += count;
        else statuses.set(status, { count });
      }
      for (const [route, histogram] of snapshot.latency) {
        const into = total.route(route).histogram;
        into.sum += histogram.sum;
        into.count += histogram.count;
        histogram.counts.forEach((count, i) => (into.counts[i] += count));
      }
      for (const [tileset, { count, bytes }] of snapshot.tiles) {
        const counter = total.tiles.get(tileset);
        if (counter) {
          counter.count += count;
          counter.bytes += bytes;
        } else total.tiles.set(tileset, { count, bytes });
      }
      if (snapshot.caches) {
        if (!total.summedCaches) {
          total.summedCaches = { tiles: { ...snapshot.caches.tiles }, etags: { ...snapshot.caches.etags }, live: snapshot.caches.live && { ...snapshot.caches.live } };
        } else {
          addFigures(total.summedCaches.tiles, snapshot.caches.tiles);
          addFigures(total.summedCaches.etags, snapshot.caches.etags);
          if (snapshot.caches.live) {
            if (total.summedCaches.live) addFigures(total.summedCaches.live, snapshot.caches.live);
            else total.summedCaches.live = { ...snapshot.caches.live };
          }
        }
      }
    }
    return total;
  }

  /**
   * Prometheus text exposition format 0.0.4. Tilesets for which `shown` is false (private ones the
   * scraper holds no token for) are summed into one `tileset="(private)"` series: their names and
   * their traffic are as secret as their tiles.
   */
  render(gauges: { tilesets: number }, shown: (tileset: string) => boolean = () => true): string {
    const lines: string[] = [
      '# HELP mekan_http_requests_total HTTP requests answered, by route and status.',
      '# TYPE mekan_http_requests_total counter',
    ];
    for (const { route, status, count } of this.requests()) lines.push(`mekan_http_requests_total{route="${escapeLabel(route)}",status="${status}"} ${count}`);
    lines.push('# HELP mekan_http_request_duration_seconds Time to answer a request, by route.', '# TYPE mekan_http_request_duration_seconds histogram');
    for (const [route, { histogram }] of this.routes) {
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
    const tiles = new Map<string, { count: number; bytes: number }>();
    for (const [tileset, { count, bytes }] of this.tiles) {
      const label = shown(tileset) ? tileset : PRIVATE_LABEL;
      const into = tiles.get(label);
      if (into) {
        into.count += count;
        into.bytes += bytes;
      } else tiles.set(label, { count, bytes });
    }
    lines.push('# HELP mekan_tiles_served_total Tiles sent with status 200, by tileset.', '# TYPE mekan_tiles_served_total counter');
    for (const [tileset, { count }] of tiles) lines.push(`mekan_tiles_served_total{tileset="${escapeLabel(tileset)}"} ${count}`);
    lines.push('# HELP mekan_tile_bytes_total Tile bytes sent (as encoded), by tileset.', '# TYPE mekan_tile_bytes_total counter');
    for (const [tileset, { bytes }] of tiles) lines.push(`mekan_tile_bytes_total{tileset="${escapeLabel(tileset)}"} ${bytes}`);
    const caches = this.cacheFigures();
    if (caches) {
      for (const name of ['tiles', 'etags', 'live'] as const) {
        const figures = caches[name];
        if (!figures) continue;
        const metric = CACHE_METRIC[name];
        lines.push(
          `# HELP ${metric}_hits_total Lookups answered from the cache of ${CACHE_HELP[name]}.`,
          `# TYPE ${metric}_hits_total counter`,
          `${metric}_hits_total ${figures.hits}`,
          `# HELP ${metric}_misses_total Lookups the cache of ${CACHE_HELP[name]} could not answer.`,
          `# TYPE ${metric}_misses_total counter`,
          `${metric}_misses_total ${figures.misses}`,
          `# HELP ${metric}_entries Entries in the cache of ${CACHE_HELP[name]}.`,
          `# TYPE ${metric}_entries gauge`,
          `${metric}_entries ${figures.entries}`,
          `# HELP ${metric}_bytes Estimated memory held by the cache of ${CACHE_HELP[name]}.`,
          `# TYPE ${metric}_bytes gauge`,
          `${metric}_bytes ${figures.bytes}`,
          `# HELP ${metric}_max_bytes The bound on the memory of the cache of ${CACHE_HELP[name]}.`,
          `# TYPE ${metric}_max_bytes gauge`,
          `${metric}_max_bytes ${figures.maxBytes}`,
          `# HELP ${metric}_hit_ratio Share of lookups the cache of ${CACHE_HELP[name]} answered (0 before the first).`,
          `# TYPE ${metric}_hit_ratio gauge`,
          `${metric}_hit_ratio ${figures.hits + figures.misses > 0 ? figures.hits / (figures.hits + figures.misses) : 0}`,
        );
      }
    }
    lines.push('# HELP mekan_tilesets Tilesets being served.', '# TYPE mekan_tilesets gauge', `mekan_tilesets ${gauges.tilesets}`);
    lines.push('# HELP mekan_uptime_seconds Seconds since the process that answered started.', '# TYPE mekan_uptime_seconds gauge', `mekan_uptime_seconds ${process.uptime()}`);
    return lines.join('\n') + '\n';
  }

  private cacheFigures(): CacheSnapshot | undefined {
    return this.caches?.() ?? this.summedCaches;
  }
}
