/**
 * For-each groups and the record trigger's pickers, end to end in Chromium against the real CRM
 * and Dagster: build trigger → find records → for-each (a group) holding a record update
 * dragged into it from the palette, publish (the server compiles the group), run it and see the
 * update's result per item; drag a node in and out of a group, copy/paste and delete a group
 * with its body; pick a pipeline and its watched field in a record trigger's form.
 */
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { SCREENSHOTS, connect, dragNodeTo, dropNode, dropNodeInto, fitView, login, selectGroup, selectNode } from './helpers';

const TENANT = 'acme';

test.describe.configure({ mode: 'serial' });

async function newWorkflow(page: Page, name: string): Promise<string> {
  await login(page, 'acme_editor');
  await page.getByLabel('New workflow name').fill(name);
  await page.getByRole('button', { name: 'Create workflow' }).click();
  await expect(page.getByTestId('node-trigger')).toBeVisible();
  return page.url().match(/workflows\/([0-9a-f-]+)/)![1];
}

async function savedDefinition(page: Page, workflowId: string) {
  const response = await page.request.get(`/api/workflows/${workflowId}`, {
    headers: { 'X-Tenant': TENANT, Accept: 'application/json' },
  });
  expect(response.status()).toBe(200);
  return ((await response.json()) as { definition: { nodes: Record<string, unknown>[] } }).definition;
}

test('build a for-each group by drag and drop, publish it, run it, see each item', async ({ page }) => {
  const workflowId = await newWorkflow(page, `Review the top deals ${Date.now()}`);

  await dropNode(page, 'record_find', 0, 140);
  await dropNode(page, 'for_each', 0, 260);
  await expect(page.getByTestId('node-for_each_1')).toBeVisible();
  await expect(page.getByTestId('node-for_each_1')).toHaveClass(/group-node/);
  await fitView(page);

  // The update goes into the group: it becomes part of the loop's body.
  await dropNodeInto(page, 'record_update', 'for_each_1');
  await expect(page.getByTestId('node-record_update_1')).toHaveAttribute('data-parent', 'for_each_1');
  await expect(page.getByTestId('node-record_find_1')).toHaveAttribute('data-parent', '');

  await connect(page, 'trigger', 'out', 'record_find_1');
  await connect(page, 'record_find_1', 'out', 'for_each_1');
  await connect(page, 'for_each_1', 'item', 'record_update_1');
  await expect(page.locator('.react-flow__edge')).toHaveCount(3);
  // An edge into the body from outside the group is refused (only `item` enters it).
  await connect(page, 'record_find_1', 'out', 'record_update_1');
  await expect(page.locator('.react-flow__edge')).toHaveCount(3);
  await page.getByRole('button', { name: 'Auto-layout' }).click();
  await expect(page.getByTestId('node-record_update_1')).toHaveAttribute('data-parent', 'for_each_1');

  let panel = await selectNode(page, 'record_find_1');
  await panel.getByLabel('Pipeline').fill('deals');
  await panel.getByLabel('Sort By').fill('amount');
  await panel.getByLabel('Sort Direction').selectOption('desc');
  await panel.getByLabel('Limit').fill('3');

  panel = await selectGroup(page, 'for_each_1');
  await panel.getByLabel('Label').fill('Each top deal');
  await panel.getByLabel('Items').fill('{{ nodes.record_find_1.records }}');

  panel = await selectNode(page, 'record_update_1');
  await panel.getByLabel('Label').fill('Mark reviewed');
  await panel.getByLabel('Pipeline').fill('deals');
  await panel.getByLabel('Record Id').fill('{{ item.id }}');
  await panel.getByLabel('Data').fill('{"reviewed": "yes", "review_rank": "{{ index }}"}');

  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByText('Published v1')).toBeVisible();

  // What was saved: the body node's parentId, the group's size.
  const definition = await savedDefinition(page, workflowId);
  const update = definition.nodes.find((n) => n.id === 'record_update_1')!;
  const group = definition.nodes.find((n) => n.id === 'for_each_1')!;
  expect(update.parentId).toBe('for_each_1');
  expect(group.width).toBeGreaterThan(200);
  expect(group.height).toBeGreaterThan(100);

  await page.getByRole('button', { name: '▶ Run' }).click();
  const dialog = page.getByRole('dialog', { name: 'Run now' });
  await dialog.getByTestId('run-submit').click();
  await expect(page.getByTestId('run-bar')).toBeVisible();
  for (const id of ['trigger', 'record_find_1', 'for_each_1', 'record_update_1']) {
    await expect(page.getByTestId(`node-${id}`)).toHaveAttribute('data-status', 'success', { timeout: 90_000 });
  }
  await expect(page.getByTestId('execution-status')).toHaveText('success');

  // The body node's result per item: three deals, each updated.
  panel = await selectNode(page, 'record_update_1');
  await panel.getByTestId('tab-run').click();
  const items = panel.getByTestId('run-item');
  await expect(items).toHaveCount(3);
  for (let i = 0; i < 3; i += 1) await expect(items.nth(i)).toContainText('success');
  await expect(items.first()).toContainText(/"record":\{"id":\d+,"pipeline":"deals"/);
  await panel.evaluate((el) => el.scrollTo(0, el.scrollHeight)); // the items table in view
  await page.screenshot({ path: path.join(SCREENSHOTS, 'for-each-group.png') });
});

test('drag nodes in and out of groups, nest groups, copy, paste and delete a group', async ({ page }) => {
  await newWorkflow(page, `Groups scratch ${Date.now()}`);
  await dropNode(page, 'for_each', -150, 60);
  await fitView(page);
  await dropNodeInto(page, 'wait_delay', 'for_each_1', 0.3, 0.6);
  const wait = page.getByTestId('node-wait_delay_1');
  await expect(wait).toHaveAttribute('data-parent', 'for_each_1');

  // Out: drag it below the group, onto the empty canvas.
  const canvas = (await page.getByTestId('canvas').boundingBox())!;
  const group = (await page.getByTestId('node-for_each_1').boundingBox())!;
  await dragNodeTo(page, 'wait_delay_1', { x: group.x + group.width / 2, y: Math.min(group.y + group.height + 90, canvas.y + canvas.height - 40) });
  await expect(wait).toHaveAttribute('data-parent', '');
  // And back in.
  const again = (await page.getByTestId('node-for_each_1').boundingBox())!;
  await dragNodeTo(page, 'wait_delay_1', { x: again.x + again.width * 0.35, y: again.y + again.height * 0.6 });
  await expect(wait).toHaveAttribute('data-parent', 'for_each_1');

  // A for-each inside the for-each.
  await dropNodeInto(page, 'for_each', 'for_each_1', 0.75, 0.55);
  await expect(page.getByTestId('node-for_each_2')).toHaveAttribute('data-parent', 'for_each_1');

  // Copy the outer group: its body comes along, inside the pasted group.
  await selectGroup(page, 'for_each_1');
  await page.keyboard.press('Control+c');
  await page.keyboard.press('Control+v');
  await expect(page.getByTestId('node-for_each_3')).toHaveAttribute('data-parent', '');
  await expect(page.getByTestId('node-wait_delay_2')).toHaveAttribute('data-parent', 'for_each_3');
  await expect(page.getByTestId('node-for_each_4')).toHaveAttribute('data-parent', 'for_each_3');

  // Deleting the pasted group deletes its body.
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('node-for_each_3')).toHaveCount(0);
  await expect(page.getByTestId('node-wait_delay_2')).toHaveCount(0);
  await expect(page.getByTestId('node-for_each_4')).toHaveCount(0);
  await expect(page.getByTestId('node-wait_delay_1')).toHaveAttribute('data-parent', 'for_each_1');
});

test("a record trigger picks the tenant's pipelines and their fields", async ({ page }) => {
  const workflowId = await newWorkflow(page, `Deal won ${Date.now()}`);
  const panel = await selectNode(page, 'trigger');
  await panel.getByLabel('Trigger Type').selectOption('field_changed');
  const picker = panel.getByTestId('pipeline-picker');
  await expect(picker.getByRole('checkbox', { name: /Deals/ })).toBeVisible();
  await expect(picker).toContainText('None chosen: every pipeline');
  await picker.getByRole('checkbox', { name: /Deals/ }).check();
  await expect(picker).toContainText('1 chosen');

  // The watched fields are the pipeline's declared fields (and any other, typed).
  const fields = panel.getByTestId('watched-fields');
  await expect(fields.getByRole('checkbox', { name: /stage/ })).toBeVisible();
  await expect(fields.getByRole('checkbox', { name: /amount/ })).toBeVisible();
  await fields.getByRole('checkbox', { name: /stage/ }).check();
  await fields.getByLabel('Another field').fill('meta.priority');
  await fields.getByRole('button', { name: 'Add' }).click();
  await expect(fields.getByRole('checkbox', { name: 'meta.priority' })).toBeChecked();
  await panel.getByLabel('To Value').fill('won');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'trigger-pipeline-picker.png') });

  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByText('Published v1')).toBeVisible();
  const definition = await savedDefinition(page, workflowId);
  const trigger = definition.nodes.find((n) => n.id === 'trigger') as { data: { config: Record<string, unknown> } };
  expect(trigger.data.config).toMatchObject({
    trigger_type: 'field_changed',
    pipelines: ['deals'],
    fields: ['stage', 'meta.priority'],
    to_value: 'won',
  });
});
