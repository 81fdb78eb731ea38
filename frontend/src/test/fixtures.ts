/** Server contracts (bin/builder-fixtures) and the demo workflows (automation/demo_workflows). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Catalogue } from '../api/types';
import catalogueJson from './fixtures/catalogue.json';
import definitionSchemaJson from './fixtures/definition.schema.json';

export const catalogue = catalogueJson as unknown as Catalogue;
export const definitionSchema = definitionSchemaJson as Record<string, unknown>;

const here = path.dirname(fileURLToPath(import.meta.url));
const demoDir = path.resolve(here, '../../../automation/demo_workflows');

export function demoWorkflows(): { file: string; definition: Record<string, unknown> }[] {
  return readdirSync(demoDir)
    .filter((f) => f.endsWith('.json'))
    .map((file) => {
      const workflow = JSON.parse(readFileSync(path.join(demoDir, file), 'utf-8')) as { definition: Record<string, unknown> };
      return { file, definition: workflow.definition };
    });
}

export const spec = (type: string) => {
  const found = catalogue.node_types.find((n) => n.type === type);
  if (!found) throw new Error(`no node type ${type} in the catalogue fixture`);
  return found;
};
