/**
 * Failure notifications as the store keeps them: an outbound webhook (Slack or Microsoft Teams) for one source, or for
 * every source of the server (`scope` = SERVER_SCOPE). The URL is a secret (a Slack or Teams webhook URL lets anyone
 * post to the channel), so it is kept sealed by the vault; `url_hint` is what may be shown (scheme, host, last four).
 */

export type NotificationFormat = 'slack' | 'teams';

/** The scope of the server-wide notification (a source's scope is its id). */
export const SERVER_SCOPE = '*';

export interface NotificationSettings {
  /** A source id, or SERVER_SCOPE. */
  scope: string;
  format: NotificationFormat;
  /** The URL sealed by the vault (an envelope bound to `ntf_server` or `ntf_` and the source id's own part). */
  url_envelope: string;
  url_key_id: string;
  /** `https://hooks.slack.com/…/ab12`: scheme, host and the last four characters. */
  url_hint: string;
  /** Also tell when a source succeeds again after a failed run. */
  on_recovery: boolean;
  created_at: string;
  updated_at: string;
  /** The last delivery: when, and what happened (`sent (HTTP 200)`, or why it was not delivered). */
  last_sent_at: string | null;
  last_outcome: string | null;
}

export interface NotificationRepository {
  get(scope: string): Promise<NotificationSettings | null>;
  list(): Promise<NotificationSettings[]>;
  /** Inserts or replaces the settings of `scope` (keeps created_at; clears the last delivery when the URL changes). */
  save(settings: Omit<NotificationSettings, 'last_sent_at' | 'last_outcome'>): Promise<NotificationSettings>;
  /** True when there was something to remove. */
  remove(scope: string): Promise<boolean>;
  recordDelivery(scope: string, at: string, outcome: string): Promise<void>;
}
