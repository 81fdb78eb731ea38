/** Shared steps of the builder's end-to-end tests. */
import { expect, type Locator, type Page } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCREENSHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');

export async function login(page: Page, username: string, password = 'demo'): Promise<void> {
  await page.goto('/builder/');
  await expect(page).toHaveURL(/\/builder\/login\//);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('who')).toContainText(username);
}

async function centre(locator: Locator): Promise<{ x: number; y: number }> {
  const box = await locator.boundingBox();
  if (!box) throw new Error('element is not visible');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drag a node type from the palette onto the canvas at an offset from the canvas centre. */
export async function dropNode(page: Page, type: string, dx: number, dy: number): Promise<void> {
  const canvas = page.getByTestId('canvas');
  const box = (await canvas.boundingBox())!;
  await page.getByTestId(`palette-${type}`).dragTo(canvas, {
    targetPosition: { x: box.width / 2 + dx, y: box.height / 2 + dy },
  });
}

/** Drag from a node's output handle to another node's input handle. */
export async function connect(page: Page, source: string, handle: string, target: string): Promise<void> {
  const from = await centre(page.getByTestId(`handle-${source}-${handle}`));
  const to = await centre(page.getByTestId(`node-${target}`).locator('.react-flow__handle.target'));
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 5 });
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await page.mouse.up();
}

/** Click a node until its panel shows: a click while the viewport still moves (auto-layout and
 * fit-view animate for 300 ms, starting a frame later) can land on the pane beside it. */
export async function selectNode(page: Page, nodeId: string): Promise<Locator> {
  const panel = page.getByTestId('node-panel');
  await expect(async () => {
    await page.getByTestId(`node-${nodeId}`).click();
    await expect(panel.getByTestId('node-id')).toHaveText(nodeId, { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  return panel;
}

/** Drag a node type from the palette into a for-each group (onto its body, under the header). */
export async function dropNodeInto(page: Page, type: string, groupId: string, fx = 0.5, fy = 0.7): Promise<void> {
  const group = page.getByTestId(`node-${groupId}`);
  const box = (await group.boundingBox())!;
  await page.getByTestId(`palette-${type}`).dragTo(group, {
    targetPosition: { x: box.width * fx, y: box.height * fy },
  });
}

/** Select a for-each group by its header (its middle may be covered by its body's nodes). */
export async function selectGroup(page: Page, groupId: string): Promise<Locator> {
  const panel = page.getByTestId('node-panel');
  await expect(async () => {
    await page.getByTestId(`group-head-${groupId}`).click({ position: { x: 60, y: 12 } });
    await expect(panel.getByTestId('node-id')).toHaveText(groupId, { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  return panel;
}

/** Drag a node on the canvas (by its top strip) to a screen point, with intermediate moves. */
export async function dragNodeTo(page: Page, nodeId: string, to: { x: number; y: number }): Promise<void> {
  const box = (await page.getByTestId(`node-${nodeId}`).boundingBox())!;
  const from = { x: box.x + box.width / 2, y: box.y + 10 };
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 10, from.y + 10, { steps: 3 });
  await page.mouse.move(to.x, to.y, { steps: 15 });
  await page.mouse.up();
}

/** Fit the whole drawing into the canvas (React Flow's controls). */
export async function fitView(page: Page): Promise<void> {
  await page.locator('.react-flow__controls-fitview').click();
}
