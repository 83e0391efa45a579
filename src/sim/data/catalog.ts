import { INTEGRATION_KEYS } from './vocab.js';

/**
 * Fixed catalogs: a project's trace fields and the integration types Bugsnag supports (the event fields are one table
 * with the filter engine: query/fields.ts). Shapes follow the Airbyte schemas (imported from live responses) and the
 * OpenAPI spec.
 */
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
