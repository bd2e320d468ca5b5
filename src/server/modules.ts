// The route modules a Mekan server runs, in order. Add a module here with one line (see module.ts for the shape).
import type { RouteModule } from './module.js';
import { fontsModule } from './routes/fonts.js';
import { healthModule } from './routes/health.js';
import { metricsModule } from './routes/metrics.js';
import { packagesModule } from './routes/packages.js';
import { stylesModule } from './routes/styles.js';
import { tileJsonModule } from './routes/tilejson.js';
import { tilesModule } from './routes/tiles.js';
import { ogcModule } from './ogc/routes.js';
import { viewerModule } from './viewer/routes.js';
import { wmtsModule } from './wmts/routes.js';

/** Every module but the catalog, which the app adds itself (it reads the others' `catalog` hooks). */
export const defaultModules: RouteModule[] = [
  tilesModule,
  tileJsonModule,
  healthModule,
  metricsModule,
  stylesModule,
  fontsModule,
  wmtsModule,
  ogcModule,
  packagesModule,
  viewerModule,
];
