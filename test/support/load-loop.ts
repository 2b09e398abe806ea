/** Requests to a URL back to back until stopped: the versions served and every failure. */
export function loadLoop(url: string) {
  let running = true;
  const served = new Set<string>();
  const failures: string[] = [];
  let requests = 0;
  const loop = (async () => {
    while (running) {
      requests++;
      try {
        const res = await fetch(url);
        const body = (await res.json()) as { version?: string };
        if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(body)}`);
        else served.add(body.version!);
      } catch (err) {
        failures.push(String(err));
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { served: [...served].sort(), failures, requests };
    },
  };
}
