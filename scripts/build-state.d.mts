export function fingerprint(root: string): string | null;
export function upToDate(root: string): boolean;
export function markBuilt(root: string): void;
