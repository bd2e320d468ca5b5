// Outside tools a benchmark compares with when they are installed (tippecanoe, tile-join): none is required.
import { spawnSync } from 'node:child_process';

/** Whether `command` starts at all: `--version` may exit non-zero (tile-join's does), but a missing one never starts. */
export function commandRuns(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status !== null;
}
