/** How a number reads in a sentence or a table: 3 significant digits, whole from 100 on. */
export function plainNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a === 0) return '0';
  if (a >= 1e6 || a < 1e-4) return n.toExponential(2);
  if (a >= 100) return n.toFixed(0);
  return String(Number(n.toPrecision(3)));
}
