import { existsSync } from 'node:fs';

/**
 * A pushback module as users run it: the built JS in `dist/` (`npm run bench` builds first), else its
 * TypeScript source. Benchmarks measure the built code: the TypeScript loader (esbuild with `keepNames`)
 * wraps every closure created at run time in a naming call, which a per-message path pays for.
 * `module` is the path under `src/` without extension, e.g. `engine/index`.
 */
export async function loadBuilt<T>(module: string): Promise<T> {
  const built = new URL(`../../dist/${module}.js`, import.meta.url);
  const spec = existsSync(built) ? built.href : new URL(`../../src/${module}.ts`, import.meta.url).href;
  return (await import(spec)) as T;
}
