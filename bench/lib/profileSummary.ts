/** Prints the top self-time functions of a .cpuprofile (node --cpu-prof), grouped by function and file. */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = process.argv[2]!;
const top = Number(process.argv[3]) || 30;
const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const agg = new Map<string, number>();
const byFile = new Map<string, number>();
for (const [id, t] of self) {
  const f = byId.get(id)!.callFrame;
  const url = f.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, 'nm:').replace(`${process.cwd()}/`, '');
  const key = `${f.functionName || '(anonymous)'}  ${url}:${f.lineNumber + 1}`;
  agg.set(key, (agg.get(key) ?? 0) + t);
  const fk = url.startsWith('nm:') ? url.split('/').slice(0, url.startsWith('nm:@') ? 2 : 1).join('/') : url || f.functionName;
  byFile.set(fk, (byFile.get(fk) ?? 0) + t);
}
const pct = (t: number) => ((100 * t) / total).toFixed(1).padStart(5) + '%';
console.log(`total ${(total / 1000).toFixed(0)} ms sampled`);
console.log('--- by module');
for (const [k, t] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(pct(t), k);
console.log('--- by function (self)');
for (const [k, t] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(t), k);
