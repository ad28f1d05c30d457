import { createRequire } from 'node:module';
import type { Express, Request, Response, NextFunction } from 'express';
import type { Got } from 'got';
import { guardLtijsRequests } from '../net/outbound.js';

/** What xcredit uses of an ltijs Provider (ltijs ships no types). */
export interface LtijsProvider {
  app: Express;
  setup(encryptionKey: string, database: { plugin: unknown; url?: string }, options: Record<string, unknown>): LtijsProvider;
  deploy(options: { serverless: true; silent?: boolean }): Promise<true>;
  close(options?: { silent?: boolean }): Promise<true>;
  onConnect(cb: (token: IdToken, req: Request, res: Response, next: NextFunction) => unknown): true;
  onDeepLinking(cb: (token: IdToken, req: Request, res: Response, next: NextFunction) => unknown): true;
  onDynamicRegistration(cb: (req: Request, res: Response, next: NextFunction) => unknown): true;
  onInvalidToken(cb: (req: Request, res: Response) => unknown): true;
  onSessionTimeout(cb: (req: Request, res: Response) => unknown): true;
  onUnregisteredPlatform(cb: (req: Request, res: Response) => unknown): true;
  onInactivePlatform(cb: (req: Request, res: Response) => unknown): true;
  registerPlatform(platform: {
    url: string;
    name: string;
    clientId: string;
    authenticationEndpoint: string;
    accesstokenEndpoint: string;
    authorizationServer?: string | undefined;
    authConfig: { method: 'JWK_SET' | 'JWK_KEY' | 'RSA_KEY'; key: string };
  }): Promise<LtijsPlatform>;
  getPlatform(url: string, clientId: string): Promise<LtijsPlatform | false>;
  getPlatformById(id: string): Promise<LtijsPlatform | false>;
  deletePlatformById(id: string): Promise<true>;
  Grade: {
    getLineItems(token: unknown, options?: Record<string, unknown>): Promise<{ lineItems: Array<Record<string, any>> }>;
    createLineItem(token: unknown, lineItem: Record<string, unknown>): Promise<Record<string, any>>;
    submitScore(token: unknown, lineItemId: string, score: Record<string, unknown>): Promise<Record<string, unknown>>;
  };
  DeepLinking: { createDeepLinkingMessage(token: IdToken, items: unknown[], options?: { message?: string }): Promise<string> };
  NamesAndRoles: { getMembers(token: unknown, options?: Record<string, unknown>): Promise<{ members: Array<Record<string, any>> }> };
}

export interface LtijsPlatform {
  platformId(): Promise<string>;
  platformActive(active?: boolean): Promise<boolean>;
  platformJSON(): Promise<Record<string, unknown>>;
}

/** The id_token ltijs keeps for a launch, with its context (what `onConnect` receives). */
export interface IdToken {
  iss: string;
  user: string;
  userInfo: { given_name?: string; family_name?: string; name?: string; email?: string };
  clientId: string;
  platformId: string;
  deploymentId: string;
  platformContext: {
    contextId: string;
    context?: { id: string; label?: string; title?: string };
    resource?: { id: string; title?: string };
    roles?: string[];
    custom?: Record<string, unknown>;
    messageType: string;
    targetLinkUri?: string;
    lis?: { person_sourcedid?: string };
    endpoint?: { scope?: string[]; lineitems?: string; lineitem?: string };
    namesRoles?: { context_memberships_url: string };
    deepLinkingSettings?: { deep_link_return_url: string; accept_types: string[]; accept_multiple?: boolean; data?: string };
  };
}

/**
 * A fresh ltijs Provider. ltijs exports one instance per process; xcredit makes its own from that
 * instance's class so each app (and each test server) has its own routes and storage.
 */
export function newProvider(): LtijsProvider {
  const require = createRequire(import.meta.url);
  const ltijs = require('ltijs') as { Provider: object };
  // Every request ltijs makes to a platform goes through this one got instance.
  guardLtijsRequests(createRequire(require.resolve('ltijs'))('./dist/Utils/Http.js') as Got);
  const Provider = ltijs.Provider.constructor as new () => LtijsProvider;
  return new Provider();
}
