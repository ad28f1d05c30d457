/** The server's clock. Receipt times come from here; tests may install a clock they move by hand. */
export type Clock = () => Date;

/** The machine's clock: the server's, unless a test installs one of its own. */
export const systemClock: Clock = () => new Date();

/** A clock that starts at the real time and moves only when told to. */
export function manualClock(start = new Date()): Clock & { advance(seconds: number): void; set(date: Date): void } {
  let t = start.getTime();
  const clock = () => new Date(t);
  return Object.assign(clock, {
    advance(seconds: number) {
      t += seconds * 1000;
    },
    set(date: Date) {
      t = date.getTime();
    },
  });
}
