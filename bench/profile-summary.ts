/**
 * Summarise a V8 CPU profile (`node --cpu-prof`, or `bench/queue.ts --cpu-prof DIR`): the functions
 * and the files/packages with the most self time, and the functions with the most inclusive time.
 *
 * @example
 * npx tsx bench/queue.ts --events 20000 --only http --cpu-prof /tmp/prof
 * npx tsx bench/profile-summary.ts /tmp/prof/http.cpuprofile --top 25
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fmtMs, formatTable } from './lib.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function where(url: string): string {
  if (url === '') return '(native/V8)';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  if (path.startsWith('node:')) return path;
  const src = /\/(src|bench)\/(.*)$/.exec(path);
  return src ? `${src[1]}/${src[2]}` : path;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '20' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help || positionals.length !== 1) {
    process.stdout.write('Usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [--top N]\n');
    process.exit(values.help ? 0 : 2);
  }
  const top = Number(values.top);
  const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalUs = profile.endTime - profile.startTime;
  const label = (node: ProfileNode) => `${node.callFrame.functionName || '(anonymous)'} ${where(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;

  const selfByFunction = new Map<string, number>();
  const selfByPlace = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    selfByFunction.set(label(node), (selfByFunction.get(label(node)) ?? 0) + us);
    const place = where(node.callFrame.url);
    selfByPlace.set(place, (selfByPlace.get(place) ?? 0) + us);
    // Inclusive: every distinct function on the stack of this sample gets its time once.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = label(byId.get(at)!);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
  }
  const rows = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => [name, fmtMs(us / 1000), `${((us / totalUs) * 100).toFixed(1)}%`]);
  const columns = (what: string) => [{ header: what }, { header: 'time', align: 'right' as const }, { header: 'share', align: 'right' as const }];
  process.stdout.write(`${positionals[0]}: ${fmtMs(totalUs / 1000)} profiled\n\n`);
  process.stdout.write(`${formatTable({ title: 'Self time by file / package', columns: columns('where'), rows: rows(selfByPlace, top) })}\n`);
  process.stdout.write(`${formatTable({ title: 'Self time by function', columns: columns('function'), rows: rows(selfByFunction, top) })}\n`);
  process.stdout.write(`${formatTable({ title: 'Inclusive time by function', columns: columns('function'), rows: rows(inclusive, top) })}\n`);
}

main();
