// What test/support/global-setup.ts provides to every test file.
declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}
export {};
