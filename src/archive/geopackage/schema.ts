// OGC GeoPackage 1.3 tiles: the tables a tile pyramid in any tile matrix set needs (spec §2.2), and Mekan's metadata.

/** `PRAGMA application_id` of a GeoPackage: 'GPKG' in ASCII. */
export const GPKG_APPLICATION_ID = 0x47504b47;
/** `PRAGMA user_version` of GeoPackage 1.3.0. */
export const GPKG_USER_VERSION = 10300;
/** The one tile pyramid user data table Mekan writes. */
export const TILES_TABLE = 'tiles';
/**
 * Mekan's own metadata (the MBTiles metadata rows, plus the tile matrix set id): GeoPackage has no place for a
 * tileset's attribution, format or zoom range; GDAL and QGIS ignore a table they do not know.
 */
export const METADATA_TABLE = 'mekan_metadata';

export const SCHEMA = `
  CREATE TABLE gpkg_spatial_ref_sys (
    srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
    organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
  CREATE TABLE gpkg_contents (
    table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
    last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
  CREATE TABLE gpkg_tile_matrix_set (
    table_name TEXT NOT NULL PRIMARY KEY, srs_id INTEGER NOT NULL,
    min_x DOUBLE NOT NULL, min_y DOUBLE NOT NULL, max_x DOUBLE NOT NULL, max_y DOUBLE NOT NULL,
    CONSTRAINT fk_gtms_table_name FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gtms_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
  CREATE TABLE gpkg_tile_matrix (
    table_name TEXT NOT NULL, zoom_level INTEGER NOT NULL, matrix_width INTEGER NOT NULL, matrix_height INTEGER NOT NULL,
    tile_width INTEGER NOT NULL, tile_height INTEGER NOT NULL, pixel_x_size DOUBLE NOT NULL, pixel_y_size DOUBLE NOT NULL,
    CONSTRAINT pk_ttm PRIMARY KEY (table_name, zoom_level),
    CONSTRAINT fk_tmm_table_name FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name));
  CREATE TABLE gpkg_extensions (
    table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,
    CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
  CREATE TABLE ${TILES_TABLE} (
    id INTEGER PRIMARY KEY AUTOINCREMENT, zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL,
    tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL, UNIQUE (zoom_level, tile_column, tile_row));
  CREATE TABLE ${METADATA_TABLE} (name TEXT NOT NULL PRIMARY KEY, value TEXT);
`;

/** The rows every GeoPackage must hold in gpkg_spatial_ref_sys (spec requirement 11). */
export const REQUIRED_SPATIAL_REF_SYS: [name: string, id: number, organization: string, code: number, definition: string][] = [
  ['Undefined cartesian SRS', -1, 'NONE', -1, 'undefined'],
  ['Undefined geographic SRS', 0, 'NONE', 0, 'undefined'],
];

/** WebP tiles need the registered extension (spec Annex F.5); PNG and JPEG are core. */
export const WEBP_EXTENSION = ['gpkg_webp', 'http://www.geopackage.org/spec/#extension_tiles_webp', 'read-write'] as const;
