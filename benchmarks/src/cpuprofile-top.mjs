// Summarises V8 .cpuprofile files (from `node --cpu-prof`): the functions with
// the most self time, summed over all given profiles.
// Usage: node benchmarks/src/cpuprofile-top.mjs [--top 25] [--by function|package] <file.cpuprofile>...
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, by: { type: 'string', default: 'function' } },
});
if (positionals.length === 0) {
  console.error('usage: cpuprofile-top.mjs [--top N] <file.cpuprofile>...');
  process.exit(2);
}

const self = new Map();
let total = 0;
for (const file of positionals) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  // timeDeltas[i] is the time before sample i; attributing it to sample i is
  // what Chrome DevTools does.
  const hits = new Map();
  for (const [i, id] of prof.samples.entries()) hits.set(id, (hits.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  for (const [id, us] of hits) {
    const { callFrame: cf } = byId.get(id);
    const where = cf.url ? `${shorten(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = values.by === 'package' ? owner(cf) : `${cf.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  }
}

/** Which package (or runtime part) a frame belongs to, for --by package. */
function owner(cf) {
  if (!cf.url) return cf.functionName.startsWith('(') ? cf.functionName : '(native/builtin)';
  const p = cf.url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = p.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const pkg = /\/packages\/([^/]+)\//.exec(p);
  if (pkg) return `@immo/${pkg[1]}`;
  if (p.startsWith('node:') || !p.startsWith('/')) return 'node (lib)';
  return path.basename(p);
}

function shorten(url) {
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('node_modules/');
  if (nm !== -1) return p.slice(nm + 'node_modules/'.length);
  const pkgs = p.indexOf('/packages/');
  if (pkgs !== -1) return p.slice(pkgs + 1);
  return path.basename(p);
}

const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
console.log(`| self % | self ms | ${values.by} |\n| ---: | ---: | --- |`);
for (const [key, us] of rows) {
  console.log(`| ${((us / total) * 100).toFixed(1)} | ${(us / 1000).toFixed(0)} | \`${key}\` |`);
}
console.log(`\ntotal sampled: ${(total / 1000).toFixed(0)} ms over ${positionals.length} profile(s)`);
