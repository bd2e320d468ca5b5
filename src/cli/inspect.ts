// `mekan inspect ARCHIVE`: metadata, zoom range, tile counts and sizes per zoom.
import { existsSync } from 'node:fs';
import { isArchiveUrl, openArchive, openRemoteArchive } from '../archive/open.js';
import { InputError } from '../errors.js';
import { formatBytes, parseCommandArgs, type Command } from './command.js';

const usage = `Usage: mekan inspect ARCHIVE [--json]

Prints an archive's metadata and, per zoom, its tile count, total and largest tile size.
  --json   print the same as JSON`;

export const inspectCommand: Command = {
  summary: 'metadata, zoom range, tile counts and sizes per zoom',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('inspect', usage, argv, { json: { type: 'boolean' } });
    if (positionals.length !== 1) throw new InputError('mekan inspect', 'expected exactly one ARCHIVE');
    const path = positionals[0];
    if (!isArchiveUrl(path) && !existsSync(path)) throw new InputError(path, 'no such file');
    const archive = isArchiveUrl(path) ? await openRemoteArchive(path) : openArchive(path);
    try {
      const zooms = await archive.summarize();
      if (values.json) {
        process.stdout.write(JSON.stringify({ path, metadata: archive.metadata, zooms }, null, 2) + '\n');
        return;
      }
      const m = archive.metadata;
      const lines = [
        `archive     ${path}`,
        `name        ${m.name}`,
        `format      ${m.format}`,
        `zooms       ${m.minzoom}–${m.maxzoom}`,
        `bounds      ${m.bounds ? m.bounds.join(', ') : '(none)'}`,
        `center      ${m.center ? m.center.join(', ') : '(none)'}`,
      ];
      if (m.attribution) lines.push(`attribution ${m.attribution}`);
      if (m.description) lines.push(`description ${m.description}`);
      for (const layer of m.vector_layers ?? []) {
        const stats = m.layerStats?.find((s) => s.layer === layer.id);
        const extra = stats ? `, ${stats.count} features, ${stats.geometry}` : '';
        lines.push(`layer       ${layer.id} (z${layer.minzoom ?? m.minzoom}–${layer.maxzoom ?? m.maxzoom}${extra}): ${Object.keys(layer.fields).join(', ')}`);
      }
      lines.push('', 'zoom      tiles        bytes      largest');
      let tiles = 0;
      let bytes = 0;
      for (const z of zooms) {
        tiles += z.tiles;
        bytes += z.bytes;
        lines.push(`${String(z.zoom).padStart(4)} ${String(z.tiles).padStart(10)} ${formatBytes(z.bytes).padStart(12)} ${formatBytes(z.maxBytes).padStart(12)}`);
      }
      lines.push(` all ${String(tiles).padStart(10)} ${formatBytes(bytes).padStart(12)}`);
      process.stdout.write(lines.join('\n') + '\n');
    } finally {
      archive.close();
    }
  },
};
