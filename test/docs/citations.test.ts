/**
 * The project's documents are the repository's own: every citation of a Markdown file in the code
 * and the docs — a path (`docs/marketplace.md`, `../src/adapters/store/dynamodb/TABLE-DESIGN.md`) or
 * a bare name (`TABLE-DESIGN.md`) — names a file that exists here, so a clone has what the code
 * cites. A path is read from the repository's root or from the citing file's folder; a bare name is
 * found anywhere in the repository. And every relative link of the docs (`[text](path#anchor)` in
 * `docs/*.md` and the README) points at a file that exists, and its anchor at one of its headings.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** What is scanned for citations: the repository's source and doc files. */
const SCANNED = ['src', 'web', 'infra', 'test', 'bench', 'docs', 'README.md', '.dependency-cruiser.cjs'];

/** Never scanned, never searched: installed packages, test output, benchmark results, build output. */
const SKIPPED = new Set(['node_modules', '.git', 'test-artifacts', 'bench/results', 'cdk.out', 'data', '.tmp']);

/** Text files, by extension: source, styles, fixtures, scripts and docs. */
const TEXT_FILE = /\.(?:ts|tsx|js|mjs|cjs|md|css|html|json|sh)$/;

/** This file names missing files on purpose (the scanner's own tests). */
const THIS_FILE = 'test/docs/citations.test.ts';

// ── the scanner ───────────────────────────────────────────────────────────────────────────────────

/**
 * A Markdown file's name or path: segments of letters, digits, `.`, `_` and `-` joined by `/`, ending
 * in `.md`. It starts after a character that cannot be part of a path, so a URL (every segment after
 * a `/`, the first after `:`) never matches, nor does a glob (`*.md`) or another extension (`.mdx`,
 * `.md.bak`).
 */
const CITATION = /(?<![\w./-])((?:[\w.-]+\/)*[\w.-]*[\w-]\.md)(?![\w-]|\.\w)/g;

interface Citation {
  name: string;
  line: number;
}

/** Every Markdown file `text` cites, with its line (1-based). */
function citationsIn(text: string): Citation[] {
  const found: Citation[] = [];
  text.split('\n').forEach((content, index) => {
    for (const match of content.matchAll(CITATION)) {
      // A citation inside a URL written with a scheme (`https://host:port/x.md`) is the web's, not ours.
      const token = content.slice(0, match.index).split(/[\s('"`<[]/).at(-1) ?? '';
      if (token.includes('://')) continue;
      found.push({ name: match[1]!, line: index + 1 });
    }
  });
  return found;
}

/** Files under `dir` (relative to the root), depth first, skipping {@link SKIPPED}. */
function walk(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (SKIPPED.has(path) || SKIPPED.has(entry.name)) continue;
    if (entry.isDirectory()) files.push(...walk(path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** The names of every Markdown file of the repository, for bare citations. */
const MARKDOWN_NAMES = new Set(walk('').filter((path) => path.endsWith('.md')).map((path) => posix.basename(path)));

/** Whether `name`, cited in `file`, is a file of the repository. */
function exists(name: string, file: string): boolean {
  if (!name.includes('/')) return MARKDOWN_NAMES.has(name);
  const fromFile = posix.normalize(posix.join(posix.dirname(file), name));
  const fromRoot = posix.normalize(name);
  return [fromFile, fromRoot].some((path) => !path.startsWith('..') && existsSync(join(ROOT, path)) && statSync(join(ROOT, path)).isFile());
}

/** The citations in `text` (the file `file`) of files that do not exist, as `file:line cites name`. */
function missingCitations(file: string, text: string): { file: string; line: number; name: string }[] {
  return citationsIn(text)
    .filter((citation) => !exists(citation.name, file))
    .map((citation) => ({ file, line: citation.line, name: citation.name }));
}

/** Every scanned file, relative to the root. */
function scannedFiles(): string[] {
  return SCANNED.flatMap((entry) => (statSync(join(ROOT, entry)).isDirectory() ? walk(entry) : [entry])).filter(
    (path) => (TEXT_FILE.test(path) || path === '.dependency-cruiser.cjs') && path !== THIS_FILE,
  );
}

// ── links of the docs ─────────────────────────────────────────────────────────────────────────────

/** The text without fenced code blocks and inline code, where `[a](b)` is code, not a link. */
function prose(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line.replace(/`[^`]*`/g, '``');
    })
    .join('\n');
}

/** The anchors of a Markdown file's headings, as GitHub makes them (lower case, punctuation dropped, spaces as `-`). */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(markdown.replace(/`/g, '')).split('\n')) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The relative links of a Markdown file that point at nothing, as `file:line → target (why)`. */
function brokenLinks(file: string, markdown: string): string[] {
  const problems: string[] = [];
  prose(markdown)
    .split('\n')
    .forEach((line, index) => {
      for (const match of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = match[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const where = `${file}:${index + 1} → ${target}`;
        if (path === '') {
          if (anchor !== undefined && !anchorsOf(markdown).has(anchor)) problems.push(`${where} (no heading with that anchor here)`);
          continue;
        }
        const linked = posix.normalize(posix.join(posix.dirname(file), path));
        if (linked.startsWith('..') || !existsSync(join(ROOT, linked))) {
          problems.push(`${where} (no such file)`);
          continue;
        }
        if (anchor !== undefined && linked.endsWith('.md') && !anchorsOf(readFileSync(join(ROOT, linked), 'utf8')).has(anchor)) {
          problems.push(`${where} (no heading with that anchor in ${linked})`);
        }
      }
    });
  return problems;
}

// ── the tests ─────────────────────────────────────────────────────────────────────────────────────

describe('citations of Markdown files', () => {
  const missing = scannedFiles().flatMap((file) => missingCitations(file, readFileSync(join(ROOT, file), 'utf8')));

  it('every Markdown file the code and the docs cite is a file of the repository', () => {
    const problems = missing.map(({ file, line, name }) => `${file}:${line} cites ${name}, which is not a file of this repository: point it at the file under docs/ (or beside the code) that holds what it cites`);
    expect(problems).toEqual([]);
  });
});

describe('links of the docs', () => {
  it('every relative link of docs/*.md and the README points at a file of the repository, and its anchor at a heading', () => {
    const docs = ['README.md', ...walk('docs').filter((path) => path.endsWith('.md'))];
    expect(docs).toContain('docs/architecture.md');
    expect(docs.flatMap((file) => brokenLinks(file, readFileSync(join(ROOT, file), 'utf8')))).toEqual([]);
  });
});

describe('the scanner', () => {
  it('finds paths and bare names of Markdown files, with their lines', () => {
    const text = ['/**', ' * As docs/marketplace.md, Conflicts, says (and `TABLE-DESIGN.md` beside it);', ' * see [the parity list](../docs/lambda-parity.md#names).', ' */'].join('\n');
    expect(citationsIn(text)).toEqual([
      { name: 'docs/marketplace.md', line: 2 },
      { name: 'TABLE-DESIGN.md', line: 2 },
      { name: '../docs/lambda-parity.md', line: 3 },
    ]);
  });

  it('leaves URLs, globs and other extensions alone', () => {
    expect(citationsIn('https://github.com/honojs/hono/blob/main/README.md and http://127.0.0.1:3000/x.md')).toEqual([]);
    expect(citationsIn('every *.md file, notes.mdx, the README.md.bak copy')).toEqual([]);
    expect(citationsIn('the end of a sentence: README.md.')).toEqual([{ name: 'README.md', line: 1 }]);
  });

  it('reports a citation of a file that does not exist, naming the citing file and line', () => {
    // Put together here, so that this file does not itself cite a document the repository lacks.
    const missingBrief = ['RULES', 'md'].join('.');
    const text = ['// the rules', `// (${missingBrief}, Conflicts) and docs/no-such-page.md`, '// docs/marketplace.md and ../../../docs/style.md exist'].join('\n');
    expect(missingCitations('src/leedz/domain/example.ts', text)).toEqual([
      { file: 'src/leedz/domain/example.ts', line: 2, name: missingBrief },
      { file: 'src/leedz/domain/example.ts', line: 2, name: 'docs/no-such-page.md' },
    ]);
  });

  it('reports a relative link to a missing file or heading, and not a link inside code', () => {
    const markdown = ['# A page', '', 'See [the rules](marketplace.md#conflicts), [nothing](nowhere.md), [no anchor](style.md#no-such-rule)', 'and [this page](#a-page), [a missing part](#no-part); `[code](not-a-link.md)`.', '```', '[x](also-code.md)', '```'].join('\n');
    expect(brokenLinks('docs/example.md', markdown)).toEqual([
      'docs/example.md:3 → nowhere.md (no such file)',
      'docs/example.md:3 → style.md#no-such-rule (no heading with that anchor in docs/style.md)',
      'docs/example.md:4 → #no-part (no heading with that anchor here)',
    ]);
  });
});
