import { expect, test } from '@playwright/test';

test('shows the maintenance banner', async ({ page }) => {
  await page.goto('/');
  // The page has no such banner: this test fails on every attempt.
  await expect(page.getByRole('heading', { name: 'Down for maintenance' })).toBeVisible({ timeout: 500 });
});

test('loads the dashboard on a retry', async ({ page }, testInfo) => {
  await page.goto('/');
  // Flaky on purpose: the first attempt fails, the retry passes.
  expect(testInfo.retry, 'the first attempt fails on purpose').toBeGreaterThan(0);
});
