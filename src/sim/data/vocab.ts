/**
 * Word pools the generator draws from. Plausible, varied, and fixed: changing any list changes every seed's data, so
 * append only.
 */
export const ORG_NAMES = [
  'Acme Robotics',
  'Globex',
  'Initech',
  'Umbrella Labs',
  'Hooli',
  'Stark Industries',
  'Wayne Logistics',
  'Tyrell',
  'Soylent Foods',
  'Cyberdyne',
  'Wonka Industries',
  'Aperture Science',
] as const;

export const PROJECT_KINDS = [
  { name: 'Checkout API', type: 'rails', language: 'ruby', platform: 'server' },
  { name: 'Web Storefront', type: 'js', language: 'javascript', platform: 'browser' },
  { name: 'Android App', type: 'android', language: 'java', platform: 'mobile' },
  { name: 'iOS App', type: 'ios', language: 'swift', platform: 'mobile' },
  { name: 'Billing Service', type: 'node', language: 'javascript', platform: 'server' },
  { name: 'Data Pipeline', type: 'python', language: 'python', platform: 'server' },
  { name: 'Edge Gateway', type: 'go', language: 'go', platform: 'server' },
  { name: 'Admin Console', type: 'react', language: 'javascript', platform: 'browser' },
  { name: 'Search Indexer', type: 'java', language: 'java', platform: 'server' },
  { name: 'Game Client', type: 'unity', language: 'csharp', platform: 'mobile' },
] as const;

export type ProjectKind = (typeof PROJECT_KINDS)[number];

export const FIRST_NAMES = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Margaret',
  'Linus',
  'Radia',
  'Ken',
  'Frances',
  'Dennis',
  'Katherine',
  'Tim',
  'Hedy',
  'John',
  'Sophie',
  'Guido',
  'Anita',
  'Bjarne',
  'Mary',
  'Niklaus',
  'Lynn',
  'James',
] as const;

export const LAST_NAMES = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Hamilton',
  'Torvalds',
  'Perlman',
  'Thompson',
  'Allen',
  'Ritchie',
  'Johnson',
  'Berners-Lee',
  'Lamarr',
  'McCarthy',
  'Wilson',
  'van Rossum',
  'Borg',
  'Stroustrup',
  'Keller',
  'Wirth',
  'Conway',
  'Gosling',
] as const;

export const TEAM_NAMES = ['Platform', 'Mobile', 'Payments', 'Growth', 'Infrastructure', 'Frontend', 'Data', 'Support'];

/** Error shapes per language: class, message templates, method and file stems. */
export const ERROR_SHAPES: Record<string, ReadonlyArray<{ cls: string; msg: string }>> = {
  ruby: [
    { cls: 'NoMethodError', msg: "undefined method `{field}' for nil:NilClass" },
    { cls: 'ActiveRecord::RecordNotFound', msg: "Couldn't find {Model} with 'id'={n}" },
    { cls: 'Net::ReadTimeout', msg: 'Net::ReadTimeout with #<TCPSocket:(closed)>' },
    { cls: 'RuntimeError', msg: '{Model} state machine refused transition to {field}' },
    { cls: 'ArgumentError', msg: 'invalid value for Integer(): "{n}x"' },
    { cls: 'Redis::TimeoutError', msg: 'Connection timed out' },
  ],
  javascript: [
    { cls: 'TypeError', msg: "Cannot read properties of undefined (reading '{field}')" },
    { cls: 'ReferenceError', msg: '{field} is not defined' },
    { cls: 'Error', msg: 'Request failed with status code {status}' },
    { cls: 'ChunkLoadError', msg: 'Loading chunk {n} failed.' },
    { cls: 'UnhandledPromiseRejection', msg: 'Non-Error promise rejection captured with value: {field}' },
    { cls: 'RangeError', msg: 'Maximum call stack size exceeded' },
  ],
  java: [
    {
      cls: 'java.lang.NullPointerException',
      msg: 'Attempt to invoke virtual method on a null object reference ({field})',
    },
    { cls: 'java.lang.IllegalStateException', msg: '{Model} is not attached to a context' },
    { cls: 'java.net.SocketTimeoutException', msg: 'timeout after {n}ms' },
    { cls: 'java.lang.IndexOutOfBoundsException', msg: 'Index: {n}, Size: {n}' },
    { cls: 'java.util.ConcurrentModificationException', msg: '{Model} list modified during iteration' },
  ],
  swift: [
    { cls: 'EXC_BAD_ACCESS', msg: 'Attempted to dereference garbage pointer 0x{hex}.' },
    { cls: 'NSInvalidArgumentException', msg: '-[{Model} {field}]: unrecognized selector sent to instance 0x{hex}' },
    { cls: 'NSRangeException', msg: 'index {n} beyond bounds [0 .. {n}]' },
    { cls: 'SIGABRT', msg: 'Abort trap: {Model} failed an assertion' },
  ],
  python: [
    { cls: 'KeyError', msg: "'{field}'" },
    { cls: 'ValueError', msg: "invalid literal for int() with base 10: '{field}'" },
    { cls: 'psycopg2.OperationalError', msg: 'could not connect to server: Connection refused' },
    { cls: 'TimeoutError', msg: '{Model} batch did not finish within {n}s' },
  ],
  go: [
    { cls: 'runtime.Error', msg: 'invalid memory address or nil pointer dereference' },
    { cls: '*url.Error', msg: 'Get "https://upstream/{field}": context deadline exceeded' },
    { cls: '*errors.errorString', msg: '{Model}: unexpected EOF' },
  ],
  csharp: [
    { cls: 'System.NullReferenceException', msg: 'Object reference not set to an instance of an object ({Model})' },
    { cls: 'System.InvalidOperationException', msg: 'Sequence contains no elements' },
    { cls: 'UnityEngine.MissingReferenceException', msg: "The object of type '{Model}' has been destroyed" },
  ],
};

export const MODELS = [
  'Order',
  'Invoice',
  'Cart',
  'Customer',
  'Session',
  'Payment',
  'Shipment',
  'Coupon',
  'Account',
  'Report',
];
export const FIELDS = ['price', 'total', 'user_id', 'token', 'items', 'address', 'currency', 'status', 'sku', 'locale'];
export const METHODS = [
  'process',
  'handle',
  'perform',
  'render',
  'call',
  'execute',
  'build',
  'load',
  'update',
  'charge',
];
export const DIRS = [
  'app/models',
  'app/services',
  'lib',
  'src/components',
  'src/api',
  'internal/handlers',
  'pkg/queue',
];

export const OS = {
  server: [
    ['Linux', '5.15.0'],
    ['Linux', '6.1.0'],
    ['Linux', '4.19.0'],
  ],
  browser: [
    ['Windows', '10'],
    ['Mac OS X', '14.4'],
    ['Windows', '11'],
    ['Linux', 'x86_64'],
    ['iOS', '17.4'],
  ],
  mobile: [
    ['android', '14'],
    ['android', '13'],
    ['iOS', '17.4.1'],
    ['iOS', '16.7'],
    ['android', '12'],
  ],
} as const;

export const BROWSERS = [
  ['Chrome', '124.0.0'],
  ['Firefox', '125.0'],
  ['Safari', '17.4'],
  ['Edge', '124.0.2478'],
  ['Opera', '109.0'],
] as const;
export const MANUFACTURERS = [
  ['Google', 'Pixel 8'],
  ['Samsung', 'SM-S911B'],
  ['Apple', 'iPhone15,2'],
  ['Xiaomi', '23049PCD8G'],
  ['OnePlus', 'CPH2449'],
] as const;
export const HOSTS = ['web-1', 'web-2', 'worker-1', 'worker-3', 'api-7f9c', 'api-22d1'];
export const URL_PATHS = [
  '/checkout',
  '/cart',
  '/api/v1/orders',
  '/login',
  '/search?q=shoes',
  '/account/settings',
  '/reports/42',
];
export const BREADCRUMB_KINDS = [
  'navigation',
  'request',
  'process',
  'log',
  'user',
  'state',
  'error',
  'manual',
] as const;
export const THREAD_NAMES = [
  'main',
  'Thread-4',
  'OkHttp Dispatcher',
  'FinalizerDaemon',
  'com.apple.main-thread',
  'puma worker 2',
];

export const INTEGRATION_KEYS = [
  ['jira', 'Jira', 'issue-tracker', true],
  ['github', 'GitHub Issues', 'issue-tracker', true],
  ['linear', 'Linear', 'issue-tracker', true],
  ['slack', 'Slack', 'team-notification', false],
  ['msteams', 'Microsoft Teams', 'team-notification', false],
  ['pagerduty', 'PagerDuty', 'on-call', false],
  ['opsgenie', 'Opsgenie', 'on-call', false],
  ['datadog', 'Datadog', 'data-forwarding', false],
  ['webhook', 'Webhook', 'data-forwarding', false],
] as const;
