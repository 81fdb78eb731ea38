/**
 * The builder end to end, in Chromium against the real CRM and Dagster instance: build a
 * workflow by drag and drop, configure it, see a publish error on the node and field it names,
 * fix it, publish, run it and watch the nodes turn green, open a node's output.
 */
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { SCREENSHOTS, connect, dropNode, login, selectNode } from './helpers';

const NAME = `Qualify the biggest deal ${Date.now()}`;

test.describe.configure({ mode: 'serial' });

test('build, fix, publish, run and inspect a workflow', async ({ page }) => {
  await login(page, 'acme_editor');
  await expect(page.getByRole('heading', { name: /Workflows of Acme/ })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Big deals digest' })).toBeVisible();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'workflow-list.png') });

  // Create: the editor opens with a manual trigger.
  await page.getByLabel('New workflow name').fill(NAME);
  await page.getByRole('button', { name: 'Create workflow' }).click();
  await expect(page.getByTestId('node-trigger')).toBeVisible();

  // The trigger's sample payload (a JSON editor generated from the schema).
  const trigger = await selectNode(page, 'trigger');
  await expect(trigger.getByTestId('trigger-note')).toBeVisible();
  await trigger.getByLabel('Sample Payload').fill('{"min_amount": 1000}');

  // Drag the three nodes in from the palette.
  await dropNode(page, 'record_find', -260, 170);
  await dropNode(page, 'condition', 0, 170);
  await dropNode(page, 'record_update', 260, 170);
  for (const id of ['record_find_1', 'condition_1', 'record_update_1']) {
    await expect(page.getByTestId(`node-${id}`)).toBeVisible();
  }

  // Connect trigger → find → condition (true) → update.
  await connect(page, 'trigger', 'out', 'record_find_1');
  await connect(page, 'record_find_1', 'out', 'condition_1');
  await connect(page, 'condition_1', 'true', 'record_update_1');
  await expect(page.locator('.react-flow__edge')).toHaveCount(3);
  // A connection that would close a cycle is refused (isValidConnection).
  await connect(page, 'record_update_1', 'out', 'record_find_1');
  await expect(page.locator('.react-flow__edge')).toHaveCount(3);
  await page.getByRole('button', { name: 'Auto-layout' }).click();

  // Configure: find the biggest lead.
  let panel = await selectNode(page, 'record_find_1');
  await panel.getByLabel('Label').fill('Find the biggest lead');
  await panel.getByLabel('Pipeline').fill('deals');
  await panel.getByLabel('Sort By').fill('amount');
  await panel.getByLabel('Sort Direction').selectOption('desc');
  await panel.getByLabel('Limit').fill('1');

  // The condition: found one, and big enough. The expression help lists what it may use.
  panel = await selectNode(page, 'condition_1');
  await expect(panel.getByText('{{ trigger.min_amount }}')).toBeVisible();
  await expect(panel.getByText('{{ nodes.record_find_1 }}', { exact: true })).toBeVisible();
  await expect(panel.getByLabel('Left')).toHaveCount(1); // minItems: 1 gives one empty rule
  await panel.getByLabel('Left').first().fill('{{ nodes.record_find_1.count }}');
  await panel.getByLabel('Operator').first().selectOption('>');
  await panel.getByLabel('Right').first().fill('0');

  // The update, without its data: publishing must refuse it and say where.
  panel = await selectNode(page, 'record_update_1');
  await panel.getByLabel('Label').fill('Mark qualified');
  await panel.getByLabel('Pipeline').fill('deals');
  await panel.getByLabel('Record Id').fill('{{ nodes.record_find_1.records[0].id }}');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await expect(page.getByText('Draft saved')).toBeVisible();

  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByText(/Not published: \d+ issue/)).toBeVisible();
  await expect(page.getByTestId('node-record_update_1')).toHaveClass(/has-issues/);
  panel = await selectNode(page, 'record_update_1');
  const dataField = panel.locator('.custom-field', { has: page.getByLabel('Data') });
  await expect(dataField).toHaveClass(/field-error/);
  await expect(dataField.locator('.text-danger')).toContainText(/at least 1 item/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'validation-error.png') });

  // Fix it and publish.
  await panel.getByLabel('Data').fill('{"stage": "qualified"}');
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByText('Published v1')).toBeVisible();
  await expect(page.getByTestId('node-record_update_1')).not.toHaveClass(/has-issues/);
  await expect(page.getByTestId('unsaved')).toHaveCount(0);

  // Run it with a test payload and watch every node finish green.
  await page.getByRole('button', { name: '▶ Run' }).click();
  const dialog = page.getByRole('dialog', { name: 'Run now' });
  await expect(dialog.getByLabel('Trigger payload (JSON)')).toHaveValue(/min_amount/);
  await dialog.getByLabel('Trigger payload (JSON)').fill('{"min_amount": 5000}');
  await dialog.getByTestId('run-submit').click();
  await expect(page.getByTestId('run-bar')).toBeVisible();
  for (const id of ['trigger', 'record_find_1', 'condition_1', 'record_update_1']) {
    await expect(page.getByTestId(`node-${id}`)).toHaveAttribute('data-status', 'success', { timeout: 60_000 });
  }
  await expect(page.getByTestId('execution-status')).toHaveText('success');
  await expect(page.getByTestId('dagster-link')).toHaveAttribute('href', /\/runs\/[0-9a-f-]+$/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'run-success.png') });

  // A node's input, output and duration.
  panel = await selectNode(page, 'record_find_1');
  await panel.getByTestId('tab-run').click();
  await expect(panel.getByTestId('run-output')).toContainText('"count": 1');
  await expect(panel.getByTestId('run-duration')).toContainText('ms');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'node-output.png') });
  panel = await selectNode(page, 'record_update_1');
  await panel.getByTestId('tab-run').click();
  await expect(panel.getByTestId('run-output')).toContainText('qualified');

  // Version history: publish a second version, roll back to the first.
  panel = await selectNode(page, 'record_find_1');
  await panel.getByRole('tab', { name: 'Configure' }).click();
  await panel.getByLabel('Limit').fill('2');
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByText('Published v2')).toBeVisible();
  await page.getByRole('button', { name: 'Versions' }).click();
  const versions = page.getByTestId('versions');
  await expect(versions.getByTestId('version-2')).toContainText('current');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'versions.png') });
  page.once('dialog', (d) => void d.accept());
  await versions.getByTestId('version-1').getByRole('button', { name: 'Roll back to this' }).click();
  await expect(page.getByText(/v1 is published again as v3/)).toBeVisible();
  await expect(versions.getByTestId('version-3')).toContainText('current');
});

test('undo, redo, copy and paste on the canvas', async ({ page }) => {
  await login(page, 'acme_editor');
  await page.getByLabel('New workflow name').fill(`Scratch ${Date.now()}`);
  await page.getByRole('button', { name: 'Create workflow' }).click();
  await expect(page.getByTestId('node-trigger')).toBeVisible();
  await dropNode(page, 'wait_delay', 0, 150);
  await expect(page.getByTestId('node-wait_delay_1')).toBeVisible();
  await page.getByTestId('canvas').click({ position: { x: 30, y: 30 } });
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('node-wait_delay_1')).toHaveCount(0);
  await page.keyboard.press('Control+Shift+z');
  await expect(page.getByTestId('node-wait_delay_1')).toBeVisible();
  await page.getByTestId('node-wait_delay_1').click();
  await page.keyboard.press('Control+c');
  await page.keyboard.press('Control+v');
  await expect(page.getByTestId('node-wait_delay_2')).toBeVisible();
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('node-wait_delay_2')).toHaveCount(0);
});

test('a viewer sees the workflow read-only', async ({ page }) => {
  await login(page, 'acme_viewer');
  await expect(page.getByRole('button', { name: 'Create workflow' })).toHaveCount(0);
  await page.getByRole('link', { name: 'Qualify top lead' }).click();
  await expect(page.getByTestId('readonly-banner')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Publish' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: '▶ Run' })).toHaveCount(0);
  await expect(page.locator('.palette')).toHaveCount(0);
  const panel = await selectNode(page, 'find_lead');
  await expect(panel.getByLabel('Pipeline')).toBeDisabled();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'viewer-read-only.png') });
});
