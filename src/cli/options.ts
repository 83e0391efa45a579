/** A repeatable option whose values may also be comma-separated (`--stream a,b --stream c`), as commander's parser. */
export const commaList = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];
