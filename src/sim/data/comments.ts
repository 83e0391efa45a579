import { hashString, Rng } from '../prng.js';
import type { ProjectData } from './project.js';

/** Comments on an error: a few generated ones (seed.commentCount) plus those created at run time. */
export interface CommentRecord {
  id: string;
  /** Per-error number; generated first, then added. */
  index: number;
  message: string;
  user: number;
  createdMs: number;
}

const MESSAGES = [
  'Seeing this again after the last deploy.',
  'Looks related to the connection pool change.',
  'Cannot reproduce locally; adding more logging.',
  'Customer reported this via support ticket.',
  'Fix is in review.',
  'Only happens on the oldest app version.',
];

/** Ids pack (error, comment number) so a comment id resolves to its error without a lookup table. */
export const COMMENTS_PER_ERROR = 4096;

export function commentsOf(pd: ProjectData, e: number): CommentRecord[] {
  const seed = pd.errorSeed(e);
  const members = pd.world.projectMembers(pd.project.gi);
  const first = pd.totalOccurrences(e) > 0 ? pd.timeOf(pd.occurrenceIndex(e, 0)) : seed.createdSec;
  const out: CommentRecord[] = [];
  for (let c = 0; c < seed.commentCount; c++) {
    const rng = Rng.of(pd.seed, hashString('comment'), e, c);
    out.push({
      id: pd.ids.encode('comment', pd.project.gi, e * COMMENTS_PER_ERROR + c),
      index: c,
      message: rng.pick(MESSAGES),
      user: members.length > 0 ? rng.pick(members).user : 0,
      createdMs: (first + (c + 1) * 3600 + rng.int(3600)) * 1000,
    });
  }
  for (const a of pd.peekState(e).addedComments) {
    out.push({
      id: pd.ids.encode('comment', pd.project.gi, e * COMMENTS_PER_ERROR + a.index),
      index: a.index,
      message: a.message,
      user: a.user,
      createdMs: a.createdMs,
    });
  }
  const deleted = pd.peekState(e).deletedComments;
  return deleted.length === 0 ? out : out.filter((c) => !deleted.includes(c.index));
}
