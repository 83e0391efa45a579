import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { invalidMessages, jsonLines } from './helpers.js';

/**
 * The Docker image cannot be built here, so its entry point is run as a plain command: the Dockerfile's ENTRYPOINT
 * with the image's code folder mapped to this repository. The metadata Airbyte reads must name the same version.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dockerfile = readFileSync(new URL('Dockerfile', `file://${ROOT}`), 'utf8');
const workdir = /^WORKDIR (\S+)$/gm;

function entrypoint(): string[] {
  const m = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  if (!m) throw new Error('the Dockerfile has no exec-form ENTRYPOINT');
  const codeDir = [...dockerfile.matchAll(workdir)].at(-1)![1]!;
  return (JSON.parse(m[1]!) as string[]).map((a) => a.replace(codeDir, ROOT.replace(/\/$/, '')));
}

describe('the connector image', () => {
  it('its entry point, run as a command, answers spec with one valid SPEC message', () => {
    const [cmd, ...args] = entrypoint();
    expect(cmd).toBe('node');
    const r = spawnSync(process.execPath, [...args, 'spec'], {
      encoding: 'utf8',
      env: { ...process.env, SNAGSYNC_HOME: '/nonexistent' },
    });
    expect(r.status, r.stderr).toBe(0);
    const messages = jsonLines(r.stdout);
    expect(messages.map((m) => m.type)).toEqual(['SPEC']);
    expect(invalidMessages(messages)).toEqual([]);
  });

  it('the Dockerfile, metadata.yaml and package.json agree on the version; the metadata has what Airbyte requires', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string; license: string };
    const meta = parse(readFileSync(`${ROOT}metadata.yaml`, 'utf8')) as {
      data: Record<string, unknown>;
      metadataSpecVersion: string;
    };
    expect(/^LABEL io\.airbyte\.version=(\S+)$/m.exec(dockerfile)?.[1]).toBe(pkg.version);
    expect(meta.data.dockerImageTag).toBe(pkg.version);
    expect(/^LABEL io\.airbyte\.name=(\S+)$/m.exec(dockerfile)?.[1]).toBe(meta.data.dockerRepository);
    expect(meta.data).toMatchObject({ connectorType: 'source', connectorSubtype: 'api', license: pkg.license });
    expect(meta.data.definitionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const k of ['name', 'documentationUrl', 'releaseStage', 'supportLevel'])
      expect(meta.data, k).toHaveProperty(k);
  });
});

describe('the Singer executable', () => {
  it('snagsync-singer (the name Meltano calls) is snagsync singer', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { bin: Record<string, string> };
    const bin = `${ROOT}${pkg.bin['snagsync-singer']!}`;
    const dir = spawnSync('mktemp', ['-d'], { encoding: 'utf8' }).stdout.trim();
    const config = `${dir}/config.json`;
    spawnSync('sh', ['-c', `printf '{"token": "abcdefabcdef"}' > ${config}`]);
    const r = spawnSync(process.execPath, [bin, '--config', config, '--discover'], { encoding: 'utf8' });
    spawnSync('rm', ['-rf', dir]);
    expect(r.status, r.stderr).toBe(0);
    const catalog = JSON.parse(r.stdout) as { streams: Array<{ tap_stream_id: string; metadata: unknown[] }> };
    expect(catalog.streams.map((s) => s.tap_stream_id)).toContain('events');
    expect(catalog.streams.every((s) => s.metadata.length > 0)).toBe(true);
  });
});
