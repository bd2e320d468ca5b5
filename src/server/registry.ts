// The tilesets being served, found in files and folders, kept current as archives are added, replaced or removed.
import { readdirSync, statSync, type Stats } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { isArchivePath, isArchiveUrl, openArchive, openRemoteArchive } from '../archive/open.js';
import type { RemoteOptions } from '../archive/pmtiles/reader.js';
import type { TileHashes } from '../archive/tileHashes.js';
import type { ArchiveMetadata, TileArchiveReader, TileFormat } from '../archive/types.js';
import { FORMAT_CONTENT_TYPES, FORMAT_EXTENSIONS } from '../archive/types.js';
import type { TilesetOptions } from '../config/serverOptions.js';
import { messageOf } from '../errors.js';
import { currentRequestHolds, tokenDigest } from './access.js';
import { CompositeReader, MAX_COMPOSITE_PARTS } from './composite.js';
import { bboxToTileRange, MAX_LATITUDE, type BBox, type TileRange } from '../grid/webMercator.js';
import { gridExtent, isWebMercator, tileGrid, tileRangeInCrs, TILE_GRIDS, WEB_MERCATOR_QUAD_ID, type TileGrid } from '../grid/tileMatrixSets.js';

/** One served archive. Replaced as a whole (never mutated) when its file changes. */
export interface Tileset {
  readonly id: string;
  /** A file, or the URL of a remote archive. */
  readonly path: string;
  readonly archive: TileArchiveReader;
  readonly metadata: ArchiveMetadata;
  readonly format: TileFormat;
  readonly contentType: string;
  /** URL extensions accepted for its tiles (`pbf`, `mvt` for vector). */
  readonly extensions: readonly string[];
  readonly cacheControl: string;
  readonly options: TilesetOptions;
  /** Seen only by requests holding one of its tokens (see access.ts); its answers are `Cache-Control: private`. */
  readonly private: boolean;
  readonly tokenDigests: readonly Buffer[];
  /** The tile matrix set its tiles are cut on: z/x/y are its TileMatrix/TileCol/TileRow. */
  readonly grid: TileGrid;
  /** Whether an absent tile at z/x/y lies inside the tileset (→ 204) or outside it (→ 404). */
  covers(z: number, x: number, y: number): boolean;
  /** From a live source (a database), not a file: its tiles may come asynchronously and change at any time. */
  readonly live: boolean;
}

/** A tileset a live source (PostGIS) publishes: no file behind it, so the source says when it appears and goes. */
export interface LiveTileset {
  id: string;
  archive: TileArchiveReader;
  /** Cache-Control unless the configuration's `tilesets.ID` sets one (live data should not be cached for an hour). */
  cacheControl: string;
}

export interface RegistryOptions {
  paths: string[];
  tilesets: Record<string, TilesetOptions>;
  cacheControl: string;
  logger: Logger;
  /** Poll period; 0 disables reloading. */
  reloadIntervalMs: number;
  /** Shared by every archive opened, so that one bound holds their ETags (see archive/tileHashes.ts). */
  tileHashes?: TileHashes;
  /** How long a replaced archive stays open for requests that already hold it. */
  closeDelayMs?: number;
  /** Time limit and cache size of remote archives (URLs). */
  remote?: RemoteOptions;
}

/** A remote archive that could not be opened is tried again after this long (not at every poll: the upstream may be down). */
const REMOTE_RETRY_MS = 10_000;

interface Candidate {
  id: string;
  path: string;
}

interface Entry {
  tileset: Tileset;
  signature: string;
}

const WORLD: BBox = [-180, -MAX_LATITUDE, 180, MAX_LATITUDE];

/** The file itself, however it is reached (path spelling, symlink, hard link). */
function fileIdentity(stats: Stats): string {
  return `${stats.dev}:${stats.ino}`;
}

function signatureOf(stats: Stats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}

/** A private tileset's answers may be kept by the client, never by a shared cache. */
export function privateCacheControl(cacheControl: string): string {
  const rest = cacheControl
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part && !/^(public|private|s-maxage=.*)$/i.test(part));
  return ['private', ...rest].join(', ');
}

function makeTileset(id: string, path: string, archive: TileArchiveReader, options: TilesetOptions, defaultCacheControl: string, live = false): Tileset {
  const metadata = archive.metadata;
  // Only GeoPackage names a set (one it recognised); MBTiles and PMTiles are Web Mercator by definition.
  const grid = tileGrid(metadata.tileMatrixSet ?? WEB_MERCATOR_QUAD_ID) ?? TILE_GRIDS[WEB_MERCATOR_QUAD_ID];
  // Live data may be edited beyond the extent it had at startup: any tile in its zoom range may hold features.
  const bounds = !live && metadata.bounds && metadata.bounds[0] < metadata.bounds[2] ? metadata.bounds : WORLD;
  const ranges = new Map<number, TileRange>();
  for (let z = metadata.minzoom; z <= metadata.maxzoom; z++) {
    if (isWebMercator(grid)) ranges.set(z, bboxToTileRange(bounds, z));
    else if (grid.matrix(z)) ranges.set(z, tileRangeInCrs(grid, z, metadata.crsBounds ?? gridExtent(grid)));
  }
  return {
    id,
    path,
    archive,
    metadata,
    format: metadata.format,
    contentType: FORMAT_CONTENT_TYPES[metadata.format],
    extensions: FORMAT_EXTENSIONS[metadata.format],
    cacheControl: options.private ? privateCacheControl(options.cacheControl ?? defaultCacheControl) : (options.cacheControl ?? defaultCacheControl),
    options,
    private: options.private === true,
    tokenDigests: options.private ? (options.tokens ?? []).map(tokenDigest) : [],
    grid,
    covers(z, x, y) {
      const range = ranges.get(z);
      return range !== undefined && x >= range.minX && x <= range.maxX && y >= range.minY && y <= range.maxY;
    },
    live,
  };
}

export class TilesetRegistry {
  private entries = new Map<string, Entry>();
  /** Tilesets of live sources, by id; a file's tileset of the same id wins. */
  private live = new Map<string, Tileset>();
  private composites = new Map<string, { parts: Tileset[]; tileset: Tileset }>();
  /** Files that failed to open, by path, with the signature that failed: retried only when the file changes. */
  private failures = new Map<string, string>();
  /** Changed files wait one poll with an unchanged signature before they are opened (a copy may be in progress). */
  private pendingChanges = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly retiring = new Map<NodeJS.Timeout, TileArchiveReader>();
  /** Remote archives being opened (header and metadata in flight), by URL. */
  private readonly opening = new Map<string, Promise<void>>();
  /** Paths already warned about as a private tileset's archive found under another id (warned once, not every poll). */
  private readonly claimWarned = new Set<string>();
  /** Token digests of each private entry, by id (computed once: a digest per request is enough work). */
  private readonly privateDigests = new Map<string, readonly Buffer[]>();
  /** Asks the live source to read its catalogue again if it is due (see `freshen`). */
  private liveFreshener: (() => void) | undefined;

  constructor(private readonly options: RegistryOptions) {
    for (const [id, entry] of Object.entries(options.tilesets)) if (entry.private) this.privateDigests.set(id, (entry.tokens ?? []).map(tokenDigest));
    this.scan(true);
    if (options.reloadIntervalMs > 0) {
      this.timer = setInterval(() => this.scan(false), options.reloadIntervalMs);
      this.timer.unref();
    }
  }

  /** The tileset of that id, if the current request may see it (a private one only with its token). */
  get(id: string): Tileset | undefined {
    const tileset = this.entries.get(id)?.tileset ?? this.live.get(id);
    if (tileset === undefined) return id.indexOf(',') === -1 ? undefined : this.composite(id);
    if (!tileset.private) return tileset;
    return currentRequestHolds(tileset.tokenDigests) ? tileset : undefined;
  }

  /**
   * `a,b,…`: the vector tilesets a, b, … as one (Martin's composite sources), when the request may see every part.
   * Kept while its parts are the same objects (a reloaded part makes a new composite).
   */
  private composite(id: string): Tileset | undefined {
    const ids = id.split(',');
    if (ids.length > MAX_COMPOSITE_PARTS) return undefined;
    const parts: Tileset[] = [];
    for (const partId of ids) {
      const part = partId.indexOf(',') === -1 ? this.get(partId) : undefined;
      if (part === undefined || part.format !== 'pbf') return undefined;
      parts.push(part);
    }
    const cached = this.composites.get(id);
    if (cached && cached.parts.every((part, i) => part === parts[i])) return cached.tileset;
    const options: TilesetOptions = { private: parts.some((part) => part.private), tokens: [] };
    const tileset = makeTileset(id, ids.join(','), new CompositeReader(id, parts), options, parts[0].cacheControl, parts.some((part) => part.live));
    // Bounded: ids come from requests.
    if (this.composites.size >= 256) this.composites.clear();
    this.composites.set(id, { parts, tileset });
    return tileset;
  }

  /** The tilesets the current request may see, by id. */
  list(): Tileset[] {
    return [...this.entries.values()]
      .map((entry) => entry.tileset)
      .concat([...this.live.values()].filter((tileset) => !this.entries.has(tileset.id)))
      .filter((tileset) => !tileset.private || currentRequestHolds(tileset.tokenDigests))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Whether the id is configured private and the current request holds none of its tokens: true even when
   * no archive is served under it now, so that counters kept under the id (metrics) stay hidden after it goes.
   */
  conceals(id: string): boolean {
    // A composite (`a,b`) names each of its parts: it is concealed when any part is.
    if (id.indexOf(',') !== -1) return id.split(',').some((part) => this.conceals(part));
    const digests = this.privateDigests.get(id);
    return digests !== undefined && !currentRequestHolds(digests);
  }

  /** How many tilesets are served, private ones included (0: the server has nothing to show yet). */
  count(): number {
    return this.entries.size;
  }

  /** Whether a tileset of that id is served, private or not (for start-up checks, outside any request). */
  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Whether any tileset is private: requests then need an access scope (see access.ts). */
  hasPrivate(): boolean {
    return Object.values(this.options.tilesets).some((options) => options.private === true);
  }

  /** Settles once every remote archive named at start has opened or failed (the server listens only then). */
  async ready(): Promise<void> {
    await Promise.all(this.opening.values());
  }

  /** Archives that could not be opened, path → reason is in the log; here only their paths. */
  failedPaths(): string[] {
    return [...this.failures.keys()];
  }

  /**
   * Replaces the live tilesets a source publishes (all of them at once, as its catalogue was read). The source owns
   * their readers: the registry never closes them.
   */
  setLiveTilesets(tilesets: readonly LiveTileset[]): void {
    const { logger } = this.options;
    const next = new Map<string, Tileset>();
    for (const { id, archive, cacheControl } of tilesets) {
      if (this.entries.has(id)) logger.warn({ id, path: archive.path }, `tileset id "${id}" of ${archive.path} is already taken by ${this.entries.get(id)?.tileset.path}; skipped`);
      // A reader published again unchanged keeps its tileset (and the composites built on it).
      const known = this.live.get(id);
      next.set(id, known?.archive === archive ? known : makeTileset(id, archive.path, archive, this.options.tilesets[id] ?? {}, cacheControl, true));
    }
    this.live = next;
  }

  /** The live source's catalogue check, run by `freshen` (a table created after start then shows in listings). */
  setLiveFreshener(freshen: () => void): void {
    this.liveFreshener = freshen;
  }

  /**
   * Listings (/catalog.json, /ogc/collections) call this: a live source may have gained tables since it was read. It
   * starts a new read when one is due and returns at once; the listing shows what is published now.
   */
  freshen(): void {
    this.liveFreshener?.();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const [timer, archive] of this.retiring) {
      clearTimeout(timer);
      archive.close();
    }
    this.retiring.clear();
    for (const entry of this.entries.values()) entry.tileset.archive.close();
    this.entries.clear();
  }

  /** Checks every served file and folder now (the timer calls this; tests may too). */
  refresh(): void {
    this.scan(false);
  }

  /** The archives the configured paths name right now, with their ids; explicit tilesets first. */
  private candidates(logErrors: boolean): Candidate[] {
    const { logger } = this.options;
    const found: Candidate[] = [];
    for (const [id, entry] of Object.entries(this.options.tilesets)) {
      if (entry.path) found.push({ id, path: isArchiveUrl(entry.path) ? entry.path : resolve(entry.path) });
    }
    for (const path of this.options.paths) {
      if (isArchiveUrl(path)) {
        const name = basename(new URL(path).pathname);
        found.push({ id: basename(name, extname(name)) || 'remote', path });
        continue;
      }
      let stats: Stats;
      try {
        stats = statSync(path);
      } catch (error) {
        if (logErrors) logger.error({ path, reason: messageOf(error) }, `cannot serve ${path}: ${messageOf(error)}`);
        continue;
      }
      if (stats.isDirectory()) {
        let names: string[];
        try {
          names = readdirSync(path).filter(isArchivePath).sort();
        } catch (error) {
          if (logErrors) logger.error({ path, reason: messageOf(error) }, `cannot read folder ${path}: ${messageOf(error)}`);
          continue;
        }
        for (const name of names) found.push({ id: basename(name, extname(name)), path: join(path, name) });
      } else {
        found.push({ id: basename(path, extname(path)), path });
      }
    }
    const byId = new Map<string, Candidate>();
    for (const candidate of found) {
      const first = byId.get(candidate.id);
      if (!first) byId.set(candidate.id, candidate);
      else if (logErrors && first.path !== candidate.path) logger.warn({ id: candidate.id, path: candidate.path, served: first.path }, `tileset id "${candidate.id}" of ${candidate.path} is already taken by ${first.path}; skipped`);
    }
    return [...byId.values()];
  }

  private scan(initial: boolean): void {
    if (this.closed) return;
    const { logger } = this.options;
    const seen = new Set<string>();
    const seenPaths = new Set<string>();
    const found = this.candidates(initial).map((candidate): Candidate & { stats?: Stats; error?: unknown } => {
      if (isArchiveUrl(candidate.path)) return candidate;
      try {
        return { ...candidate, stats: statSync(candidate.path) };
      } catch (error) {
        return { ...candidate, error: error ?? new Error('cannot stat') };
      }
    });
    const claimed = this.claimedByPrivate(found);
    for (const candidate of found) {
      const { id, path } = candidate;
      seenPaths.add(path);
      if (isArchiveUrl(path)) {
        seen.add(id);
        this.scanRemote(id, path);
        continue;
      }
      const claimant = candidate.stats && !this.privateDigests.has(id) ? claimed.get(fileIdentity(candidate.stats)) : undefined;
      if (claimant !== undefined) {
        // The archive of a private tileset, also found in a served folder or through a link: served only privately.
        if (!this.claimWarned.has(path)) logger.warn({ id, path, private: claimant }, `${path} is the archive of private tileset "${claimant}"; not also served as "${id}"`);
        this.claimWarned.add(path);
        continue;
      }
      seen.add(id);
      let signature: string;
      try {
        if (!candidate.stats) throw candidate.error;
        if (!candidate.stats.isFile()) throw new Error('not a file');
        signature = signatureOf(candidate.stats);
      } catch (error) {
        // Vanished between readdir and stat, or named but missing: gone for now.
        if (initial || this.entries.has(id)) logger.error({ id, path, reason: messageOf(error) }, `cannot serve ${path}: ${messageOf(error)}`);
        this.remove(id);
        continue;
      }
      const current = this.entries.get(id);
      if (current && current.tileset.path === path && current.signature === signature) continue;
      if (this.failures.get(path) === signature) continue;
      if (!initial && this.pendingChanges.get(path) !== signature) {
        this.pendingChanges.set(path, signature);
        continue;
      }
      this.pendingChanges.delete(path);
      this.load(id, path, signature, current !== undefined);
    }
    // Forget files that are gone, so that the maps do not grow with every temp file a folder ever held.
    for (const path of [...this.pendingChanges.keys()]) if (!seenPaths.has(path)) this.pendingChanges.delete(path);
    for (const path of [...this.failures.keys()]) if (!seenPaths.has(path)) this.failures.delete(path);
    for (const path of [...this.claimWarned]) if (!seenPaths.has(path)) this.claimWarned.delete(path);
    for (const id of [...this.entries.keys()]) {
      if (!seen.has(id)) {
        logger.info({ id }, `tileset ${id} removed`);
        this.remove(id);
      }
    }
  }

  /** A URL has no file to stat: opened once (asynchronously), and retried now and then while it fails. */
  private scanRemote(id: string, url: string): void {
    if (this.entries.get(id)?.tileset.path === url || this.opening.has(url)) return;
    const failedAt = this.failures.get(url);
    if (failedAt !== undefined && Date.now() - Number(failedAt) < REMOTE_RETRY_MS) return;
    const { logger } = this.options;
    const opening = openRemoteArchive(url, { ...this.options.remote, tileHashes: this.options.tileHashes }).then(
      (archive) => {
        this.opening.delete(url);
        if (this.closed) return archive.close();
        this.failures.delete(url);
        this.install(id, url, archive, 'remote', this.entries.has(id));
      },
      (error: unknown) => {
        this.opening.delete(url);
        this.failures.set(url, String(Date.now()));
        logger.error({ id, path: url, reason: messageOf(error) }, `cannot serve ${url}: ${messageOf(error)}; trying again in ${REMOTE_RETRY_MS / 1000} s`);
      },
    );
    this.opening.set(url, opening);
  }

  /**
   * The files private tilesets serve, by identity (device and inode, which a symlink, a hard link or another
   * spelling of the path all share), with the private id: no other id may serve them.
   */
  private claimedByPrivate(found: readonly { id: string; stats?: Stats }[]): Map<string, string> {
    const claimed = new Map<string, string>();
    if (this.privateDigests.size === 0) return claimed;
    for (const { id, stats } of found) if (stats && this.privateDigests.has(id)) claimed.set(fileIdentity(stats), id);
    return claimed;
  }

  private load(id: string, path: string, signature: string, replacing: boolean): void {
    const { logger } = this.options;
    let archive: TileArchiveReader;
    try {
      archive = openArchive(path, { tileHashes: this.options.tileHashes });
    } catch (error) {
      this.failures.set(path, signature);
      // A broken file renamed over a served one: the open handle still reads the previous file, which keeps
      // serving until a good one replaces it (withdrawing the tileset would turn an operator's slip into an outage).
      const keeping = this.entries.get(id)?.tileset.path === path;
      logger.error({ id, path, reason: messageOf(error) }, `cannot ${keeping ? 'reload' : 'serve'} ${path}: ${messageOf(error)}${keeping ? '; still serving the previous version' : ''}`);
      if (!keeping) this.remove(id);
      return;
    }
    this.failures.delete(path);
    this.install(id, path, archive, signature, replacing);
  }

  private install(id: string, path: string, archive: TileArchiveReader, signature: string, replacing: boolean): void {
    const { logger } = this.options;
    const tileset = makeTileset(id, path, archive, this.options.tilesets[id] ?? {}, this.options.cacheControl);
    const previous = this.entries.get(id);
    this.entries.set(id, { tileset, signature });
    if (previous) this.retire(previous.tileset.archive);
    for (const warning of archive.warnings) logger.warn({ id, path }, warning);
    logger.info({ id, path, format: tileset.format, minzoom: tileset.metadata.minzoom, maxzoom: tileset.metadata.maxzoom }, `${replacing ? 'reloaded' : 'serving'} ${id} from ${path}`);
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.retire(entry.tileset.archive);
  }

  /** Closes a replaced archive later: requests are synchronous today, but a future async reader may still hold it. */
  private retire(archive: TileArchiveReader): void {
    const timer = setTimeout(() => {
      this.retiring.delete(timer);
      archive.close();
    }, this.options.closeDelayMs ?? 5000);
    timer.unref();
    this.retiring.set(timer, archive);
  }
}
