#!/bin/sh
# Builds the bundled basemap (build/basemap.mbtiles) and imagery (build/imagery.mbtiles) from data/, each only when missing.
#   sh scripts/build-basemap.sh           # what `npm start` runs before serving
#   sh scripts/build-basemap.sh --force   # rebuild both
# Progress goes to stderr; the archives are written to temp files and renamed when complete, so an
# interrupted build leaves nothing half-written behind.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mekan="node bin/mekan.js"
force=0
[ "${1:-}" = "--force" ] && force=1
mkdir -p build

if [ "$force" = 1 ] || [ ! -f build/basemap.mbtiles ]; then
  echo "building build/basemap.mbtiles from data/basemap (scripts/basemap.recipe.yaml)" >&2
  $mekan build vector --recipe scripts/basemap.recipe.yaml -o build/basemap.mbtiles
fi

if [ "$force" = 1 ] || [ ! -f build/imagery.mbtiles ]; then
  echo "building build/imagery.mbtiles from data/imagery (CBERS-2B)" >&2
  # The 20 m colour scene first, the 2.5 m panchromatic crop drawn over it where it has data.
  GTIFF_SRS_SOURCE=EPSG $mekan build raster \
    data/imagery/cbers2b_rgb342_crop.tif data/imagery/cbers2b_hrc_pan_crop.tif \
    -o build/imagery.mbtiles --format webp --minzoom 8 --maxzoom 16 \
    --name "CBERS-2B imagery sample" \
    --attribution "CBERS-2B © INPE (LGPL-2.1+, via TerraLib)" \
    --description "CBERS-2B 20 m colour (bands 3-4-2) with a 2.5 m panchromatic crop; Eldorado, Mato Grosso do Sul, Brazil"
fi
