import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import type { Simulator } from '../../src/sim/index.js';

/** The Airbyte protocol's own JSON Schema (test/fixtures/protocols, see SOURCES.md), compiled once. */
const FIXTURES = new URL('../fixtures/protocols/', import.meta.url);

let messageValidator: ValidateFunction | undefined;
export function airbyteMessageValidator(): ValidateFunction {
  if (messageValidator) return messageValidator;
  const protocol = parse(readFileSync(new URL('airbyte_protocol.yaml', FIXTURES), 'utf8')) as Record<string, unknown>;
  // The protocol marks Java types with a keyword of its own; ajv must be told it is an annotation, not a typo.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...protocol, $id: 'airbyte_protocol.yaml' });
  messageValidator = ajv.compile({ $ref: 'airbyte_protocol.yaml#/definitions/AirbyteMessage' });
  return messageValidator;
}

/** Every message must validate; returns the failures as readable lines (empty when all pass). */
export function invalidMessages(messages: readonly Record<string, unknown>[]): string[] {
  const v = airbyteMessageValidator();
  const out: string[] = [];
  for (const m of messages) {
    if (!v(m)) out.push(`${JSON.stringify(m).slice(0, 200)} → ${JSON.stringify(v.errors?.slice(0, 3))}`);
  }
  return out;
}

/** Parses stdout: every line must be one JSON object (nothing else may be written there). */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`stdout carries a line that is not JSON: ${l.slice(0, 200)}`);
      }
    });
}

export interface Workdir {
  dir: string;
  file(name: string, content: unknown): string;
  cleanup(): void;
}

export function workdir(): Workdir {
  const dir = mkdtempSync(join(tmpdir(), 'snagsync-protocols-'));
  return {
    dir,
    file: (name, content) => {
      const p = join(dir, name);
      writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function adminToken(sim: Simulator): string {
  return sim.tokens.find((t) => t.role === 'admin')!.token;
}

/** Pacing knobs only (see engine/client.ts); the home is the connector's own throwaway one. */
export const CLI_ENV: NodeJS.ProcessEnv = {
  SNAGSYNC_RETRY_BASE_MS: '20',
  SNAGSYNC_HOME: '/nonexistent-home-must-not-be-used',
};

export function configuredCatalog(streams: Array<[string, 'full_refresh' | 'incremental']>): Record<string, unknown> {
  return {
    streams: streams.map(([name, mode]) => ({
      stream: { name, json_schema: {}, supported_sync_modes: [mode] },
      sync_mode: mode,
      destination_sync_mode: mode === 'incremental' ? 'append_dedup' : 'overwrite',
    })),
  };
}
