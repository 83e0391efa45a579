import { INTEGRATION_KEYS } from './vocab.js';

/**
 * Fixed catalogs: the event fields a project can filter and pivot on, its trace fields, and the integration types
 * Bugsnag supports. Shapes follow the Airbyte schemas (imported from live responses) and the OpenAPI spec.
 */
interface FieldSpec {
  id: string;
  name: string;
  description: string;
  pivot: boolean;
  values?: Array<{ id: string; name: string }>;
  aliases?: string[];
}

const STATUS_VALUES = ['open', 'in progress', 'for_review', 'fixed', 'snoozed', 'ignored'].map((s) => ({
  id: s,
  name: s,
}));
const SEVERITY_VALUES = ['error', 'warning', 'info'].map((s) => ({ id: s, name: s }));

export const EVENT_FIELDS: FieldSpec[] = [
  {
    id: 'event.since',
    name: 'Since',
    description: 'Events received after this time (ISO 8601 or relative: 7d, 24h)',
    pivot: false,
  },
  { id: 'event.before', name: 'Before', description: 'Events received before this time', pivot: false },
  {
    id: 'error.status',
    name: 'Error status',
    description: 'Workflow status of the error',
    pivot: false,
    values: STATUS_VALUES,
  },
  { id: 'error.id', name: 'Error', description: 'Events of one error', pivot: false },
  { id: 'error.assigned_to', name: 'Assigned to', description: 'me, anyone, a collaborator id or email', pivot: false },
  {
    id: 'event.severity',
    name: 'Severity',
    description: 'Severity of the event',
    pivot: true,
    values: SEVERITY_VALUES,
  },
  { id: 'event.class', name: 'Error class', description: 'Class of the exception', pivot: false, aliases: ['class'] },
  { id: 'event.message', name: 'Error message', description: 'Message of the exception (substring)', pivot: false },
  {
    id: 'app.release_stage',
    name: 'Release stage',
    description: 'Release stage the event came from',
    pivot: true,
    aliases: ['stage'],
  },
  { id: 'app.context', name: 'Context', description: 'Context of the event (substring)', pivot: true },
  { id: 'version.seen_in', name: 'App version', description: 'App version (wildcards * and ?)', pivot: true },
  { id: 'user.id', name: 'User ID', description: 'Id of the affected user', pivot: true },
  { id: 'user.email', name: 'User email', description: 'Email of the affected user (substring)', pivot: true },
  { id: 'user.name', name: 'User name', description: 'Name of the affected user (substring)', pivot: false },
  { id: 'os.name', name: 'OS', description: 'Operating system name', pivot: true },
  { id: 'browser.name', name: 'Browser', description: 'Browser name', pivot: true },
  { id: 'device.hostname', name: 'Hostname', description: 'Host that reported the event', pivot: true },
  { id: 'device.model', name: 'Device model', description: 'Device model', pivot: true },
  { id: 'request.url', name: 'URL', description: 'Request URL (substring)', pivot: false },
  { id: 'request.ip', name: 'IP address', description: 'Client IP address', pivot: false },
];

/** Custom fields are project-defined (here, one from metaData). */
export const CUSTOM_EVENT_FIELDS = [{ id: 'account.plan', name: 'Plan', path: 'metaData.account.plan' }];

export function eventFieldViews(): Array<Record<string, unknown>> {
  const builtIn = EVENT_FIELDS.map((f) => ({
    custom: false,
    display_id: f.id,
    filter_options: {
      name: f.name,
      description: f.description,
      aliases: f.aliases ?? [],
      hint_text:
        f.id.startsWith('event.') && f.id !== 'event.class' ? 'Use ISO 8601 or a relative time such as 7d' : '',
      hint_url: 'https://docs.bugsnag.com/product/filtering/',
      match_types: f.id === 'event.since' || f.id === 'event.before' ? ['eq'] : ['eq', 'ne'],
      ...(f.values ? { values: f.values } : {}),
    },
    pivot_options: f.pivot ? pivotOptions(f.name) : {},
    reindex_in_progress: false,
    reindex_percentage: 100,
  }));
  const custom = CUSTOM_EVENT_FIELDS.map((f) => ({
    custom: true,
    display_id: f.id,
    path: f.path,
    filter_options: {
      name: f.name,
      description: `Custom field from ${f.path}`,
      aliases: [],
      hint_text: '',
      hint_url: '',
      match_types: ['eq', 'ne'],
    },
    pivot_options: pivotOptions(f.name),
    reindex_in_progress: false,
    reindex_percentage: 100,
  }));
  return [...builtIn, ...custom];
}

function pivotOptions(name: string): Record<string, unknown> {
  return {
    name,
    fields: [
      { id: 'events', name: 'Events' },
      { id: 'users', name: 'Users' },
    ],
    aggregates: [{ id: 'count', name: 'Count' }],
    summary: true,
    values: true,
    cardinality: true,
    average: false,
    child_values: false,
    filterable: true,
  };
}

export function traceFieldViews(): Array<Record<string, unknown>> {
  const rows: Array<
    [
      string,
      string,
      boolean,
      string | null,
      'span_attribute' | 'resource_attribute' | null,
      'string' | 'number' | 'boolean',
    ]
  > = [
    ['span.name', 'Span name', false, null, null, 'string'],
    ['span.duration', 'Duration', false, null, null, 'number'],
    ['http.status_code', 'HTTP status code', false, 'http.status_code', 'span_attribute', 'number'],
    ['app.release_stage', 'Release stage', false, 'deployment.environment', 'resource_attribute', 'string'],
    ['device.model', 'Device model', false, 'device.model.identifier', 'resource_attribute', 'string'],
    ['app.in_foreground', 'In foreground', false, 'bugsnag.app.in_foreground', 'span_attribute', 'boolean'],
    ['tenant.id', 'Tenant', true, 'tenant.id', 'span_attribute', 'string'],
  ];
  return rows.map(([id, name, custom, key, location, type]) => ({
    display_id: id,
    custom,
    filter_options: {
      name,
      description: `${name} of the span`,
      values:
        id === 'app.release_stage'
          ? [
              { id: 'production', name: 'production' },
              { id: 'staging', name: 'staging' },
            ]
          : null,
      match_types: type === 'number' ? ['eq', 'ne', 'lt', 'gt', 'empty'] : ['eq', 'ne', 'empty'],
      searchable: type === 'string',
    },
    auto_complete: type === 'string',
    metadata_key: key,
    metadata_location: location,
    field_type: type,
  }));
}

export function integrationViews(): Array<Record<string, unknown>> {
  return INTEGRATION_KEYS.map(([key, name, type, twoWay]) => ({
    key,
    name,
    url: `https://docs.bugsnag.com/product/integrations/${key}/`,
    type,
    two_way_sync: twoWay,
    description: `Send Bugsnag errors to ${name}.`,
    actions:
      type === 'issue-tracker'
        ? { create: 'Create issue', view: 'View issue', object: 'issue', new: 'New issue' }
        : { create: 'Send', view: 'View', object: 'notification', new: 'New notification' },
    fields: [
      {
        name: 'url',
        label: `${name} URL`,
        description: `Your ${name} address`,
        optional: false,
        type: 'select',
        allowed_values: [],
        pattern: '^https://',
        deprecated: false,
      },
      {
        name: 'token',
        label: 'API token',
        description: 'Token used to authenticate',
        link: `https://docs.bugsnag.com/product/integrations/${key}/#token`,
        optional: false,
        type: 'password',
        deprecated: false,
      },
      { name: 'enabled', label: 'Enabled', optional: true, default_value: 'true', type: 'toggle', deprecated: false },
    ],
    icon_url: `https://static.bugsnag.example/icons/${key}.svg`,
    created_entity_name: type === 'issue-tracker' ? 'issue' : 'notification',
    issue_automation_options:
      type === 'issue-tracker'
        ? [
            {
              automation_style: { type: 'two_way', description: 'Keep issue and error status in sync' },
              error_new: {
                configurable: true,
                options: ['create_issue'],
                default_option: true,
                multiple_states: false,
              },
              error_fixed: {
                configurable: true,
                options: ['resolve_issue', 'none'],
                default_option: true,
                multiple_states: false,
              },
              error_reopened: {
                configurable: true,
                options: ['reopen_issue', 'none'],
                default_option: true,
                multiple_states: false,
              },
              issue_resolved: {
                configurable: true,
                options: ['fix_error'],
                default_options: ['fix_error'],
                multiple_states: true,
              },
              issue_unresolved: {
                configurable: true,
                options: ['open_error'],
                default_options: ['open_error'],
                multiple_states: true,
              },
            },
          ]
        : [],
  }));
}
