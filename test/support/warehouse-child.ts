/**
 * A second process using the local warehouse, for tests of what happens between processes.
 * Run with Node 24 (which strips this file's types); the warehouse's TypeScript is compiled on
 * the fly with SWC, as Jest does.
 *
 *   warehouse-child.ts read-loop <root> <projectId> <table> <stopFile>
 *     counts the table's rows and distinct runs until <stopFile> exists; prints "ready" after the
 *     first count, then one JSON line: { observations: { "<rows>|<runs>|<run>": times }, errors }.
 *   warehouse-child.ts load <root> <requestsFile> <goFile>
 *     waits for <goFile>, then loads each LoadRequest of the JSON file in turn; prints one JSON
 *     line: { results: LoadResult[] }.
 */
import { existsSync, readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { transformSync } from '@swc/core';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      // The sources import each other as `.js`, the compiled names.
      if (specifier.startsWith('.') && specifier.endsWith('.js')) return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      throw error;
    }
  },
  load(url, context, nextLoad) {
    if (url.startsWith('file:') && url.endsWith('.ts') && !url.includes('/node_modules/')) {
      const filename = fileURLToPath(url);
      const { code } = transformSync(readFileSync(filename, 'utf8'), {
        filename,
        jsc: { parser: { syntax: 'typescript' }, target: 'es2024' },
        module: { type: 'es6' },
      });
      return { format: 'module', source: code, shortCircuit: true };
    }
    return nextLoad(url, context);
  },
});

const { LocalWarehouse } = (await import('../../shared/src/warehouse/local/local-warehouse.js')) as typeof import('../../shared/src/warehouse/local/local-warehouse.js');
type LoadRequest = import('../../shared/src/warehouse/warehouse.js').LoadRequest;

const [command, root, ...args] = process.argv.slice(2);
const warehouse = new LocalWarehouse({ root: root!, memoryLimit: '256MB', threads: 1 });
try {
  if (command === 'read-loop') {
    const [projectId, table, stopFile] = args as [string, string, string];
    const observations: Record<string, number> = {};
    const errors: string[] = [];
    const until = Date.now() + 60_000;
    let first = true;
    while (!existsSync(stopFile) && Date.now() < until) {
      try {
        const [row] = await warehouse.query(projectId, `SELECT count(*) AS n, count(DISTINCT _run_id) AS runs, min(_run_id) AS run FROM "${table}"`);
        const key = `${String(row?.n)}|${String(row?.runs)}|${String(row?.run)}`;
        observations[key] = (observations[key] ?? 0) + 1;
      } catch (error) {
        errors.push((error as Error).message);
      }
      if (first) {
        process.stdout.write('ready\n');
        first = false;
      }
    }
    process.stdout.write(`${JSON.stringify({ observations, errors })}\n`);
  } else if (command === 'load') {
    const [requestsFile, goFile] = args as [string, string];
    const requests = JSON.parse(readFileSync(requestsFile, 'utf8')) as LoadRequest[];
    process.stdout.write('ready\n');
    while (!existsSync(goFile)) await sleep(2);
    const results = [];
    for (const request of requests) results.push(await warehouse.load(request));
    process.stdout.write(`${JSON.stringify({ results })}\n`);
  } else {
    throw new Error(`unknown command ${String(command)}`);
  }
} finally {
  await warehouse.close();
}
