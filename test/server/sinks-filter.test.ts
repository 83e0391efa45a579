import { describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import { compileFilter } from '../../src/server/sinks/filter.js';

/** A destination's filter is parsed into a parameterised condition: nothing the user wrote reaches SQL as text. */

const refusal = (filter: string): SnagError => {
  try {
    compileFilter(filter, 'postgres', 'data_sink_config.input.filter');
  } catch (err) {
    if (isSnagError(err, 'config')) return err;
    throw err;
  }
  throw new Error(`not refused: ${filter}`);
};

/** Only quoted column names, placeholders, keywords and operators: no literal, no `;`, no comment. */
const SAFE_SQL = /^(?:"[a-z_]+"|\$\d+|\?|AND|OR|NOT|IN|IS|NULL|LIKE|BETWEEN|[()=<>,]|<>|<=|>=|\s)+$/;

describe('compileFilter', () => {
  it('the filters of the docs and tests compile, their literals as parameters', () => {
    expect(compileFilter("status = 'open' AND last_seen_unfiltered < '2026-06-01'", 'postgres')).toEqual({
      sql: '"status" = $1 AND "last_seen_unfiltered" < $2',
      values: ['open', '2026-06-01'],
    });
    expect(compileFilter("status = 'open' AND unthrottled_occurrence_count > 1000", 'sqlite')).toEqual({
      sql: '"status" = ? AND "unthrottled_occurrence_count" > ?',
      values: ['open', 1000],
    });
    expect(compileFilter("status = 'open' AND severity = 'info'", 'postgres').values).toEqual(['open', 'info']);
  });

  it('takes AND/OR/NOT, parentheses, IN, IS [NOT] NULL, [NOT] LIKE, BETWEEN, booleans, quotes in strings', () => {
    const f = compileFilter(
      "(Status IN ('open', 'snoozed') OR NOT discarded) AND assigned_team_id IS NULL AND linked_issues IS NOT NULL AND error_class NOT LIKE 'Time%' AND message = 'it''s' AND comment_count BETWEEN -1 AND 2.5 AND discarded <> true",
      'postgres',
    );
    expect(f.sql).toBe(
      '("status" IN ($1, $2) OR NOT "discarded") AND "assigned_team_id" IS NULL AND "linked_issues" IS NOT NULL AND "error_class" NOT LIKE $3 AND "message" = $4 AND "comment_count" BETWEEN $5 AND $6 AND "discarded" <> $7',
    );
    expect(f.values).toEqual(['open', 'snoozed', 'Time%', "it's", -1, 2.5, true]);
    expect(f.sql).toMatch(SAFE_SQL);
    // SQLite stores booleans as 0/1.
    expect(compileFilter('discarded = false', 'sqlite').values).toEqual([0]);
  });

  it('refuses what is not a condition on the columns, naming the field and the position', () => {
    const cases: Array<[string, RegExp, number]> = [
      ["status = 'open'); DROP TABLE errors; --", /unexpected "\)"/, 16],
      ["status = 'open'; DROP TABLE errors", /unexpected ";"/, 16],
      ["status = 'open' -- comment", /unexpected "-"/, 17],
      ["status = 'open' /* x */", /unexpected "\/"/, 17],
      [
        "status = 'open' OR set_config('default_transaction_read_only', 'off', false) = 'x'",
        /"set_config\(…\)" is a function call/,
        20,
      ],
      ['pg_sleep(5) IS NULL', /"pg_sleep\(…\)" is a function call/, 1],
      ["status = (SELECT 'open')", /expected a column, a string or a number, found "\("/, 10],
      ['id IN (SELECT id FROM errors)', /"SELECT" is not a column/, 8],
      ["status = 'open' UNION SELECT project_id, id FROM errors", /unexpected "UNION"/, 17],
      ["status = 'open", /a string is not closed/, 10],
      ['no_such_column = 1', /"no_such_column" is not a column of the errors table \(its columns: project_id, id,/, 1],
      ['_record IS NULL', /"_record" is not a column/, 1],
      ["release_stages = 'production'", /release_stages holds JSON/, 1],
      ['1 = 1', /a comparison needs a column on one side/, 1],
      ['status', /expected a comparison .* after status, found the end of the filter/, 7],
      ["(status = 'open'", /expected "\)" to close the parenthesis/, 17],
      ["status = 'open' AND", /expected a column, a string or a number, found the end of the filter/, 20],
      ["status = E'\\x27'", /"E" is not a column/, 10],
      ['status = $1', /unexpected "\$"/, 10],
    ];
    for (const [filter, why, position] of cases) {
      const err = refusal(filter);
      expect(err.message, filter).toMatch(why);
      expect(err.message, filter).toMatch(/^data_sink_config\.input\.filter: /);
      expect(err.message, filter).toContain(`at position ${position}: `);
      expect(err.details, filter).toMatchObject({ field: 'data_sink_config.input.filter', position });
      expect(err.hint).toMatch(/AND, OR, NOT/);
    }
  });
});
