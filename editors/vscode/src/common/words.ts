// Counted nouns for every message ("1 commit", "2 commits"). No `vscode` import: unit-tested.

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
