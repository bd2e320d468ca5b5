// GET /catalog.json: every tileset with its URLs, plus what other modules contribute (styles…).
import type { CatalogSections, RouteModule } from '../module.js';
import { isWebMercator } from '../../grid/tileMatrixSets.js';
import { tileJsonUrl, tileUrlTemplate } from './tilejson.js';

/** The catalog gathers sections from every module that has a `catalog` hook; `modules` is the app's list. */
export function catalogModule(modules: () => readonly RouteModule[]): RouteModule {
  return {
    name: 'catalog',
    register(router, context) {
      router.get('/catalog.json', async (ctx) => {
        const baseUrl = context.publicUrl(ctx.req);
        context.registry.freshen();
        const catalog: CatalogSections = {
          tilesets: context.registry.list().map((tileset) => ({
            id: tileset.id,
            name: tileset.metadata.name,
            format: tileset.format,
            minzoom: tileset.metadata.minzoom,
            maxzoom: tileset.metadata.maxzoom,
            bounds: tileset.metadata.bounds,
            attribution: tileset.metadata.attribution,
            tileMatrixSet: tileset.grid.id,
            // TileJSON means Web Mercator tiles; a tileset in another grid is described by WMTS and OGC API only.
            ...(isWebMercator(tileset.grid)
              ? { tilejson: tileJsonUrl(baseUrl, tileset) }
              : { wmts: `${baseUrl}/wmts/1.0.0/WMTSCapabilities.xml`, ogc: `${baseUrl}/ogc/collections/${encodeURIComponent(tileset.id)}/${tileset.format === 'pbf' ? 'tiles' : 'map/tiles'}/${tileset.grid.id}` }),
            tiles: tileUrlTemplate(baseUrl, tileset),
          })),
          styles: [],
        };
        for (const module of modules()) {
          if (!module.catalog) continue;
          const sections = await module.catalog(baseUrl, context);
          for (const [key, entries] of Object.entries(sections)) catalog[key] = [...(catalog[key] ?? []), ...entries];
        }
        ctx.set('Cache-Control', 'no-cache');
        ctx.body = catalog;
      });
    },
  };
}
