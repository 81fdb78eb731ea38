/**
 * Approvals end to end: an editor builds trigger → approval (role "approver") → a task on
 * `approved` (and another on `rejected`), publishes and runs it; the run view shows the approval
 * `waiting` and keeps following. An approver opens the inbox, sees a stale approval refused
 * (409, decided meanwhile through the API) and approves the other with a note; the editor's
 * still-open run view (never reloaded) turns green along the approved branch.
 */
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import path from 'node:path';
import { SCREENSHOTS, connect, dropNode, login, selectNode } from './helpers';

const NAME = `Discount approval ${Date.now()}`;
const TENANT = 'acme';

/** Headers for the API with the page's Django session (CSRF token from its cookie). */
async function apiHeaders(page: Page): Promise<Record<string, string>> {
  const cookies = await page.context().cookies();
  const csrf = cookies.find((c) => c.name === 'csrftoken')?.value ?? '';
  return { 'X-Tenant': TENANT, 'X-CSRFToken': csrf, Accept: 'application/json' };
}

async function apiPost(page: Page, request: APIRequestContext, url: string, data: unknown) {
  const response = await request.post(url, { headers: await apiHeaders(page), data });
  return { status: response.status(), body: (await response.json()) as Record<string, unknown> };
}

test('approve from the inbox; the run waits, then resumes along the approved branch', async ({ page, browser }) => {
  // -- the editor builds the workflow ---------------------------------------------------------
  await login(page, 'acme_editor');
  await page.getByLabel('New workflow name').fill(NAME);
  await page.getByRole('button', { name: 'Create workflow' }).click();
  await expect(page.getByTestId('node-trigger')).toBeVisible();
  const workflowId = page.url().match(/workflows\/([0-9a-f-]+)/)![1];

  const trigger = await selectNode(page, 'trigger');
  await trigger
    .getByLabel('Sample Payload')
    .fill('{"deal": {"name": "Globex renewal", "amount": 48000}, "discount": 15}');

  await dropNode(page, 'approval', 0, 120);
  await dropNode(page, 'task_notify', -200, 300);
  await dropNode(page, 'task_notify', 200, 300);
  for (const id of ['approval_1', 'task_notify_1', 'task_notify_2']) {
    await expect(page.getByTestId(`node-${id}`)).toBeVisible();
  }
  // The approval's outcomes are its output handles.
  for (const handle of ['approved', 'rejected', 'expired']) {
    await expect(page.getByTestId(`handle-approval_1-${handle}`)).toBeVisible();
  }
  await connect(page, 'trigger', 'out', 'approval_1');
  await connect(page, 'approval_1', 'approved', 'task_notify_1');
  await connect(page, 'approval_1', 'rejected', 'task_notify_2');
  await expect(page.locator('.react-flow__edge')).toHaveCount(3);
  await page.getByRole('button', { name: 'Auto-layout' }).click();

  let panel = await selectNode(page, 'approval_1');
  await panel.getByLabel('Label').fill('Manager approval');
  await panel.getByLabel('Title').fill('Approve a {{ trigger.discount }}% discount for {{ trigger.deal.name }}');
  await panel.getByLabel('Description').fill('The customer asks for a discount on the renewal.');
  await panel.getByLabel('Assign To Role').selectOption('approver');
  await panel.getByLabel('Data').fill('{{ trigger.deal }}');
  await panel.getByLabel('Expires In Hours').fill('48');

  panel = await selectNode(page, 'task_notify_1');
  await panel.getByLabel('Label').fill('Tell sales: approved');
  await panel.getByLabel('Title').fill('Discount approved for {{ trigger.deal.name }}');
  await panel.getByLabel('Assign To Role').selectOption('editor');
  panel = await selectNode(page, 'task_notify_2');
  await panel.getByLabel('Label').fill('Tell sales: rejected');
  await panel.getByLabel('Title').fill('Discount rejected for {{ trigger.deal.name }}');
  await panel.getByLabel('Assign To Role').selectOption('editor');

  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByText('Published v1')).toBeVisible();

  // -- run it: the approval node waits, and waiting does not look finished ---------------------
  await page.getByRole('button', { name: '▶ Run' }).click();
  const dialog = page.getByRole('dialog', { name: 'Run now' });
  await expect(dialog.getByLabel('Trigger payload (JSON)')).toHaveValue(/Globex renewal/);
  await dialog.getByTestId('run-submit').click();
  await expect(page.getByTestId('node-trigger')).toHaveAttribute('data-status', 'success', { timeout: 60_000 });
  await expect(page.getByTestId('node-approval_1')).toHaveAttribute('data-status', 'waiting', { timeout: 60_000 });
  await expect(page.getByTestId('waiting-approval_1')).toContainText('waiting for a decision');
  await expect(page.getByTestId('execution-status')).toHaveText('waiting');
  await expect(page.getByTestId('waiting-note')).toContainText('Manager approval');
  await expect(page.getByTestId('live')).toHaveText('● following');
  await expect(page.getByTestId('node-task_notify_1')).toHaveAttribute('data-status', '');
  const executionId = (await page.getByTestId('run-bar').getAttribute('data-execution-id'))!;
  panel = await selectNode(page, 'approval_1');
  await panel.getByTestId('tab-run').click();
  await expect(panel.getByTestId('run-waiting')).toContainText('Waiting for a decision');
  await page.getByTestId('canvas').click({ position: { x: 30, y: 30 } });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'run-waiting.png') });

  // A second run through the API (the approver will find it decided before clicking).
  const second = await apiPost(page, page.request, `/api/workflows/${workflowId}/run`, {
    payload: { deal: { name: 'Initech expansion', amount: 12000 }, discount: 30 },
    wait: false,
  });
  expect(second.status).toBeLessThan(300);
  const secondExecution = String(second.body.execution_id);
  // An editor may not decide approvals: the inbox (another tab) says so and offers no buttons.
  const editorInbox = await page.context().newPage();
  await editorInbox.goto('/builder/approvals');
  await expect(editorInbox.getByTestId('cannot-decide')).toBeVisible();
  await expect(editorInbox.locator(`[data-execution-id="${executionId}"]`)).toContainText('you may not decide it');
  await expect(editorInbox.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await editorInbox.close();

  // -- the approver's inbox ------------------------------------------------------------------
  const approverContext = await browser.newContext();
  const approver = await approverContext.newPage();
  await login(approver, 'acme_approver');
  await expect(approver.getByTestId('approvals-count')).toHaveText('2', { timeout: 60_000 });
  await approver.getByTestId('nav-approvals').click();
  await expect(approver).toHaveURL(/\/builder\/approvals$/);
  const mine = approver.locator(`[data-execution-id="${executionId}"]`);
  const stale = approver.locator(`[data-execution-id="${secondExecution}"]`);
  await expect(mine).toBeVisible();
  await expect(stale).toBeVisible();
  await expect(mine.getByRole('heading', { level: 2 })).toHaveText('Approve a 15% discount for Globex renewal');
  await expect(mine).toContainText('The customer asks for a discount on the renewal.');
  await expect(mine.getByTestId('approval-data')).toContainText('"amount": 48000');
  await expect(mine.getByTestId('approval-workflow')).toContainText(NAME);
  await expect(mine.getByTestId('approval-requested')).toContainText(/ago|just now/);
  await expect(mine.getByTestId('approval-expiry')).toContainText(/expires in (47|48) h/);
  await expect(mine).toContainText('role approver');
  await mine.getByLabel('Note').fill('Fits the quarterly budget.');
  await approver.screenshot({ path: path.join(SCREENSHOTS, 'approvals-inbox.png'), fullPage: true });

  // Decided meanwhile (through the API): the inbox's click is refused with a 409 and explained.
  const staleId = (await stale.getAttribute('data-testid'))!.replace('approval-', '');
  const elsewhere = await apiPost(approver, approver.request, `/api/approvals/${staleId}/decide`, {
    decision: 'reject',
    note: 'Too deep a discount.',
  });
  expect(elsewhere.status).toBe(200);
  await stale.getByRole('button', { name: 'Approve' }).click();
  const message = approver.getByTestId('decision-message');
  await expect(message).toContainText('already rejected');
  await expect(message).toContainText('not recorded');
  await expect(stale).toHaveCount(0);
  await expect(approver.getByTestId('approvals-count')).toHaveText('1');

  // The rejection resumed that execution along its rejected branch, to the end.
  await expect
    .poll(
      async () => {
        const response = await approver.request.get(`/api/executions/${secondExecution}`, {
          headers: await apiHeaders(approver),
        });
        return ((await response.json()) as { status: string }).status;
      },
      { timeout: 60_000 },
    )
    .toBe('success');

  // Approve with the note: the list refreshes and the badge goes.
  await mine.getByRole('button', { name: 'Approve' }).click();
  await expect(message).toContainText('Approved “Approve a 15% discount for Globex renewal”');
  await expect(mine).toHaveCount(0);
  await expect(approver.getByTestId('approvals-empty')).toBeVisible();
  await expect(approver.getByTestId('approvals-count')).toHaveCount(0);

  // -- the editor's open run view followed the execution through the resume --------------------
  await expect(page.getByTestId('execution-status')).toHaveText('success', { timeout: 60_000 });
  await expect(page.getByTestId('node-approval_1')).toHaveAttribute('data-status', 'success');
  await expect(page.getByTestId('node-task_notify_1')).toHaveAttribute('data-status', 'success');
  await expect(page.getByTestId('node-task_notify_2')).toHaveAttribute('data-status', 'skipped');
  await expect(page.getByTestId('rf__edge-e_approval_1_approved_task_notify_1')).toHaveClass(/taken/);
  await expect(page.getByTestId('rf__edge-e_approval_1_rejected_task_notify_2')).not.toHaveClass(/taken/);
  panel = await selectNode(page, 'approval_1');
  await panel.getByTestId('tab-run').click();
  await expect(panel.getByTestId('run-output')).toContainText('Fits the quarterly budget.');
  await expect(panel.getByTestId('run-output')).toContainText('acme_approver');
  await expect(panel.getByTestId('run-attempts')).toContainText('resumed');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'run-approved.png') });

  // -- the approver reads the decided approval and its run (approvers may read executions) -----
  await approver.getByRole('tab', { name: /All in/ }).click();
  await approver.getByLabel('Status').selectOption('approved');
  const decided = approver.locator(`[data-execution-id="${executionId}"]`);
  await expect(decided).toContainText('by acme_approver');
  await expect(decided).toContainText('Fits the quarterly budget.');
  await decided.getByRole('link', { name: 'open the run' }).click();
  await expect(approver.getByTestId('readonly-banner')).toBeVisible();
  await expect(approver.getByTestId('execution-status')).toHaveText('success');
  await expect(approver.getByTestId('node-task_notify_1')).toHaveAttribute('data-status', 'success');
  await approverContext.close();
});
