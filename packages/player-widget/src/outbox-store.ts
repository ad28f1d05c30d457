/** One queued statement and where it must go. */
export interface OutboxRecord {
  /** The statement id; the key, so a retry can never create a second copy. */
  id: string;
  /** xAPI endpoint, no trailing slash. */
  endpoint: string;
  /** Launch token the statement was written under. */
  token: string;
  statement: unknown;
  /** Set for a credits API call (heartbeat, attention answer): `statement` is its JSON body, posted alone to this URL. */
  url?: string | undefined;
  /** Epoch ms and a page-wide counter: the order statements were queued in. */
  queuedAt: number;
  seq: number;
}

/** Where the outbox keeps statements until the server acknowledges them. */
export interface OutboxStore {
  /** False when statements live only as long as the page. */
  readonly durable: boolean;
  put(record: OutboxRecord): Promise<void>;
  delete(ids: readonly string[]): Promise<void>;
  /** Everything queued for an endpoint, by any earlier page, in queue order. */
  forEndpoint(endpoint: string): Promise<OutboxRecord[]>;
  close(): void;
}

export const OUTBOX_DB = 'xcredit-outbox';
const STORE = 'statements';

/**
 * Opens the IndexedDB outbox, or a store that keeps nothing when IndexedDB is missing or
 * refuses (private windows, blocked storage): the outbox then works from memory alone.
 */
export async function openOutboxStore(factory: IDBFactory | null | undefined): Promise<OutboxStore> {
  if (!factory) return memoryOnlyStore;
  try {
    const db = await request<IDBDatabase>(factory.open(OUTBOX_DB, 1), (req) => {
      (req as IDBOpenDBRequest).onupgradeneeded = () => {
        const store = (req as IDBOpenDBRequest).result.createObjectStore(STORE, { keyPath: 'id' });
        store.createIndex('endpoint', 'endpoint');
      };
    });
    return new IdbStore(db);
  } catch {
    return memoryOnlyStore;
  }
}

/** Keeps nothing: the outbox's own queue is then the only copy. */
export const memoryOnlyStore: OutboxStore = {
  durable: false,
  put: async () => {},
  delete: async () => {},
  forEndpoint: async () => [],
  close: () => {},
};

class IdbStore implements OutboxStore {
  readonly durable = true;
  constructor(private readonly db: IDBDatabase) {
    // Another tab upgrading the database must not be blocked by this one.
    db.onversionchange = () => db.close();
  }

  put(record: OutboxRecord): Promise<void> {
    return this.write((store) => store.put(record));
  }

  delete(ids: readonly string[]): Promise<void> {
    return this.write((store) => {
      for (const id of ids) store.delete(id);
    });
  }

  async forEndpoint(endpoint: string): Promise<OutboxRecord[]> {
    const tx = this.db.transaction(STORE, 'readonly');
    const records = await request<OutboxRecord[]>(tx.objectStore(STORE).index('endpoint').getAll(endpoint));
    return records.sort((a, b) => a.queuedAt - b.queuedAt || a.seq - b.seq);
  }

  close(): void {
    this.db.close();
  }

  /** Resolves once the transaction has committed, so "written" means durable. */
  private write(body: (store: IDBObjectStore) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(STORE, 'readwrite');
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
      body(tx.objectStore(STORE));
    });
  }
}

function request<T>(req: IDBRequest, setup?: (req: IDBRequest) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    setup?.(req);
    req.onsuccess = () => resolve(req.result as T);
    req.onerror = () => reject(req.error);
  });
}

const JOURNAL_PREFIX = 'xcredit-outbox-exit:';

/**
 * Writes records synchronously on `pagehide`: the page is being torn down, IndexedDB
 * transactions begun now are aborted with it, and localStorage is the one store that finishes.
 */
export function writeExitJournal(storage: Storage | null, endpoint: string, records: readonly OutboxRecord[]): void {
  if (!storage || records.length === 0) return;
  try {
    const key = JOURNAL_PREFIX + endpoint;
    const earlier = parseJournal(storage.getItem(key));
    storage.setItem(key, JSON.stringify([...earlier, ...records]));
  } catch {
    // Storage full or blocked: the keepalive request is the remaining chance.
  }
}

/** Takes (reads and clears) what earlier pages journaled for this endpoint. */
export function takeExitJournal(storage: Storage | null, endpoint: string): OutboxRecord[] {
  if (!storage) return [];
  try {
    const key = JOURNAL_PREFIX + endpoint;
    const records = parseJournal(storage.getItem(key));
    storage.removeItem(key);
    return records;
  } catch {
    return [];
  }
}

function parseJournal(text: string | null): OutboxRecord[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((r): r is OutboxRecord => typeof r?.id === 'string' && typeof r?.token === 'string') : [];
  } catch {
    return [];
  }
}
