/*
 * /docs: swagger-ui over /openapi.json (PROTOCOL.md §6.3).
 *
 * The document is fetched here rather than by swagger-ui so that this server
 * (the page's own origin) can be put first in `servers`: "Try it out" then
 * talks to the daemon that served the page, whatever address or port it
 * listens on. Requests carry the API key that /ui keeps in this tab's
 * sessionStorage (§6.5), unless one was set with swagger-ui's "Authorize".
 */
window.addEventListener('DOMContentLoaded', async () => {
  const root = document.getElementById('swagger-ui');
  let spec;
  try {
    const r = await fetch('/openapi.json', { headers: { Accept: 'application/json' } });
    if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
    spec = await r.json();
  } catch (e) {
    root.textContent = `Could not load /openapi.json: ${e.message}`;
    return;
  }
  const here = { url: window.location.origin, description: 'This server' };
  spec.servers = [here, ...(spec.servers || []).filter((s) => s.url !== here.url)];
  window.ui = window.SwaggerUIBundle({
    spec,
    dom_id: '#swagger-ui',
    deepLinking: true,
    layout: 'BaseLayout',
    presets: [window.SwaggerUIBundle.presets.apis],
    validatorUrl: null, // never ask an outside validator about this document
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    requestInterceptor: (req) => {
      const key = sessionStorage.getItem('nmemd.apiKey');
      if (key && !req.headers.Authorization) req.headers.Authorization = `Bearer ${key}`;
      return req;
    },
  });
});
