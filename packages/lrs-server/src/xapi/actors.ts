import { createHash } from 'node:crypto';

interface Ifi {
  mbox?: string | undefined;
  mbox_sha1sum?: string | undefined;
  openid?: string | undefined;
  account?: { homePage: string; name: string } | undefined;
}

/**
 * One string per inverse functional identifier, so statements about the same person match
 * whichever way they were written. An mbox is keyed by its SHA-1 so that `mbox` and
 * `mbox_sha1sum` of one address are the same agent.
 */
export function actorKey(actor: Ifi): string {
  if (actor.account) return `account:${actor.account.homePage}|${actor.account.name}`;
  if (actor.mbox) return `sha1:${createHash('sha1').update(actor.mbox).digest('hex')}`;
  if (actor.mbox_sha1sum) return `sha1:${actor.mbox_sha1sum.toLowerCase()}`;
  if (actor.openid) return `openid:${actor.openid}`;
  return 'anonymous';
}

/** The xAPI actor of a learner: an account on the tenant's home page. */
export function learnerActor(homePage: string, learnerId: string) {
  return { objectType: 'Agent' as const, account: { homePage, name: learnerId } };
}
