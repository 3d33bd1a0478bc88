import { expect, test } from '@playwright/test';

function fromEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set: run this suite through stagebot's command runner`);
  return value;
}

test.describe('stage page', () => {
  test('signs in with the test user', async ({ page }) => {
    const user = fromEnv('TEST_USER');
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Acme staging');
    await page.getByLabel('User').fill(user);
    await page.getByLabel('Password').fill(fromEnv('TEST_PASSWORD'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Welcome, ${user}`);
  });

  test.skip('exports the invoice as PDF', async ({ page }) => {
    await page.goto('/invoices');
  });
});
