// What every SQLite-based archive writer shares: a temp database beside the output, tiles inserted in batched
// transactions, and finish() that writes the metadata, closes and renames into place (abort() discards it).
import Database from 'better-sqlite3';
import { InputError, messageOf } from '../errors.js';
import { commitTemp, discardTemp, tempPathFor } from './tempFile.js';
import type { ArchiveMetadata, TileArchiveWriter } from './types.js';

const BATCH_SIZE = 2000;

export abstract class SqliteTempWriter<PendingTile> implements TileArchiveWriter {
  readonly path: string;
  readonly tempPath: string;
  protected readonly db: Database.Database;
  private readonly writeBatch: (tiles: PendingTile[]) => void;
  private pending: PendingTile[] = [];
  private metadata: ArchiveMetadata | undefined;
  private written = 0;
  private done = false;

  /** `kind` names the file in errors ("archive", "GeoPackage"); `prepare` sets its pragmas and schema. */
  constructor(
    path: string,
    private readonly kind: string,
    prepare: (db: Database.Database) => void,
  ) {
    this.path = path;
    this.tempPath = tempPathFor(path);
    try {
      this.db = new Database(this.tempPath);
      // The temp file is thrown away on any failure, so durability per transaction buys nothing.
      this.db.pragma('journal_mode = OFF');
      this.db.pragma('synchronous = OFF');
      prepare(this.db);
    } catch (error) {
      discardTemp(this.tempPath);
      throw new InputError(path, `cannot create the ${kind}: ${messageOf(error)}`);
    }
    this.writeBatch = this.db.transaction((tiles: PendingTile[]) => this.insertTiles(tiles));
  }

  /** The row(s) one tile becomes, computed at putTile (content hashes, row flips). */
  protected abstract pendingTile(z: number, x: number, y: number, data: Buffer): PendingTile;
  /** Inserts a batch; runs inside a transaction. */
  protected abstract insertTiles(tiles: PendingTile[]): void;
  /** Writes the metadata tables; runs inside a transaction, after the last tiles. */
  protected abstract insertMetadata(metadata: ArchiveMetadata): void;
  abstract readonly uniqueTiles: number;

  get tilesWritten(): number {
    return this.written;
  }

  putTile(z: number, x: number, y: number, data: Buffer): void {
    if (this.done) throw new Error(`${this.path}: putTile after finish/abort`);
    this.pending.push(this.pendingTile(z, x, y, data));
    this.written++;
    if (this.pending.length >= BATCH_SIZE) this.flush();
  }

  setMetadata(metadata: ArchiveMetadata): void {
    this.metadata = metadata;
  }

  finish(): void {
    if (this.done) return;
    try {
      this.flush();
      const metadata = this.metadata;
      if (!metadata) throw new Error('finish() without metadata');
      this.db.transaction(() => this.insertMetadata(metadata))();
      this.db.close();
      this.done = true;
      commitTemp(this.tempPath, this.path);
    } catch (error) {
      this.abort();
      throw new InputError(this.path, `could not complete the ${this.kind}: ${messageOf(error)}`);
    }
  }

  abort(): void {
    this.done = true;
    if (this.db.open) this.db.close();
    discardTemp(this.tempPath);
  }

  /** Tiles a subclass stored without putTile (copied inside SQLite). */
  protected countWritten(tiles: number): void {
    this.written += tiles;
  }

  protected flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.writeBatch(batch);
    } catch (error) {
      // A full disk lands here: name the file and the reason rather than SQLite's code.
      throw new InputError(this.path, `writing tiles failed: ${messageOf(error)}`);
    }
  }
}
