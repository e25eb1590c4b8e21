/**
 * One bundle per Lambda, each with only what its entry imports: `src/lambda/entries/<name>.ts`
 * (kebab-case of the deployable's name) is bundled by esbuild, locally (no Docker), into
 * `<outDir>/<name>/index.mjs` — an ES module for Node.js 24, minified with its names kept (errors
 * keep their class names on the wire: `errorType` is what Lambda reports). Nothing else ships with
 * the code: the source map goes to `<sourceMapDir>/<name>/index.mjs.map`, a separate artifact to
 * keep with the deployment (it maps a stack trace from CloudWatch back to `src/`).
 *
 * zod's error messages in 40-odd languages are not bundled: only English is configured (zod's own
 * default), and the others were a quarter of a megabyte of every bundle.
 *
 * @example
 * const bundles = await bundleLambdas(['getTrades', 'emailHelper'], { outDir: '.tmp/lambda', sourceMapDir: 'cdk.out/source-maps' });
 * bundles.get('getTrades'); // → { dir: '.tmp/lambda/getTrades', bytes: 612_345, sourceMap: 'cdk.out/source-maps/getTrades/index.mjs.map' }
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');

/** Where each Lambda's entry file is. */
export const LAMBDA_ENTRIES_DIR = join(ROOT, 'src', 'lambda', 'entries');

/** The Lambda runtime the bundles are built for (the stack deploys `nodejs24.x`). */
export const BUNDLE_TARGET = 'node24';

/** The entry file of the Lambda `name` (`getTrades` → `src/lambda/entries/get-trades.ts`); throws when there is none. */
export function lambdaEntry(name: string): string {
  const file = join(LAMBDA_ENTRIES_DIR, `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.ts`);
  if (!existsSync(file)) {
    throw new Error(`no entry for the Lambda "${name}": write ${file.slice(ROOT.length + 1)} (export const handler = httpEntry(…) or controllerEntry(…))`);
  }
  return file;
}

export interface LambdaBundle {
  /** The asset folder: `index.mjs` and nothing else. */
  dir: string;
  /** Size of `index.mjs`. */
  bytes: number;
  sourceMap: string;
  /** esbuild's metafile: which inputs the bundle holds, and their bytes. */
  metafile: Metafile;
}

export interface BundleOptions {
  outDir: string;
  sourceMapDir: string;
}

/** Bundle every Lambda in `names` (in parallel: esbuild runs them in one service). */
export async function bundleLambdas(names: readonly string[], options: BundleOptions): Promise<Map<string, LambdaBundle>> {
  const bundles = await Promise.all(names.map(async (name) => [name, await bundleLambda(name, options)] as const));
  return new Map(bundles);
}

/** Bundle the Lambda `name` (see the module comment). */
export async function bundleLambda(name: string, options: BundleOptions): Promise<LambdaBundle> {
  const dir = join(options.outDir, name);
  const sourceMap = join(options.sourceMapDir, name, 'index.mjs.map');
  await rm(dir, { recursive: true, force: true });
  const { metafile } = await build({ ...BUILD_OPTIONS, metafile: true, entryPoints: [lambdaEntry(name)], outfile: join(dir, 'index.mjs') });
  // esbuild writes the map beside the code; it ships separately.
  await mkdir(dirname(sourceMap), { recursive: true });
  await rename(join(dir, 'index.mjs.map'), sourceMap);
  await writeFile(join(dirname(sourceMap), 'metafile.json'), JSON.stringify(metafile));
  const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith('index.mjs'))![1];
  return { dir, bytes: output.bytes, sourceMap, metafile };
}

/** Only `en` of zod's locales: `zod/v4/locales/index.js` (imported by `z.locales`) becomes a module that exports `en`. */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(esbuild) {
    esbuild.onResolve({ filter: /[\\/]locales[\\/]index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: join(args.resolveDir, args.path), namespace: 'zod-locales' } : undefined,
    );
    esbuild.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

const BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: BUNDLE_TARGET,
  // The packages' ES module builds (`module`), which esbuild can tree-shake; CommonJS (`main`) otherwise.
  mainFields: ['module', 'main'],
  minify: true,
  // Class and function names survive minification: errors keep their names (`errorType`), traces stay readable.
  keepNames: true,
  sourcemap: 'external',
  sourcesContent: true,
  logLevel: 'warning',
  plugins: [zodEnglishOnly],
  // CommonJS packages inside an ESM bundle call `require`, which ESM does not define.
  banner: { js: "import { createRequire as __leedzCreateRequire } from 'node:module'; const require = __leedzCreateRequire(import.meta.url);" },
};
