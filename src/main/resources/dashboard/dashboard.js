// devana-jobs dashboard: reads /api/stats and /api/jobs every 2 s and redraws. No framework, no
// build step, nothing from outside this app. Every job field is untrusted text: it is only ever
// set with textContent, never parsed as HTML.
(function () {
  "use strict";

  var REFRESH_MS = 2000;
  var STATUSES = ["total", "pending", "in_progress", "done", "error"];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function byId(id) { return document.getElementById(id); }

  function getJson(url) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, 5000);
    return fetch(url, { cache: "no-store", signal: controller.signal }).then(function (response) {
      clearTimeout(timer);
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }, function (error) { clearTimeout(timer); throw error; });
  }

  // The account shown: "" for all of them; chosen in the header, kept in the page's ?account= so a link keeps it.
  // The names offered are those /api/stats lists; the one chosen only ever goes back encoded in a query.
  var account = new URLSearchParams(window.location.search).get("account") || "";

  function withAccount(url) {
    return account ? url + (url.indexOf("?") < 0 ? "?" : "&") + "account=" + encodeURIComponent(account) : url;
  }

  function renderAccounts(names) {
    names = Array.isArray(names) ? names : [];
    var select = byId("account");
    byId("account-filter").hidden = names.length < 2;
    var offered = Array.prototype.map.call(select.options, function (o) { return o.value; }).slice(1);
    if (offered.join(",") === names.join(",")) return;
    select.replaceChildren(el("option", null, "all"));
    select.options[0].value = "";
    names.forEach(function (name) {
      var option = el("option", null, name);
      option.value = String(name);
      select.appendChild(option);
    });
    select.value = names.indexOf(account) >= 0 ? account : "";
  }

  function ago(iso) {
    if (!iso) return "";
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) return seconds + " s ago";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " d ago";
  }

  function shortId(id) {
    id = String(id || "");
    return id.length > 18 ? id.slice(0, 16) + "…" : id;
  }

  function setNumber(id, value) {
    var node = byId(id);
    var text = value === undefined || value === null ? "–" : String(value);
    if (node.textContent !== text) node.textContent = text;
  }

  function jobLine(job) {
    var line = el("div", "line");
    line.appendChild(el("span", "type", job.type));
    var id = el("span", "id", shortId(job.id));
    id.title = job.id;
    line.appendChild(id);
    if (job.targetId) line.appendChild(el("span", "target", "→ " + job.targetId));
    line.appendChild(el("span", "when", ago(job.tracking && job.tracking.changedAt)));
    return line;
  }

  function progressBar(percent, label) {
    var wrap = el("div", "progress");
    var bar = el("div", "bar");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", String(percent));
    bar.setAttribute("aria-label", label);
    var fill = el("div", "fill");
    fill.style.width = percent + "%";
    bar.appendChild(fill);
    wrap.appendChild(bar);
    wrap.appendChild(el("span", "pct", percent + "%"));
    return wrap;
  }

  function fill(listId, emptyId, jobs, render) {
    var list = byId(listId);
    var items = jobs.map(render);
    list.replaceChildren.apply(list, items);
    byId(emptyId).hidden = jobs.length > 0;
  }

  function renderActive(job) {
    var item = el("li", job.status === "PENDING" ? "queued" : "running");
    item.dataset.jobId = job.id;
    item.dataset.status = job.status;
    item.appendChild(jobLine(job));
    var percent = typeof job.progress === "number" ? Math.max(0, Math.min(100, Math.round(job.progress))) : 0;
    item.appendChild(progressBar(percent, job.type + " " + job.id));
    if (job.status === "PENDING") item.appendChild(el("div", "detail", "waiting in the queue"));
    return item;
  }

  function retryText(retry) {
    if (!retry) return ["", "no retry decision yet"];
    switch (retry.outcome) {
      case "REQUESTED": return ["REQUESTED", "retry requested (attempt " + retry.attempt + ")"];
      case "FAILED": return ["FAILED", "retry not sent yet" + (retry.httpStatus ? " (HTTP " + retry.httpStatus + ")" : "") + ", trying again"];
      case "EXHAUSTED": return ["EXHAUSTED", "retries exhausted"];
      case "REJECTED": return ["REJECTED", "not retried: unsafe target id"];
      case "UNSUPPORTED": return ["UNSUPPORTED", "no retry call for this type"];
      default: return [retry.outcome, retry.outcome];
    }
  }

  function renderFailure(job) {
    var item = el("li");
    item.dataset.jobId = job.id;
    item.appendChild(jobLine(job));
    var message = job.error || (job.metadata && job.metadata.error) || "(no error message)";
    item.appendChild(el("div", "error-text", message));
    var retry = retryText(job.tracking && job.tracking.retry);
    var line = el("div", "line");
    line.appendChild(el("span", "outcome " + retry[0], retry[1]));
    item.appendChild(line);
    return item;
  }

  function summary(metadata) {
    if (!metadata || typeof metadata !== "object") return "";
    var parts = [];
    ["fileName", "folderName", "provider", "source", "kind"].forEach(function (key) {
      if (metadata[key] !== undefined && parts.length < 2) parts.push(String(metadata[key]));
    });
    if (metadata.pageCount !== undefined) parts.push(metadata.pageCount + " pages");
    if (metadata.filesProcessed !== undefined) parts.push(metadata.filesProcessed + " files");
    return parts.join(" · ");
  }

  function renderCompletion(job) {
    var item = el("li");
    item.dataset.jobId = job.id;
    item.appendChild(jobLine(job));
    var text = summary(job.metadata);
    if (text) item.appendChild(el("div", "detail", text));
    return item;
  }

  function renderTypes(byType) {
    var names = Object.keys(byType || {}).sort(function (a, b) { return byType[b] - byType[a] || a.localeCompare(b); });
    var max = names.reduce(function (m, name) { return Math.max(m, byType[name]); }, 0);
    var list = byId("types");
    list.replaceChildren.apply(list, names.map(function (name) {
      var item = el("li");
      item.dataset.type = name;
      item.appendChild(el("span", "type-name", name));
      var bar = el("div", "bar");
      var barFill = el("div", "fill");
      barFill.style.width = (max ? Math.round(100 * byType[name] / max) : 0) + "%";
      bar.appendChild(barFill);
      item.appendChild(bar);
      item.appendChild(el("span", "count-of-type", byType[name]));
      return item;
    }));
    if (!names.length) list.replaceChildren(el("li", "empty", "No job in the last 24 h."));
  }

  function refresh() {
    return Promise.all([
      getJson(withAccount("/api/stats")),
      getJson(withAccount("/api/jobs?status=IN_PROGRESS&limit=20")),
      getJson(withAccount("/api/jobs?status=PENDING&limit=10")),
      getJson(withAccount("/api/jobs?status=ERROR&limit=8")),
      getJson(withAccount("/api/jobs?status=DONE&limit=8"))
    ]).then(function (answers) {
      if (answers[0].status === 400 && account) {
        account = ""; // a name in the link that is no account of this deployment: show them all
        return refresh();
      }
      var stats = answers[0].body;
      renderAccounts(stats.accounts);
      STATUSES.forEach(function (key) { setNumber("count-" + key, stats[key]); });
      setNumber("count-completions", stats.completions);
      setNumber("count-retries", stats.retries_total);
      setNumber("count-events", stats.events_pending);
      setNumber("count-events-parked", stats.events_parked);
      // refused by the bus for good: shown as an error until an operator re-publishes them (docs/operations.md)
      byId("parked-tile").className = stats.events_parked > 0 ? "count error" : "count";
      renderTypes(stats.by_type);
      var active = answers[1].body.data.concat(answers[2].body.data);
      byId("active-count").textContent = (stats.in_progress || 0) + " running, " + (stats.pending || 0) + " queued";
      fill("active", "active-empty", active, renderActive);
      fill("failures", "failures-empty", answers[3].body.data, renderFailure);
      fill("completions", "completions-empty", answers[4].body.data, renderCompletion);
      byId("updated").textContent = "updated " + new Date().toLocaleTimeString();
      byId("offline").hidden = true;
      document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
    }).catch(function () {
      byId("offline").hidden = false;
    });
  }

  function readiness() {
    return getJson("/observe/health/ready").then(function (answer) {
      var pill = byId("readiness");
      var down = (answer.body.checks || []).filter(function (c) { return c.status !== "UP"; });
      pill.textContent = answer.status === 200 ? "ready" : "not ready";
      pill.className = "pill " + (answer.status === 200 ? "up" : "down");
      pill.title = down.length ? down.map(function (c) { return c.name + ": " + (c.message || c.status); }).join("\n") : "all checks UP";
    }).catch(function () {
      byId("readiness").textContent = "unknown";
      byId("readiness").className = "pill";
    });
  }

  byId("account").addEventListener("change", function (event) {
    account = event.target.value;
    var url = new URL(window.location.href);
    if (account) url.searchParams.set("account", account); else url.searchParams.delete("account");
    window.history.replaceState(null, "", url);
    refresh();
  });

  function loop() {
    Promise.all([refresh(), readiness()]).then(function () { setTimeout(loop, REFRESH_MS); });
  }
  loop();
})();
