import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * The wheels a build writes into `dir`, each finished (`finish`) and handed
 * on (`onWheel`) as soon as it is there, while the build goes on with the
 * next interpreter: the caller may start repairing it.
 */
export function wheelOutput(dir: string, backend: string, { finish, onWheel }: { finish?: (wheel: string) => Promise<unknown>; onWheel?: (wheel: string) => void }) {
  const seen = new Set<string>();
  const collect = async (): Promise<string[]> => {
    const wheels = (await readdir(dir))
      .filter((name) => name.endsWith('.whl'))
      .sort()
      .map((name) => path.join(dir, name));
    for (const wheel of wheels.filter((w) => !seen.has(w))) {
      seen.add(wheel);
      await finish?.(wheel);
      onWheel?.(wheel);
    }
    return wheels;
  };
  return {
    /** Hands on the wheels written since the last call. */
    collect,
    /** Every wheel of the build, in order; none is an error. */
    async all(): Promise<string[]> {
      const wheels = await collect();
      if (wheels.length === 0) throw new Error(`the ${backend} build produced no wheel`);
      return wheels;
    },
  };
}
