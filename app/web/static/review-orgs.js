// Reviewer console, organisations: queue, ownership graph, watchlist hits and dismissals.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const consoleEl = $("console");
  const table = $("organisations");
  if (!consoleEl || !table) return;
  const csrf = consoleEl.dataset.csrf;
  const human = (s) => String(s || "").replace(/_/g, " ");

  async function api(url, options) {
    const opts = Object.assign({ credentials: "same-origin" }, options || {});
    if (opts.method && opts.method !== "GET") {
      opts.headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
    }
    const r = await fetch(url, opts);
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((body.error && body.error.message) || ("HTTP " + r.status));
    return body;
  }
  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }

  async function open(id) {
    const view = await api("/v1/review/organisations/" + encodeURIComponent(id));
    $("organisation-detail").hidden = false;
    $("organisation-title").textContent = view.name + " — " + human(view.status);
    const ex = view.explanation || {};
    $("organisation-sum").textContent = ex.sum_pct !== null && ex.sum_pct !== undefined
      ? "Stakes counted: " + ex.sum_pct + " % (" + (ex.regime || "") + "); list versions: "
        + Object.entries(view.list_versions || {}).map(([k, v]) => k + " " + v).join(", ")
      : (view.reasons || []).map(human).join(", ");
    $("organisation-graph").src = "/v1/review/organisations/" + encodeURIComponent(id) + "/graph.svg";
    const hits = $("organisation-hits");
    hits.replaceChildren();
    (view.hits || []).forEach((hit) => {
      const li = document.createElement("li");
      li.textContent = hit.list + " " + hit.entry_id + ": " + hit.matched_name + " (score " + hit.score + ") ";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = "Not this party";
      button.addEventListener("click", async () => {
        const reason = window.prompt("Why is this entry another party? (recorded with your name)");
        if (!reason) return;
        await api("/v1/review/organisations/" + encodeURIComponent(id) + "/dismissals", {
          method: "POST", body: JSON.stringify({ list: hit.list, entry_id: hit.entry_id, reason: reason }),
        });
        await load();
        await open(id);
      });
      li.appendChild(button);
      hits.appendChild(li);
    });
    $("organisation-title").focus();
  }

  async function load() {
    const rows = await api("/v1/review/organisations");
    table.replaceChildren();
    rows.forEach((r) => {
      const tr = document.createElement("tr");
      tr.appendChild(cell(r.name + " (" + r.kind + ")"));
      tr.appendChild(cell(human(r.status)));
      tr.appendChild(cell((r.reasons || []).map(human).join(", ")));
      tr.appendChild(cell(String(r.hits)));
      const td = document.createElement("td");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Open";
      button.addEventListener("click", () => open(r.id));
      td.appendChild(button);
      tr.appendChild(td);
      table.appendChild(tr);
    });
  }
  async function loadPersons() {
    const body = $("person-hits");
    if (!body) return;
    const rows = await api("/v1/review/organisations/persons/hits");
    body.replaceChildren();
    rows.forEach((r) => {
      const tr = document.createElement("tr");
      tr.appendChild(cell(r.account_id));
      tr.appendChild(cell(r.name));
      tr.appendChild(cell(r.birth_date || "—"));
      const td = document.createElement("td");
      (r.hits || []).forEach((hit) => {
        const line = document.createElement("div");
        line.textContent = hit.list + " " + hit.entry_id + ": " + hit.name + " (" + hit.score + ", "
          + (hit.reasons || []).map(human).join(", ") + ") ";
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = "Not this person";
        button.addEventListener("click", async () => {
          const reason = window.prompt("Why is this entry another person? (recorded with your name)");
          if (!reason) return;
          await api("/v1/review/organisations/persons/" + encodeURIComponent(r.account_id) + "/dismissals", {
            method: "POST", body: JSON.stringify({ list: hit.list, entry_id: hit.entry_id, reason: reason }),
          });
          await loadPersons();
        });
        line.appendChild(button);
        td.appendChild(line);
      });
      tr.appendChild(td);
      body.appendChild(tr);
    });
  }
  load().catch(() => {});
  loadPersons().catch(() => {});
})();
