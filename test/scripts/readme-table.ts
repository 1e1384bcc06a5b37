/**
 * `npm run readme:table` (`npx tsx test/scripts/readme-table.ts [--check]`): regenerates the catalog action
 * table in README.md between `<!-- catalog:start -->` and `<!-- catalog:end -->` from `policies/`.
 * `--check` writes nothing and exits 1 when the README is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { catalogMarkdown, replaceReadmeSection } from '../../src/catalog/markdown.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const readme = readFileSync(README, 'utf8');
const next = replaceReadmeSection(readme, catalogMarkdown(loadCatalog()));
if (next === undefined) {
  console.error('README.md has no <!-- catalog:start --> ... <!-- catalog:end --> section');
  process.exit(1);
}
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md catalog table is stale: run npm run readme:table');
    process.exit(1);
  }
  console.log('README.md catalog table is up to date');
} else if (next !== readme) {
  writeFileSync(README, next);
  console.log('README.md catalog table regenerated');
} else {
  console.log('README.md catalog table already up to date');
}
