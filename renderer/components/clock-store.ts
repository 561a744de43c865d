// One shared ticking clock for relative times ("5 min ago"), so a list of thousands of rows
// re-renders from a single interval instead of one timer per row.

import { create } from 'zustand';

interface ClockState {
  now: number;
}

export const useClock = create<ClockState>()(() => ({ now: Date.now() }));

let timer: ReturnType<typeof setInterval> | null = null;

export function startClock(intervalMs = 5_000): () => void {
  if (timer === null) timer = setInterval(() => useClock.setState({ now: Date.now() }), intervalMs);
  return () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
}

export function useNow(): number {
  return useClock((s) => s.now);
}
