import { SnagError } from '../../core/errors.js';
import type { ApiContext, CallOptions, ListOptions } from '../context.js';
import { Comment } from '../models/comment.js';
import { pageSize } from '../page-sizes.js';
import type { Paginator } from '../paginator.js';
import { queryPairs, seg } from '../query.js';

export interface CommentsResource {
  /** `GET /projects/{p}/errors/{e}/comments` (worth calling only for errors with `comment_count > 0`). */
  list(
    projectId: string,
    errorId: string,
    options?: ListOptions & { sort?: 'created_at'; direction?: 'asc' | 'desc' },
  ): Paginator<Comment>;
  get(commentId: string, options?: CallOptions): Promise<Comment>;
  /** `POST /projects/{p}/errors/{e}/comments`. Never retried automatically (a retry could post twice). */
  create(projectId: string, errorId: string, message: string, options?: CallOptions): Promise<Comment>;
}

export function commentsResource(api: ApiContext): CommentsResource {
  return {
    list: (projectId, errorId, o = {}) =>
      api.paginate(
        `/projects/${seg('project id', projectId)}/errors/${seg('error id', errorId)}/comments`,
        queryPairs({ sort: o.sort, direction: o.direction, per_page: pageSize('comments', o.perPage) }),
        Comment,
        o,
      ),
    get: async (commentId, o) => api.get(`/comments/${seg('comment id', commentId)}`, [], Comment, o),
    create: async (projectId, errorId, message, o) => {
      if (typeof message !== 'string' || message.trim() === '') {
        throw new SnagError('config', 'A comment needs a message.', { hint: 'Give the text of the comment.' });
      }
      const created = await api.write(
        'POST',
        `/projects/${seg('project id', projectId)}/errors/${seg('error id', errorId)}/comments`,
        [],
        { message },
        Comment,
        o,
      );
      if (created === null) {
        throw new SnagError('not_bugsnag', 'Bugsnag answered the new comment with no content; expected the comment.', {
          hint: 'Check the error in Bugsnag: the comment may or may not have been posted.',
        });
      }
      return created;
    },
  };
}
