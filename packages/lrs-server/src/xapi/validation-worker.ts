import { parentPort } from 'node:worker_threads';
import type { Principal } from '../auth/principal.js';
import { HttpError } from '../http-error.js';
import { parseJson } from './body.js';
import { prepareWrite } from './prepare.js';
import type { ValidationAnswer, ValidationTask } from './validation-pool.js';

// One thread of the validation pool: answers each task with the prepared write or the error.
parentPort!.on('message', async (task: ValidationTask) => {
  let answer: ValidationAnswer;
  try {
    const principal = { ...task.principal, ...(Array.isArray(task.principal.scopes) ? { scopes: new Set(task.principal.scopes) } : {}) } as unknown as Principal;
    const body = parseJson(Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength), 'statement body');
    answer = { id: task.id, write: await prepareWrite(principal, body, { version: task.version, stored: new Date(task.stored) }) };
  } catch (err) {
    answer =
      err instanceof HttpError
        ? { id: task.id, error: { status: err.status, code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}), ...(err.headers ? { headers: err.headers } : {}) } }
        : { id: task.id, crash: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(answer);
});
