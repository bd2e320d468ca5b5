// Live PostGIS tilesets and feature collections against a real PostgreSQL 15 + PostGIS cluster holding real
// Natural Earth layers (the bundled data/basemap, loaded with ogr2ogr), one cluster for the whole file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import type { ServeConfig } from '../../src/config/schema.js';
import { serverOptionsFrom } from '../../src/config/serverOptions.js';
import { lonLatToTileFraction } from '../../src/grid/webMercator.js';
import { readCatalogue } from '../../src/postgis/catalog.js';
import { postgresLabel } from '../../src/postgis/database.js';
import type { TableLayer } from '../../src/postgis/layers.js';
import { tableTileSql } from '../../src/postgis/sql.js';
import { MEKAN_BIN } from '../support/mekanProcess.js';
import { startPostgis, type PostgisCluster } from '../support/postgis.js';
import { get, startServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/tempDir.js';
import { readVectorTiles } from '../support/vectorTiles.js';

const run = promisify(execFile);
const DATA = resolve(import.meta.dirname, '../../../data/basemap');
/** The bundled places, as ogr2ogr loads them: the count a hostile request must leave untouched. */
const PLACE_POINTS = (JSON.parse(readFileSync(join(DATA, 'place.geojson'), 'utf8')) as { features: { geometry: { coordinates: number[] } }[] }).features.map((f) => f.geometry.coordinates);
const PLACES = PLACE_POINTS.length;
const dir = makeTempDir('mekan-postgis-');
const archives = join(dir, 'archives');
let db: PostgisCluster;

/** A logger whose lines a test can wait for. */
function watchedLogger(): { logger: Logger; lines: Record<string, unknown>[]; waitFor(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> } {
  const lines: Record<string, unknown>[] = [];
  const waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const waiter of [...waiters]) {
          if (waiter.match(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
      callback();
    },
  });
  return {
    logger: pino({ level: 'info' }, stream),
    lines,
    waitFor: (match) => {
      const seen = lines.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolveLine) => waiters.push({ match, resolve: resolveLine }));
    },
  };
}

const serving = (line: Record<string, unknown>) => typeof line.msg === 'string' && /serving \d+ live tileset/.test(line.msg);

/** A server over the archives folder and the database, resolved once the database's tables are published. */
async function serve(postgres: Partial<NonNullable<ServeConfig['postgres']>> = {}, waitForTables = true) {
  const watched = watchedLogger();
  const server = await startServer([archives], { config: { postgres: { url: db.url, ...postgres } }, logger: watched.logger });
  if (waitForTables) await watched.waitFor(serving);
  return { server, ...watched };
}

function decode(bytes: Buffer): Record<string, { properties: Record<string, unknown>; geometry: { x: number; y: number }[][]; id?: number }[]> {
  const tile = new VectorTile(new PbfReader(bytes));
  return Object.fromEntries(
    Object.entries(tile.layers).map(([name, layer]) => [
      name,
      Array.from({ length: layer.length }, (_, i) => {
        const feature = layer.feature(i);
        return { properties: feature.properties, geometry: feature.loadGeometry(), id: feature.id };
      }),
    ]),
  );
}

function tileAt(lon: number, lat: number, z: number): { z: number; x: number; y: number } {
  const [fx, fy] = lonLatToTileFraction(lon, lat, z);
  return { z, x: Math.floor(fx), y: Math.floor(fy) };
}

before(async () => {
  db = await startPostgis();
  mkdirSync(archives);
  await db.load(join(DATA, 'place.geojson'), 'place');
  // The same rivers stored in UTM zone 38N: tiles must come out the same as from WGS 84.
  await db.load(join(DATA, 'waterway.geojson'), 'waterway_utm', '-t_srs', 'EPSG:32638');
  db.psql(`
    CREATE SCHEMA "odd ""schema""; DROP TABLE place; --";
    CREATE TABLE "odd ""schema""; DROP TABLE place; --"."x'); DROP TABLE place; --" AS SELECT gid, name, geom FROM place WHERE class = 'city';
    CREATE TABLE private_notes AS SELECT gid, name, geom FROM place;
    CREATE ROLE reader LOGIN;
    GRANT SELECT ON place, waterway_utm TO reader;
    GRANT USAGE ON SCHEMA "odd ""schema""; DROP TABLE place; --" TO reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA "odd ""schema""; DROP TABLE place; --" TO reader;
    CREATE FUNCTION public.places_by_class(z integer, x integer, y integer, query_params json) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
      SELECT ST_AsMVT(t, 'places', 4096, 'geom') FROM (
        SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom, name, class
        FROM place WHERE geom && ST_Transform(ST_TileEnvelope(z, x, y), 4326) AND class = coalesce(query_params->>'class', class)
      ) AS t $$;
    CREATE FUNCTION public.slow_tile(z integer, x integer, y integer, query_params json) RETURNS bytea LANGUAGE sql AS $$ SELECT ''::bytea FROM pg_sleep(2) $$;
    CREATE FUNCTION public.sleepy_tile(z integer, x integer, y integer, query_params json) RETURNS bytea LANGUAGE sql AS $$
      SELECT public.places_by_class(z, x, y, '{}'::json) FROM pg_sleep(0.2) $$;
    REVOKE EXECUTE ON FUNCTION public.slow_tile(integer, integer, integer, json) FROM PUBLIC;
    REVOKE EXECUTE ON FUNCTION public.sleepy_tile(integer, integer, integer, json) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION public.places_by_class(integer, integer, integer, json) TO reader;
  `);
  // The same layers as archives, built by mekan itself.
  await run(process.execPath, [MEKAN_BIN, 'build', 'vector', join(DATA, 'place.geojson'), '-o', join(archives, 'place.mbtiles'), '--layer', 'place', '--maxzoom', '7', '--quiet']);
  await run(process.execPath, [MEKAN_BIN, 'build', 'vector', join(DATA, 'waterway.geojson'), '-o', join(dir, 'waterway.mbtiles'), '--layer', 'waterway', '--maxzoom', '6', '--quiet']);
});
after(() => db?.destroy());

test('every table the role can read is a tileset "schema.table"; TileJSON, catalog, WMTS and OGC list it like an archive', async () => {
  const reader = new URL(db.url);
  reader.username = 'reader';
  const { server } = await serve({ url: reader.toString() });
  try {
    const catalog = (await get(server.url, '/catalog.json')).json<{ tilesets: { id: string; tiles: string }[] }>();
    const ids = catalog.tilesets.map((tileset) => tileset.id);
    assert.deepEqual(ids.filter((id) => id !== 'place').sort(), ['odd "schema"; DROP TABLE place; --.x\'); DROP TABLE place; --', 'public.place', 'public.places_by_class', 'public.waterway_utm'].sort());
    assert.ok(!ids.includes('public.private_notes'), 'a table the role may not read is not published');
    const tileJson = (await get(server.url, '/tiles/public.place.json')).json<{ tiles: string[]; vector_layers: { id: string; fields: Record<string, string> }[]; bounds: number[] }>();
    assert.equal(tileJson.tiles[0], `${server.url}/tiles/public.place/{z}/{x}/{y}.pbf`);
    assert.equal(tileJson.vector_layers[0].id, 'place');
    assert.equal(tileJson.vector_layers[0].fields.population, 'Number');
    // The extent of the places themselves (the Caucasus and the towns around the imagery sample in Brazil).
    const lons = PLACE_POINTS.map(([lon]) => lon);
    const lats = PLACE_POINTS.map(([, lat]) => lat);
    const expected = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
    assert.ok(tileJson.bounds.every((value, i) => Math.abs(value - expected[i]) < 0.01), `bounds from the data: ${tileJson.bounds.join(',')}, expected ${expected}`);
    // OGC API – Tiles reaches its tiles through the same route (WMTS lists raster layers only).
    const ogcTile = await get(server.url, `/ogc/collections/public.waterway_utm/tiles/WebMercatorQuad/3/3/4`);
    assert.equal(ogcTile.status, 200);
    assert.ok(decode(ogcTile.body).waterway_utm.length > 0);
    const collections = (await get(server.url, '/ogc/collections')).json<{ collections: { id: string; links: { rel: string }[] }[] }>();
    const place = collections.collections.find((collection) => collection.id === 'public.place')!;
    assert.ok(place.links.some((link) => link.rel === 'items'), 'a live table is a features collection');
    assert.ok(!collections.collections.find((collection) => collection.id === 'place')!.links.some((link) => link.rel === 'items'), 'an archive is not');
    // A hostile schema and table name is quoted, not executed: its tile comes out and the table it names survives.
    const odd = await get(server.url, `/tiles/${encodeURIComponent('odd "schema"; DROP TABLE place; --.x\'); DROP TABLE place; --')}/5/20/12.pbf`);
    assert.equal(odd.status, 200);
    assert.ok(decode(odd.body)['x\'); DROP TABLE place; --'].length > 0);
    assert.equal(db.psql('SELECT count(*) FROM place'), String(PLACES));
  } finally {
    await server.close();
  }
});

test('a tile read from the database goes out as PostGIS made it; asked for again, the cache holds it gzipped, and the plain answer keeps its ETag', async () => {
  // A TTL no loaded machine outlasts between two requests: the second must find the tile cached.
  const { server } = await serve({ cache: { ttlSeconds: 600 } });
  const { server: uncached } = await serve({ cache: { ttlSeconds: 0 } });
  try {
    const baku = tileAt(49.87, 40.41, 7);
    const path = `/tiles/public.place/${baku.z}/${baku.x}/${baku.y}.pbf`;
    const gzip = { 'Accept-Encoding': 'gzip, deflate, br' };
    // The miss: not held up by compression, even for a client that accepts gzip.
    const first = await get(server.url, path, gzip);
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-encoding'], undefined, 'the request that read the tile gets it plain');
    assert.ok(decode(first.body).place.length > 0);
    // A tile asked for once is not compressed (most tiles of a cold cache are not asked for twice within the TTL)...
    const again = await get(server.url, path, gzip);
    assert.equal(again.headers['content-encoding'], undefined, 'compressed only once asked for again');
    assert.equal(again.headers.etag, first.headers.etag);
    // ...a tile asked for again is, after that answer: then negotiated like archive tiles, gzip to a client that
    // accepts it, the same tile inside, its own ETag.
    const gzipped = await get(server.url, path, gzip);
    assert.equal(gzipped.headers['content-encoding'], 'gzip', 'the cached tile is gzipped');
    assert.match(String(gzipped.headers.vary), /Accept-Encoding/);
    assert.ok(gzipped.body.length < first.body.length, `compressed ${gzipped.body.length} < ${first.body.length} bytes`);
    assert.deepEqual(gunzipSync(gzipped.body), first.body);
    assert.notEqual(gzipped.headers.etag, first.headers.etag);
    // The plain variant has one ETag, before and after compression, so a client revalidating it gets a 304.
    const plain = await get(server.url, path);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual(plain.body, first.body);
    assert.equal(plain.headers.etag, first.headers.etag);
    assert.equal((await get(server.url, path, { 'If-None-Match': String(first.headers.etag) })).status, 304);
    // A cache that keeps nothing compresses nothing: every answer is the database's, named by its content alone.
    for (let i = 0; i < 2; i++) {
      const answer = await get(uncached.url, path, gzip);
      assert.equal(answer.headers['content-encoding'], undefined);
      assert.equal(answer.headers.etag, first.headers.etag);
    }
  } finally {
    await server.close();
    await uncached.close();
  }
});

test('a live tile holds the features the archive built by `mekan build vector` holds, also from a UTM table', async () => {
  const { server } = await serve();
  try {
    const baku = tileAt(49.87, 40.41, 7);
    const live = await get(server.url, `/tiles/public.place/${baku.z}/${baku.x}/${baku.y}.pbf`);
    assert.equal(live.status, 200);
    assert.equal(live.headers['content-type'], 'application/vnd.mapbox-vector-tile');
    assert.ok(live.headers.etag);
    assert.equal(live.headers['content-encoding'], undefined, 'a client that does not accept gzip gets the plain tile');
    const built = readVectorTiles(join(archives, 'place.mbtiles'), 7).find((tile) => tile.x === baku.x && tile.y === baku.y)!;
    const byName = (features: { properties: Record<string, unknown>; geometry: { x: number; y: number }[][] | [number, number][][] }[]) =>
      new Map(features.map((feature) => [String(feature.properties.name), feature.geometry[0][0]]));
    const livePlaces = byName(decode(live.body).place);
    const builtPlaces = byName(built.layers.place);
    assert.ok(builtPlaces.size >= 5, `enough places to compare (${builtPlaces.size})`);
    assert.deepEqual([...livePlaces.keys()].sort(), [...builtPlaces.keys()].sort());
    for (const [name, point] of livePlaces) {
      const [bx, by] = builtPlaces.get(name) as unknown as [number, number];
      const { x, y } = point as { x: number; y: number };
      // Same point to within rounding (both 4096-unit tiles).
      assert.ok(Math.abs(x - bx) <= 1 && Math.abs(y - by) <= 1, `${name}: live ${x},${y} vs built ${bx},${by}`);
    }
    // Rivers stored in EPSG:32638 land in the same tiles, with the same rivers, as their WGS 84 archive (z3 and z6).
    for (const z of [3, 6]) {
      const tile = tileAt(47.5, 41, z);
      const utm = await get(server.url, `/tiles/public.waterway_utm/${z}/${tile.x}/${tile.y}.pbf`);
      assert.equal(utm.status, 200);
      const archive = readVectorTiles(join(dir, 'waterway.mbtiles'), z).find((t) => t.x === tile.x && t.y === tile.y)!;
      const names = (features: { properties: Record<string, unknown> }[]) => [...new Set(features.map((feature) => String(feature.properties.name)))].sort();
      assert.deepEqual(names(decode(utm.body).waterway_utm), names(archive.layers.waterway), `z${z}`);
    }
    // Far outside the data: an empty tile inside the tileset (204), not an error.
    assert.equal((await get(server.url, '/tiles/public.place/5/0/0.pbf')).status, 204);
  } finally {
    await server.close();
  }
});

test('the tile query uses the spatial index, for WGS 84 and UTM tables alike', async () => {
  const options = serverOptionsFrom({}, { postgres: { url: db.url } }).postgres!;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { layers } = await readCatalogue(async (text, values) => (await client.query(text, values)).rows, options);
    await client.query('SET enable_seqscan = off');
    for (const id of ['public.place', 'public.waterway_utm']) {
      const layer = layers.find((candidate) => candidate.id === id) as TableLayer;
      const { z, x, y } = tileAt(49.87, 40.41, 8);
      const plan = (await client.query(`EXPLAIN ${tableTileSql(layer, z).replace(/\$1/g, String(z)).replace(/\$2/g, String(x)).replace(/\$3/g, String(y)).replace(/\$4/g, `'${layer.layer}'`)}`)).rows
        .map((row: Record<string, string>) => row['QUERY PLAN'])
        .join('\n');
      assert.match(plan, /Index Scan (using|on) \w*geom\w*/, `${id}:\n${plan}`);
    }
  } finally {
    await client.end();
  }
});

test('an edit shows once the cache TTL has passed; the cache reports its size and hit ratio in /metrics', async () => {
  db.psql("CREATE TABLE edits AS SELECT gid, name, geom FROM place WHERE name = 'Bakı'; ALTER TABLE edits ADD PRIMARY KEY (gid); CREATE INDEX ON edits USING gist (geom)");
  const ttlSeconds = 2;
  const { server } = await serve({ cache: { ttlSeconds } });
  try {
    const { z, x, y } = tileAt(49.87, 40.41, 6);
    const path = `/tiles/public.edits/${z}/${x}/${y}.pbf`;
    const nameIn = async () => String(decode((await get(server.url, path)).body).edits[0].properties.name);
    // The cached entry is written after `requested`, so it cannot expire before requested + TTL.
    const requested = Date.now();
    assert.equal(await nameIn(), 'Bakı');
    db.psql("UPDATE edits SET name = 'Baku (edited)'");
    // Within the TTL the cached tile still answers (the database is not asked again)...
    const early = await nameIn();
    const earlyWithinTtl = Date.now() - requested < ttlSeconds * 1000;
    if (earlyWithinTtl) assert.equal(early, 'Bakı');
    // ...and once it has passed, the edit shows.
    let name = early;
    while (name !== 'Baku (edited)') name = await new Promise<string>((resolveName) => setTimeout(() => void nameIn().then(resolveName), 100));
    assert.ok(Date.now() - requested >= ttlSeconds * 1000, 'not before the TTL');
    const metrics = (await get(server.url, '/metrics')).body.toString();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    // (A machine so loaded that the second request came after the TTL saw no hit.)
    if (earlyWithinTtl) assert.ok(value('mekan_live_tile_cache_hits_total') >= 1 && value('mekan_live_tile_cache_hit_ratio') > 0);
    assert.ok(value('mekan_live_tile_cache_misses_total') >= 2);
    assert.ok(value('mekan_live_tile_cache_hit_ratio') < 1);
    assert.ok(value('mekan_live_tile_cache_bytes') > 0);
  } finally {
    await server.close();
    db.psql('DROP TABLE edits');
  }
});

test('explicit tables: columns, id, zoom range, per-zoom filter, simplification; composites; a function source with query_params', async () => {
  const { server, lines } = await serve({
    tables: {
      cities: { table: 'place', idColumn: 'gid', properties: ['name', 'population'], minzoom: 2, maxzoom: 9, filters: [{ maxzoom: 5, where: 'population > 1000000' }], layer: 'cities' },
      rivers: { table: 'waterway_utm', simplify: 4, properties: ['name'] },
      missing: { table: 'no_such_table' },
    },
    functions: { byclass: { function: 'places_by_class' } },
  });
  try {
    assert.ok(lines.some((line) => /postgres\.tables\.missing: no table or view public\.no_such_table/.test(String(line.msg))), 'a named table that is missing is reported');
    assert.equal((await get(server.url, '/tiles/public.place/5/20/12.pbf')).status, 404, 'naming tables turns auto-publishing off');
    const baku5 = tileAt(49.87, 40.41, 5);
    const z5 = decode((await get(server.url, `/tiles/cities/5/${baku5.x}/${baku5.y}.pbf`)).body).cities;
    assert.ok(z5.length > 0 && z5.every((feature) => Number(feature.properties.population) > 1_000_000), 'the z0–5 filter applies');
    assert.deepEqual(Object.keys(z5[0].properties).sort(), ['name', 'population']);
    assert.ok(z5.every((feature) => typeof feature.id === 'number' && feature.id > 0), 'ids from idColumn');
    const baku6 = tileAt(49.87, 40.41, 6);
    const z6 = decode((await get(server.url, `/tiles/cities/6/${baku6.x}/${baku6.y}.pbf`)).body).cities;
    assert.ok(z6.some((feature) => Number(feature.properties.population) < 1_000_000 || feature.properties.population === null), 'not above zoom 5');
    assert.equal((await get(server.url, '/tiles/cities/1/1/0.pbf')).status, 404, 'below minzoom');
    assert.equal((await get(server.url, '/tiles/cities/10/650/387.pbf')).status, 404, 'above maxzoom');
    // Simplification: fewer vertices than the same tile unsimplified.
    const river = tileAt(47.5, 41, 5);
    const simplified = decode((await get(server.url, `/tiles/rivers/5/${river.x}/${river.y}.pbf`)).body).waterway_utm;
    const vertices = (features: { geometry: unknown[][] }[]) => features.reduce((sum, feature) => sum + feature.geometry.reduce((n, part) => n + part.length, 0), 0);
    const { server: plain } = await serve();
    try {
      const full = decode((await get(plain.url, `/tiles/public.waterway_utm/5/${river.x}/${river.y}.pbf`)).body).waterway_utm;
      assert.ok(vertices(simplified) < vertices(full) * 0.8, `simplified ${vertices(simplified)} vs ${vertices(full)} vertices`);
    } finally {
      await plain.close();
    }
    // Composite: live tables and an archive as one tile, layer by layer; its TileJSON lists every layer.
    const composite = await get(server.url, `/tiles/cities,rivers,place/5/${baku5.x}/${baku5.y}.pbf`);
    assert.equal(composite.status, 200);
    const layers = decode(composite.body);
    assert.deepEqual(Object.keys(layers).sort(), ['cities', 'place', 'waterway_utm']);
    assert.equal(layers.cities.length, z5.length);
    const compositeJson = (await get(server.url, '/tiles/cities,rivers.json')).json<{ vector_layers: { id: string }[]; tiles: string[] }>();
    assert.deepEqual(compositeJson.vector_layers.map((layer) => layer.id), ['cities', 'waterway_utm']);
    assert.equal((await get(server.url, '/tiles/cities,nope/5/0/0.pbf')).status, 404);

    // The function gets the query string as JSON; a hostile value is only a value.
    const cities = decode((await get(server.url, `/tiles/byclass/5/${baku5.x}/${baku5.y}.pbf?class=city`)).body).places;
    assert.ok(cities.length > 0 && cities.every((feature) => feature.properties.class === 'city'));
    const hostile = await get(server.url, `/tiles/byclass/5/${baku5.x}/${baku5.y}.pbf?class=${encodeURIComponent("city'); DROP TABLE place; --")}`);
    assert.equal(hostile.status, 204);
    assert.equal(db.psql('SELECT count(*) FROM place'), String(PLACES));
  } finally {
    await server.close();
  }
});

test('OGC API – Features: GDAL reads every feature of a live table; bbox, limit/next, properties, ids; hostile parameters are refused', async () => {
  const { server } = await serve();
  try {
    const { conformsTo } = (await get(server.url, '/ogc/conformance')).json<{ conformsTo: string[] }>();
    assert.ok(conformsTo.includes('http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core'));
    const { stdout: listing } = await run('ogrinfo', ['-ro', '-q', `OAPIF:${server.url}/ogc`]);
    assert.match(listing, /public\.place/);
    const { stdout } = await run('ogrinfo', ['-ro', '-al', '-q', `OAPIF:${server.url}/ogc`, 'public.place']);
    assert.equal((stdout.match(/^OGRFeature\(/gm) ?? []).length, Number(db.psql('SELECT count(*) FROM place')));
    assert.match(stdout, /name \(String\) = Bakı/);

    const page = (await get(server.url, '/ogc/collections/public.place/items?bbox=49,40,51,41&limit=2&properties=name')).json<{
      features: { id: number; properties: Record<string, unknown>; geometry: { coordinates: number[] } }[];
      links: { rel: string; href: string }[];
    }>();
    assert.equal(page.features.length, 2);
    assert.deepEqual(Object.keys(page.features[0].properties), ['name']);
    assert.ok(page.features.every(({ geometry: { coordinates: [lon, lat] } }) => lon >= 49 && lon <= 51 && lat >= 40 && lat <= 41));
    const next = page.links.find((link) => link.rel === 'next')!;
    const second = (await get(server.url, new URL(next.href).pathname + new URL(next.href).search)).json<{ features: { id: number }[] }>();
    assert.ok(second.features.length > 0 && second.features.every((feature) => !page.features.some((first) => first.id === feature.id)));
    const one = await get(server.url, `/ogc/collections/public.place/items/${page.features[0].id}`);
    assert.equal(one.status, 200);
    assert.match(String(one.headers['content-type']), /^application\/geo\+json/);

    for (const [path, status] of [
      ['/ogc/collections/public.place/items?bbox=1,2,3,4);DROP TABLE place;--', 400],
      ['/ogc/collections/public.place/items?properties=name%22;DROP%20TABLE%20place;--', 400],
      ['/ogc/collections/public.place/items?limit=-1', 400],
      ['/ogc/collections/public.place/items?offset=1e9', 400],
      ['/ogc/collections/public.place/items?datetime=yesterday', 400],
      ['/ogc/collections/public.place/items/1%20OR%201=1', 404],
      ['/ogc/collections/public.place/items/99999999', 404],
      ['/ogc/collections/place/items', 404],
      ["/tiles/public.place';DROP TABLE place;--/0/0/0.pbf", 404],
      ['/tiles/public.place/0/0/0.pbf?x=%27;DROP%20TABLE%20place;--', 200],
    ] as const) {
      assert.equal((await get(server.url, path.replace(/ /g, '%20'))).status, status, path);
    }
    assert.equal(db.psql('SELECT count(*) FROM place'), String(PLACES));
  } finally {
    await server.close();
  }
});

test('datetime filters on a configured time column', async () => {
  db.psql("CREATE TABLE closures AS SELECT gid, name, geom, timestamptz '2026-01-01' + (gid || ' days')::interval AS since FROM place; ALTER TABLE closures ADD PRIMARY KEY (gid)");
  const { server } = await serve({ tables: { closures: { table: 'closures', timeColumn: 'since' } } });
  try {
    const count = async (query: string) => (await get(server.url, `/ogc/collections/closures/items?limit=1000&${query}`)).json<{ features: unknown[] }>().features.length;
    assert.equal(await count('datetime=2026-01-11T00:00:00Z/..'), Number(db.psql("SELECT count(*) FROM closures WHERE since >= '2026-01-11T00:00:00Z'")));
    assert.equal(await count('datetime=../2026-01-11'), Number(db.psql("SELECT count(*) FROM closures WHERE since <= '2026-01-11'")));
    assert.equal(await count('datetime=2026-01-03T00:00:00Z'), 1);
  } finally {
    await server.close();
    db.psql('DROP TABLE closures');
  }
});

test('a slow query is a 504 and a database that is down a 503, each logged with the source; archives keep serving; a server started while the database is down picks it up when it returns', async () => {
  const { server, lines } = await serve({ statementTimeoutMs: 300, connectTimeoutMs: 500, retryIntervalMs: 100, cache: { ttlSeconds: 0 } });
  let late: TestServer | undefined;
  try {
    const slow = await get(server.url, '/tiles/public.slow_tile/3/4/3.pbf');
    assert.equal(slow.status, 504);
    assert.ok(lines.some((line) => line.status === 504 && line.tileset === 'public.slow_tile' && String(line.path).startsWith('postgres://postgres@127.0.0.1')));
    await db.stop();
    const down = await get(server.url, '/tiles/public.place/4/10/6.pbf');
    assert.equal(down.status, 503);
    assert.ok(lines.some((line) => line.status === 503 && line.tileset === 'public.place'), 'logged with the source');
    assert.equal((await get(server.url, '/ogc/collections/public.place/items')).status, 503);
    assert.equal((await get(server.url, `/tiles/place/${tileAt(49.87, 40.41, 4).z}/${tileAt(49.87, 40.41, 4).x}/${tileAt(49.87, 40.41, 4).y}.pbf`)).status, 200, 'the archive still serves');
    assert.equal((await get(server.url, '/health')).status, 200);

    const watched = watchedLogger();
    late = await startServer([archives], { config: { postgres: { url: db.url, connectTimeoutMs: 500, retryIntervalMs: 100 } }, logger: watched.logger });
    await watched.waitFor((line) => line.level === 40 && /postgres .* is unavailable/.test(String(line.msg)));
    assert.equal((await get(late.url, '/tiles/place/0/0/0.pbf')).status, 200, 'started without the database');
    assert.equal((await get(late.url, '/tiles/public.place/0/0/0.pbf')).status, 404);
    await db.start();
    await watched.waitFor(serving);
    assert.equal((await get(late.url, '/tiles/public.place/0/0/0.pbf')).status, 200);
    // The first server's pool reconnects by itself.
    assert.equal((await get(server.url, '/tiles/public.place/4/10/6.pbf')).status, 200);
  } finally {
    await late?.close();
    await server.close();
  }
});

test('more clients than pool connections wait for one (all 200) instead of failing; only a full queue is refused at once', async () => {
  // 2 connections, 12 simultaneous tiles of 0.2 s each: the last waits 1 s or more for a connection, far past the
  // 300 ms a connection may take to open (pg-pool's one timer for both gave 503s here). The wait is bounded by the
  // statement timeout, generous here so that a loaded machine cannot reach it.
  const { server } = await serve({ poolSize: 2, connectTimeoutMs: 300, statementTimeoutMs: 30_000, cache: { ttlSeconds: 0 } });
  try {
    const baku = tileAt(49.87, 40.41, 5);
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => get(server.url, `/tiles/public.sleepy_tile/5/${baku.x}/${baku.y}.pbf?n=${i}`).then((answer) => answer.status)));
    assert.deepEqual(statuses, Array(12).fill(200));
  } finally {
    await server.close();
  }
  const { server: small, lines } = await serve({ poolSize: 1, queueSize: 1, statementTimeoutMs: 30_000, cache: { ttlSeconds: 0 } });
  try {
    const baku = tileAt(49.87, 40.41, 5);
    const statuses = await Promise.all(Array.from({ length: 3 }, (_, i) => get(small.url, `/tiles/public.sleepy_tile/5/${baku.x}/${baku.y}.pbf?n=${i}`).then((answer) => answer.status)));
    assert.deepEqual([...statuses].sort(), [200, 200, 503], 'one running, one waiting, the third refused');
    assert.ok(lines.some((line) => line.status === 503 && /1 connections busy and 1 requests waiting/.test(String(line.reason))), 'the refusal is logged with its reason');
  } finally {
    await small.close();
  }
});

const added = (id: string) => (line: Record<string, unknown>) => Array.isArray(line.added) && line.added.includes(id);

test('a table created after start is published without a restart: on a catalogue request, and by the periodic check', async () => {
  const { server, waitFor: waitForRead } = await serve({ rediscover: { intervalSeconds: 0, onRequestSeconds: 0 } });
  const { server: periodic, waitFor } = await serve({ rediscover: { intervalSeconds: 0.2, onRequestSeconds: 3600 } });
  try {
    assert.equal((await get(server.url, '/tiles/public.late_roads/0/0/0.pbf')).status, 404);
    db.psql("CREATE TABLE late_roads AS SELECT gid, name, geom FROM place WHERE class = 'city'; CREATE INDEX ON late_roads USING gist (geom)");
    // The catalogue request starts the read (and is answered from what is published); the read publishes the table.
    assert.equal((await get(server.url, '/catalog.json')).status, 200);
    await waitForRead(added('public.late_roads'));
    const ids = (await get(server.url, '/catalog.json')).json<{ tilesets: { id: string }[] }>().tilesets.map((tileset) => tileset.id);
    assert.ok(ids.includes('public.late_roads'), `listed: ${ids.join(', ')}`);
    const collections = (await get(server.url, '/ogc/collections')).json<{ collections: { id: string }[] }>().collections.map((collection) => collection.id);
    assert.ok(collections.includes('public.late_roads'));
    const baku = tileAt(49.87, 40.41, 5);
    const tile = await get(server.url, `/tiles/public.late_roads/5/${baku.x}/${baku.y}.pbf`);
    assert.equal(tile.status, 200);
    assert.ok(decode(tile.body).late_roads.length > 0);
    // The other server is asked nothing: its timer finds the table.
    await waitFor(added('public.late_roads'));
    assert.equal((await get(periodic.url, `/tiles/public.late_roads/5/${baku.x}/${baku.y}.pbf`)).status, 200);
  } finally {
    await server.close();
    await periodic.close();
    db.psql('DROP TABLE late_roads');
  }
});

test('a catalogue request does not wait for the catalogue read it starts: it is answered from the published tilesets', async () => {
  // A table whose extent query waits on a lock another session holds: a read of the catalogue stays there until then.
  db.psql('CREATE TABLE gate AS SELECT gid, geom FROM place LIMIT 1');
  // A listing that waited for the read would be answered only when the statement timeout ended it.
  const { server, waitFor } = await serve({ statementTimeoutMs: 20_000, rediscover: { intervalSeconds: 0, onRequestSeconds: 0 } });
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE gate IN ACCESS EXCLUSIVE MODE');
    db.psql("CREATE TABLE late_parcels AS SELECT gid, name, geom FROM place WHERE class = 'city'");
    for (const path of ['/catalog.json', '/ogc/collections']) {
      const listing = await get(server.url, path);
      assert.equal(listing.status, 200, path);
      assert.match(listing.body.toString(), /public\.place/, `${path} lists what is published`);
      assert.doesNotMatch(listing.body.toString(), /late_parcels/, `${path} is answered before the read publishes the new table`);
    }
    // Only now is the read let through; it publishes the table (a listing that had waited would see it fail).
    await holder.query('COMMIT');
    const read = await waitFor((line) => added('public.late_parcels')(line) || /reading the catalogue again .* failed/.test(String(line.msg)));
    assert.ok(Array.isArray(read.added), `the read went on after the answers: ${String(read.msg)}`);
    assert.match((await get(server.url, '/catalog.json')).body.toString(), /public\.late_parcels/);
  } finally {
    await holder.end();
    await server.close();
    db.psql('DROP TABLE gate; DROP TABLE late_parcels');
  }
});

test('a restarted database is picked up again: the first statement that succeeds reads its catalogue anew', async () => {
  // No periodic check and no catalogue requests: only the reconnection can find the new table.
  const { server, lines, waitFor } = await serve({ rediscover: { intervalSeconds: 0, onRequestSeconds: 3600 } });
  try {
    const baku = tileAt(49.87, 40.41, 5);
    await db.stop();
    // The shutdown drops the pool's idle connections: the source knows the database went away, with no request failing.
    await waitFor((line) => /idle connection lost/.test(String(line.msg)));
    await db.start();
    db.psql("CREATE TABLE back_roads AS SELECT gid, name, geom FROM place WHERE class = 'city'");
    assert.equal((await get(server.url, `/tiles/public.place/5/${baku.x}/${baku.y}.pbf`)).status, 200);
    // Logged before that tile was answered: the statement that found the database back started the read.
    assert.ok(lines.some((line) => /answers again; reading its catalogue again/.test(String(line.msg))), 'the reconnection starts a catalogue read');
    await waitFor(added('public.back_roads'));
    const tile = await get(server.url, `/tiles/public.back_roads/5/${baku.x}/${baku.y}.pbf`);
    assert.equal(tile.status, 200);
    assert.ok(decode(tile.body).back_roads.length > 0);
  } finally {
    await server.close();
    db.psql('DROP TABLE IF EXISTS back_roads');
  }
});

test('the password comes from the environment variable the configuration names; logs and paths show the URL without it', () => {
  const options = serverOptionsFrom({}, { postgres: { url: 'postgres://mekan@db.example.az:5432/gis', passwordEnv: 'MEKAN_PG_PASSWORD' } }, { MEKAN_PG_PASSWORD: 's3cr#t/pa@ss' });
  assert.equal(new URL(options.postgres!.url).password, encodeURIComponent('s3cr#t/pa@ss'));
  assert.throws(() => serverOptionsFrom({}, { postgres: { url: 'postgres://mekan@db/gis', passwordEnv: 'MEKAN_PG_PASSWORD' } }, {}), /MEKAN_PG_PASSWORD is empty or unset/);
  assert.equal(postgresLabel(options.postgres!.url), 'postgres://mekan@db.example.az:5432/gis');
});

test('a live tileset configured private: hidden from tokenless clients like an archive, and folded in /metrics unless the scrape holds its token', async () => {
  const token = 'live-private-token-0123456789';
  const { logger, waitFor } = watchedLogger();
  const server = await startServer([archives], { logger, config: { postgres: { url: db.url }, tilesets: { 'public.waterway_utm': { private: true, tokens: [token] } } } });
  try {
    await waitFor(serving);
    const { z, x, y } = tileAt(47.5, 40.5, 5);
    const tile = `/tiles/public.waterway_utm/${z}/${x}/${y}.pbf`;
    assert.equal((await get(server.url, tile, { authorization: `Bearer ${token}` })).status, 200);
    assert.equal((await get(server.url, `/tiles/place,public.waterway_utm/${z}/${x}/${y}.pbf`, { authorization: `Bearer ${token}` })).status, 200);
    for (const credentials of [{}, { authorization: 'Bearer not-the-right-token-at-all' }] as Record<string, string>[]) {
      assert.equal((await get(server.url, tile, credentials)).status, 404);
      assert.equal((await get(server.url, '/tiles/public.waterway_utm.json', credentials)).status, 404);
      assert.doesNotMatch((await get(server.url, '/catalog.json', credentials)).body.toString(), /waterway_utm/);
      assert.doesNotMatch((await get(server.url, '/ogc/collections', credentials)).body.toString(), /waterway_utm/);
      const metrics = (await get(server.url, '/metrics', credentials)).body.toString();
      assert.doesNotMatch(metrics, /waterway_utm/);
      assert.match(metrics, /^mekan_tiles_served_total\{tileset="\(private\)"\} 2$/m);
    }
    const scraped = (await get(server.url, '/metrics', { authorization: `Bearer ${token}` })).body.toString();
    assert.match(scraped, /^mekan_tiles_served_total\{tileset="public\.waterway_utm"\} 1$/m);
    assert.match(scraped, /^mekan_tiles_served_total\{tileset="place,public\.waterway_utm"\} 1$/m);
  } finally {
    await server.close();
  }
});
