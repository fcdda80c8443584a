import Foundation

/// The operators' dashboard: one self-contained HTML page (no build step, no external files)
/// that reads `/api/dashboard` and `/api/v1/render`, and re-reads them when the WebSocket live
/// feed reports a change. Its "Latest graphics" strip shows the newest completed PNG outputs,
/// fetched from `/api/v1/render/{id}/output/file` with the token and shown as `blob:` images.
///
/// The server puts a session token into the page (`<meta name="hub-token">`); the scripts send it
/// as `Authorization: Bearer` and, for the WebSocket, as `?token=`, because browsers cannot add
/// headers to a WebSocket upgrade. When the token is refused (a 401 from the API, or the live
/// feed closing) the scripts load `/` again with the browser's cached Basic credentials, take the
/// fresh token from it and reconnect with backoff.
enum DashboardPage {
    /// The page with `token` filled in (`token` is hex, dots and base64: nothing to escape but `"`).
    static func html(token: String) -> String {
        template.replacingOccurrences(of: "{{TOKEN}}", with: token.replacingOccurrences(of: "\"", with: ""))
    }

    static let template = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="hub-token" content="{{TOKEN}}">
    <title>Automation Hub — dashboard</title>
    <style>
    :root { --bg:#0f1419; --panel:#18202a; --line:#2a3542; --text:#dce3ea; --dim:#8a99a8; --ok:#3fb950; --warn:#d29922; --bad:#f85149; --accent:#58a6ff; }
    * { box-sizing: border-box; }
    body { margin:0; font:14px/1.4 system-ui, "Noto Sans", "DejaVu Sans", sans-serif; background:var(--bg); color:var(--text); }
    header { display:flex; align-items:center; gap:16px; padding:12px 20px; border-bottom:1px solid var(--line); }
    header h1 { font-size:18px; margin:0; font-weight:600; }
    #live { font-size:12px; padding:2px 8px; border-radius:10px; background:var(--line); }
    #live.on { background:#1f3b26; color:var(--ok); } #live.off { background:#3b1f1f; color:var(--bad); }
    #updated { color:var(--dim); font-size:12px; margin-left:auto; }
    main { display:grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap:16px; padding:16px 20px; }
    section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 14px; overflow:auto; }
    section.wide { grid-column: 1 / -1; }
    h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--dim); margin:0 0 8px; }
    table { width:100%; border-collapse:collapse; font-variant-numeric: tabular-nums; }
    th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
    th { color:var(--dim); font-weight:500; font-size:12px; }
    td.n, th.n { text-align:right; }
    tr.empty td { color:var(--dim); font-style:italic; }
    .status { padding:1px 6px; border-radius:4px; font-size:12px; }
    .s-pending { background:#2d2a1a; color:var(--warn); } .s-processing { background:#1a2a3d; color:var(--accent); }
    .s-completed { background:#1a2d1f; color:var(--ok); } .s-failed, .s-stale { background:#3d1a1a; color:var(--bad); }
    .s-cancelled { background:var(--line); color:var(--dim); }
    .s-synced, .s-info { background:#1a2d1f; color:var(--ok); } .s-in_progress { background:#1a2a3d; color:var(--accent); }
    .s-outdated, .s-warning { background:#2d2a1a; color:var(--warn); } .s-error, .s-critical { background:#3d1a1a; color:var(--bad); }
    td.wrap { white-space:normal; min-width:160px; }
    #alert-count { text-transform:none; letter-spacing:0; }
    .dot { display:inline-block; width:8px; height:8px; border-radius:50%; margin-right:6px; background:var(--dim); }
    .dot.ok { background:var(--ok); } .dot.bad { background:var(--bad); }
    button { background:var(--line); color:var(--text); border:1px solid #3a4756; border-radius:4px; padding:2px 10px; cursor:pointer; }
    button:hover { border-color:var(--accent); }
    #events { font:12px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; max-height:220px; overflow:auto; margin:0; color:var(--dim); }
    #error { color:var(--bad); padding:0 20px; }
    #thumbs { display:flex; gap:12px; overflow-x:auto; padding-bottom:4px; }
    #thumbs figure { margin:0; width:224px; flex:none; }
    #thumbs img { display:block; width:224px; aspect-ratio:16/9; object-fit:contain; background:#000; border:1px solid var(--line); border-radius:4px; }
    #thumbs .missing { display:flex; align-items:center; justify-content:center; width:224px; aspect-ratio:16/9; border:1px dashed var(--line); border-radius:4px; color:var(--dim); font-size:12px; }
    #thumbs figcaption { font-size:12px; color:var(--dim); margin-top:4px; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
    #thumbs .empty { color:var(--dim); font-style:italic; }
    </style>
    </head>
    <body>
    <header><h1>Automation Hub</h1><span id="live" class="off">connecting…</span><span id="updated"></span></header>
    <div id="error"></div>
    <main>
    <section id="sync"><h2>Sync status</h2>
    <table><thead><tr><th>Source</th><th>Status</th><th>Last sync</th><th>Next sync</th><th class="n">Health</th><th>Last error</th></tr></thead><tbody></tbody></table></section>
    <section id="job-queue"><h2>Job queue</h2>
    <table><thead><tr><th>Job type</th><th class="n">Pending</th><th class="n">Running</th><th class="n">Failed</th><th class="n">Avg duration</th></tr></thead><tbody></tbody></table></section>
    <section id="render-queue" class="wide"><h2>Render queue</h2>
    <table><thead><tr><th>Template</th><th>Composition</th><th class="n">Pending</th><th class="n">Rendering</th><th class="n">Completed</th><th class="n">Failed</th><th class="n">Avg duration</th><th class="n">Queue time</th></tr></thead><tbody></tbody></table></section>
    <section id="alerts"><h2>Alerts <span id="alert-count"></span></h2>
    <table><thead><tr><th>Level</th><th>Rule</th><th>Subject</th><th>Message</th><th>Since</th><th class="n">Seen</th><th></th></tr></thead><tbody></tbody></table></section>
    <section id="workers"><h2>Workers</h2>
    <table><thead><tr><th>Process</th><th>Kind</th><th>Mode</th><th>Version</th><th>Last heartbeat</th></tr></thead><tbody></tbody></table></section>
    <section id="graphics" class="wide"><h2>Latest graphics</h2><div id="thumbs"><span class="empty">loading…</span></div></section>
    <section id="jobs" class="wide"><h2>Render jobs</h2>
    <table><thead><tr><th class="n">ID</th><th>Template</th><th>Status</th><th class="n">Priority</th><th>Progress</th><th>Worker</th><th>Created</th><th>Error</th></tr></thead><tbody></tbody></table></section>
    <section id="feed" class="wide"><h2>Live events</h2><pre id="events"></pre></section>
    </main>
    <script>
    "use strict";
    // The session token: signed with hub-server's per-process key, so a restart (or its 12 h
    // lifetime) kills it. The page then gets a fresh one the way it got the first: it loads "/"
    // again, which the browser sends with the Basic credentials it has cached.
    let token = document.querySelector('meta[name="hub-token"]').content;
    let renewing = null;
    function renewToken() {
      if (!renewing) {
        renewing = fetch(location.origin + "/", { cache: "no-store", credentials: "same-origin" })
          .then((r) => r.ok ? r.text() : null)
          .then((html) => {
            const found = html && /name="hub-token" content="([^"]+)"/.exec(html);
            if (!found) return false;
            token = found[1];
            return true;
          })
          .catch(() => false)
          .finally(() => { renewing = null; });
      }
      return renewing;
    }
    const $ = (sel) => document.querySelector(sel);
    const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;","'":"&#39;"}[c]));
    const secs = (v) => v == null ? "–" : v < 1 ? (v * 1000).toFixed(0) + " ms" : v < 120 ? v.toFixed(1) + " s" : (v / 60).toFixed(1) + " min";
    const ago = (t) => { if (!t) return "–"; const s = (Date.now() - Date.parse(t)) / 1000; return s < 0 ? "in " + secs(-s) : secs(s) + " ago"; };
    const badge = (s) => '<span class="status s-' + esc(s) + '">' + esc(s) + '</span>';
    function fill(id, rows, columns, empty) {
      const body = document.querySelector("#" + id + " tbody");
      body.innerHTML = rows.length ? rows.map((r) => "<tr>" + columns(r).join("") + "</tr>").join("")
        : '<tr class="empty"><td colspan="9">' + esc(empty) + "</td></tr>";
    }
    const td = (v, cls) => "<td" + (cls ? ' class="' + cls + '"' : "") + ">" + v + "</td>";
    async function api(path, options = {}, renewed = false) {
      // location.origin, not a relative path: a page opened as http://user:pass@host/ has the
      // credentials in its base URL, and fetch refuses URLs that carry credentials.
      const response = await fetch(location.origin + path, Object.assign({}, options, { headers: Object.assign({ "Authorization": "Bearer " + token, "Content-Type": "application/json" }, options.headers || {}) }));
      // A refused token (server restarted, token expired): renew it once and ask again.
      if (response.status === 401 && !renewed && await renewToken()) return api(path, options, true);
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
      return body;
    }
    async function resolveAlert(button) {
      const id = button.dataset.alert;
      button.disabled = true; button.textContent = "Resolving…";
      let failure = "";
      try { await api("/api/events/" + encodeURIComponent(id) + "/resolve", { method: "POST", body: "{}" }); }
      catch (e) { failure = "resolving alert " + id + " failed: " + e.message; }
      await refresh();  // re-enables the button (the row is redrawn) or drops the row
      if (failure) $("#error").textContent = failure;
    }
    function render(d, jobs) {
      fill("sync", d.sync, (s) => [td(esc(s.source)), td(badge(s.status)), td(ago(s.last_sync)),
        td(s.due ? "due now" : ago(s.next_sync)),
        td(s.health_percent == null ? "–" : s.health_percent.toFixed(1) + " % of " + s.runs + (s.runs === 1 ? " run" : " runs"), "n"), td(esc(s.last_error || ""), "wrap")], "no sync sources");
      fill("job-queue", d.job_queue, (j) => [td(esc(j.type)), td(j.pending, "n"), td(j.running, "n"), td(j.failed, "n"), td(secs(j.average_duration_seconds), "n")], "no jobs");
      fill("render-queue", d.render_queue, (r) => [td(esc(r.template)), td(esc(r.composition)), td(r.pending + r.stale, "n"), td(r.rendering, "n"),
        td(r.completed, "n"), td(r.failed, "n"), td(secs(r.average_duration_seconds), "n"), td(secs(r.average_queue_seconds), "n")], "the render queue is empty");
      fill("alerts", d.alerts, (a) => [td(badge(a.level)), td(esc(a.rule)), td(esc(a.subject || "–")), td(esc(a.message), "wrap"),
        td(ago(a.first_seen)), td(a.occurrences + "×", "n"), td('<button data-alert="' + esc(a.id) + '">Resolve</button>')], "no open alerts");
      $("#alert-count").textContent = d.open_alerts > d.alerts.length ? "(newest " + d.alerts.length + " of " + d.open_alerts + ")" : "";
      fill("workers", d.workers, (w) => [td('<span class="dot ' + (w.healthy ? "ok" : "bad") + '"></span>' + esc(w.id)), td(esc(w.kind)), td(esc(w.mode)),
        td(esc(w.version)), td(ago(w.last_heartbeat))], "no registered processes");
      fill("jobs", jobs.instructions, (j) => [td(j.id, "n"), td(esc(j.template)), td(badge(j.status)), td(j.priority, "n"),
        td(j.progress_total ? j.progress_frame + " / " + j.progress_total : "–"), td(esc(j.worker_id || "–")), td(ago(j.created_at)), td(esc(j.error_message || ""))], "no render jobs");
      $("#updated").textContent = "updated " + new Date(d.generated_at).toLocaleTimeString();
      document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
    }
    // Latest graphics: the newest completed PNG outputs. <img> cannot send the token, so each file
    // is fetched with it once and shown through a blob: URL, kept while it stays among the newest.
    const thumbnails = new Map();
    function thumbnail(id) {
      if (!thumbnails.has(id)) {
        thumbnails.set(id, fetch(location.origin + "/api/v1/render/" + encodeURIComponent(id) + "/output/file", { headers: { "Authorization": "Bearer " + token } })
          .then((r) => { if (r.status === 401) { thumbnails.delete(id); renewToken(); } return r.ok ? r.blob() : null; }).then((b) => b ? URL.createObjectURL(b) : null).catch(() => null));
      }
      return thumbnails.get(id);
    }
    let graphicsShown = "";
    async function showGraphics(instructions) {
      const latest = instructions.filter((j) => j.output && j.output.format === "png").slice(0, 8);
      const key = latest.map((j) => j.id).join(",");
      if (key === graphicsShown) return;
      graphicsShown = key;
      const keep = new Set(latest.map((j) => j.id));
      for (const [id, url] of thumbnails) {
        if (!keep.has(id)) { thumbnails.delete(id); url.then((u) => u && URL.revokeObjectURL(u)); }
      }
      const urls = await Promise.all(latest.map((j) => thumbnail(j.id)));
      if (graphicsShown !== key) return;  // a newer list is being shown
      $("#thumbs").innerHTML = latest.length ? latest.map((j, i) => '<figure data-id="' + esc(j.id) + '">'
        + (urls[i] ? '<a href="' + esc(urls[i]) + '" target="_blank" rel="noopener"><img alt="' + esc(j.composition) + '" src="' + esc(urls[i]) + '"></a>'
                   : '<div class="missing">file not available</div>')
        + "<figcaption>#" + esc(j.id) + " " + esc(j.composition) + " · " + esc(ago(j.completed_at)) + "</figcaption></figure>").join("")
        : '<span class="empty">no completed PNG outputs yet</span>';
    }
    let refreshing = null, again = false;
    async function refresh() {
      if (refreshing) { again = true; return; }
      refreshing = (async () => {
        try {
          const [d, jobs, done] = await Promise.all([api("/api/dashboard"), api("/api/v1/render?limit=25"), api("/api/v1/render?status=completed&limit=50")]);
          render(d, jobs); $("#error").textContent = "";
          showGraphics(done.instructions).catch(() => {});
        }
        catch (e) { $("#error").textContent = "cannot read the dashboard: " + e.message; }
      })();
      await refreshing; refreshing = null;
      if (again) { again = false; refresh(); }
    }
    let timer = null;
    function soon() { if (!timer) timer = setTimeout(() => { timer = null; refresh(); }, 150); }
    function logEvent(m) {
      const line = new Date(m.timestamp).toLocaleTimeString() + "  " + m.channel + "  " + m.type + "  " + JSON.stringify(m.data);
      const pre = $("#events"); pre.textContent = (line + "\n" + pre.textContent).split("\n").slice(0, 50).join("\n");
    }
    // The live feed. A browser does not say why an upgrade failed (a refused token and a server
    // that is down look the same), so after every close the page renews its token first and only
    // then reconnects, with exponential backoff and jitter (1 s doubling to at most 10 s, reset
    // once connected): never a dead token twice, never a fixed-rate hammer.
    let backoff = 1000;
    function reconnect() {
      $("#live").textContent = "reconnecting…"; $("#live").className = "off";
      const wait = Math.round(backoff * (0.75 + Math.random() / 2));
      backoff = Math.min(backoff * 2, 10000);
      setTimeout(async () => { if (await renewToken()) connect(); else reconnect(); }, wait);
    }
    function connect() {
      const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/dashboard?token=" + encodeURIComponent(token));
      ws.onopen = () => { backoff = 1000; $("#live").textContent = "live"; $("#live").className = "on"; refresh(); };
      ws.onmessage = (e) => { const m = JSON.parse(e.data); if (m.type === "hello") return; logEvent(m); soon(); };
      ws.onclose = reconnect;
    }
    document.addEventListener("click", (e) => { const b = e.target && e.target.closest && e.target.closest("button[data-alert]"); if (b && !b.disabled) resolveAlert(b); });
    refresh();
    connect();
    setInterval(refresh, 30000);
    </script>
    </body>
    </html>
    """#
}
