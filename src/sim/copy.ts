/**
 * Messages and stored values are copied, as a network or a disk would: a node that mutates an object
 * after sending it must not change what the receiver gets. Plain data (the common case) is copied by
 * hand, several times faster than structuredClone on small objects; anything else goes through
 * structuredClone. Functions cannot travel and are reported with where they were found.
 */
export function copyData<T>(value: T): T {
  return copyAt(value, '') as T;
}

function copyAt(value: unknown, path: string): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function') throw new TypeError(`messages and stored values must be plain data, but ${path ? `\`${path.slice(1)}\`` : 'the value'} is a function`);
    if (typeof value === 'symbol') throw new TypeError(`messages and stored values must be plain data, but ${path ? `\`${path.slice(1)}\`` : 'the value'} is a symbol`);
    return value;
  }
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyAt(value[i], `${path}[${i}]`);
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = copyAt((value as Record<string, unknown>)[key], `${path}.${key}`);
  return out;
}
