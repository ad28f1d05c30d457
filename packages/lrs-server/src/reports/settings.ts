import type { settingsInput } from '@xcredit/sdk/contracts';
import type { z } from 'zod';
import type { Db } from '../db/index.js';

export interface TenantSettings {
  leaderboard: boolean;
}

const DEFAULTS: TenantSettings = { leaderboard: false };

export async function getSettings(db: Db, tenantId: string): Promise<TenantSettings> {
  const row = await db.selectFrom('tenants').select('settings').where('id', '=', tenantId).executeTakeFirstOrThrow();
  return { ...DEFAULTS, ...(row.settings as Partial<TenantSettings>) };
}

export async function updateSettings(db: Db, tenantId: string, input: z.infer<typeof settingsInput>): Promise<TenantSettings> {
  const next = { ...(await getSettings(db, tenantId)), ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) };
  await db.updateTable('tenants').set({ settings: JSON.stringify(next) }).where('id', '=', tenantId).execute();
  return next;
}
