import { z } from 'zod';
import { defineModel, id, normalizeTimestamps, str, timestamp } from './common.js';

const Person = z.looseObject({ id: str(), name: str(), email: str() }).nullish();

/** A comment on an error. The author is `collaborator` in lists and `user` on a single comment (2017 recordings). */
export const CommentSchema = z.looseObject({
  id: id(),
  message: str(),
  created_at: timestamp(),
  updated_at: timestamp(),
  url: str(),
  collaborator: Person,
  user: Person,
});
export type Comment = z.infer<typeof CommentSchema>;
export const Comment = defineModel('a comment', CommentSchema, (c) =>
  normalizeTimestamps(c, ['created_at', 'updated_at']),
);
