/**
 * Progress of a long bench on stderr. On a terminal one line, rewritten in place; elsewhere (a
 * pipe, a CI log) one line per phase, so the log stays readable and stdout's tables are not
 * interleaved with it.
 */
let lastPhase = '';

/** Reports `detail` of `phase` (e.g. phase "bench nab: fold artificial", detail "candidate 3/39"). */
export function progress(phase: string, detail = ''): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${phase}${detail ? `, ${detail}` : ''}`);
  else if (phase !== lastPhase) process.stderr.write(`${phase}\n`);
  lastPhase = phase;
}

/** Ends the current progress line (a terminal's in-place line gets its newline). */
export function progressDone(): void {
  if (process.stderr.isTTY && lastPhase !== '') process.stderr.write('\n');
  lastPhase = '';
}
