// Node 20 lacks Map.groupBy / Object.groupBy (Node 21+), which Vitest 5's reporter uses when it
// prints a failure. Loaded with --import for the test runner only; the app never needs it.
if (typeof Map.groupBy !== 'function') {
  Map.groupBy = (items, key) => {
    const out = new Map();
    let i = 0;
    for (const item of items) {
      const k = key(item, i++);
      const list = out.get(k);
      if (list) list.push(item);
      else out.set(k, [item]);
    }
    return out;
  };
}
if (typeof Object.groupBy !== 'function') {
  Object.groupBy = (items, key) => {
    const out = Object.create(null);
    let i = 0;
    for (const item of items) (out[key(item, i++)] ??= []).push(item);
    return out;
  };
}
