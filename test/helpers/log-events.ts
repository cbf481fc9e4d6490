/**
 * For tests that hold a child's raw output: whether one of its JSON log lines carries
 * an event. Tests wait on the `event` field, never on the message text.
 */
export function loggedEvent(output: string, event: string): boolean {
  return output.split('\n').some((line) => {
    if (!line.startsWith('{')) return false;
    try {
      return (JSON.parse(line) as { event?: unknown }).event === event;
    } catch {
      return false;
    }
  });
}
