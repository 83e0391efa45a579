import type { IncomingMessage } from 'node:http';

const MAX_BODY = 1_048_576;

export class BodyError extends Error {}

/** Read a JSON request body (empty → undefined). Malformed JSON is the client's error: 400, as the API answers. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new BodyError('Request body too large');
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError('Malformed JSON in request body');
  }
}
