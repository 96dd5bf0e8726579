// Parses Mermaid files with the `mermaid` npm package (under jsdom, which it needs for a
// DOM): `node tests/scripts/mermaid-parse.mjs NODE_MODULES FILE...`. Exits 1 naming the
// first file Mermaid rejects, and with a syntax error it prints Mermaid's message.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, ...files] = process.argv.slice(2);
const load = async (pkg, entry) => import(pathToFileURL(join(modules, pkg, entry)).href);

const { JSDOM } = await load('jsdom', 'lib/api.js');
const dom = new JSDOM('<!DOCTYPE html><html><body></body></html>', { pretendToBeVisual: true });
for (const key of ['window', 'document', 'navigator', 'Element', 'HTMLElement', 'SVGElement', 'DOMParser', 'XMLSerializer']) {
  if (globalThis[key] === undefined && dom.window[key] !== undefined) {
    globalThis[key] = dom.window[key];
  }
}
const mermaid = (await load('mermaid', 'dist/mermaid.core.mjs')).default;
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

let failed = 0;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  try {
    const result = await mermaid.parse(text);
    if (!result || result.diagramType !== 'flowchart-v2') {
      throw new Error(`not a flowchart: ${JSON.stringify(result)}`);
    }
    console.log(`ok ${file}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${file}: ${e.message ?? e}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
