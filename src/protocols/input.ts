import { readFileSync } from 'node:fs';
import { SnagError } from '../core/errors.js';

/** Reads one of the JSON files an orchestrator passes (--config, --catalog, --state); `field` names the flag. */
export function readJsonFile(path: string, field: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SnagError('config', `Cannot read the ${field} file ${path}${code ? ` (${code})` : ''}.`, {
      hint: `Check the path given to --${field}.`,
      details: { field },
    });
  }
  // An empty state file is how some runners say "no state yet".
  if (text.trim() === '' && field === 'state') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SnagError('config', `The ${field} file ${path} is not valid JSON: ${(err as Error).message}.`, {
      details: { field },
    });
  }
}

/** Writes protocol messages one JSON object a line; never lets the token through, whatever a message holds. */
export function lineWriter(
  write: (line: string) => void,
  secrets: () => readonly string[],
): (message: unknown) => void {
  return (message) => {
    let line = JSON.stringify(message);
    for (const s of secrets()) if (s && line.includes(s)) line = line.split(s).join('[REDACTED]');
    write(`${line}\n`);
  };
}
