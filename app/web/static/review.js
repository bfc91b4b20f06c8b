// Reviewer console: login, filtered queue with claiming, case page with evidence, decisions.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const human = (s) => String(s || "").replace(/_/g, " ");

  const login = $("login");
  if (login) {
    login.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const response = await fetch("/v1/review/login", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: login.email.value, password: login.password.value }),
      });
      if (response.ok) { window.location.reload(); return; }
      const body = await response.json().catch(() => ({}));
      $("login-error").textContent = (body.error && body.error.message) || "Login failed.";
    });
    return;
  }

  const consoleEl = $("console");
  if (!consoleEl) return;
  const csrf = consoleEl.dataset.csrf;
  const me = consoleEl.dataset.reviewer;
  let currentCase = null;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function row(cells) {
    const tr = el("tr");
    cells.forEach((c) => {
      const td = el("td");
      if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? "—" : String(c);
      tr.appendChild(td);
    });
    return tr;
  }
  function pills(codes) {
    const span = el("span");
    (codes || []).forEach((c) => span.appendChild(el("span", human(c), "pill")));
    if (!codes || !codes.length) span.textContent = "—";
    return span;
  }
  function announce(text) { $("console-status").textContent = text; }
  function showError(text) { const e = $("console-error"); e.textContent = text || ""; e.hidden = !text; }

  function age(iso) {
    const minutes = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60000));
    if (minutes < 60) return minutes + " min";
    if (minutes < 48 * 60) return Math.round(minutes / 60) + " h";
    return Math.round(minutes / 1440) + " days";
  }

  async function api(url, options) {
    const opts = Object.assign({ credentials: "same-origin" }, options || {});
    if (opts.method && opts.method !== "GET") {
      opts.headers = Object.assign({ "Content-Type": "application/json", "X-CSRF-Token": csrf }, opts.headers || {});
    }
    const r = await fetch(url, opts);
    const body = await r.json().catch(() => ({}));
    if (r.status === 401) { window.location.reload(); throw new Error("Logged out."); }
    if (!r.ok) throw new Error((body.error && body.error.message) || ("HTTP " + r.status));
    return body;
  }

  // --- queue -------------------------------------------------------------------------------
  function queueQuery() {
    const params = new URLSearchParams();
    const reason = $("f-reason").value, ageSel = $("f-age").value, assignee = $("f-assignee").value;
    if (reason) params.set("reason", reason);
    if (assignee) params.set("assignee", assignee);
    if (ageSel) {
      const [kind, hours] = ageSel.split(":");
      params.set(kind === "min" ? "min_age_hours" : "max_age_hours", hours);
    }
    return params.toString();
  }

  async function loadQueue() {
    showError("");
    let cases;
    try { cases = await api("/v1/review/cases?" + queueQuery()); } catch (e) { showError(e.message); return; }
    const body = $("cases");
    body.textContent = "";
    $("queue-empty").hidden = cases.length > 0;
    cases.forEach((c) => {
      const link = el("a", c.id);
      link.href = "#case=" + encodeURIComponent(c.id);
      const claim = el("button", c.assignee_id === me ? "Claimed by you" : "Claim", "secondary");
      claim.type = "button";
      claim.disabled = c.assignee_id === me;
      claim.setAttribute("aria-label", "Claim case " + c.id);
      claim.addEventListener("click", async () => {
        try { await api("/v1/review/cases/" + encodeURIComponent(c.id) + "/claim", { method: "POST" }); announce("Case claimed."); loadQueue(); }
        catch (e) { showError(e.message); }
      });
      const status = c.status === "second_review" ? " (waiting for a second approval)" : "";
      const why = pills(c.escalations);
      if (status) why.appendChild(el("span", status));
      body.appendChild(row([link, c.account_id, why, age(c.created_at), c.assignee_email || "unclaimed", claim]));
    });
    loadManualRequests();
  }

  async function loadManualRequests() {
    let items;
    try { items = await api("/v1/review/manual-requests"); } catch (e) { return; }
    const body = $("manual-requests");
    body.textContent = "";
    if (!items.length) { const tr = row(["No requests."]); tr.firstChild.colSpan = 5; body.appendChild(tr); }
    items.forEach((i) => body.appendChild(row([new Date(i.at).toLocaleString(), i.account_id, i.verification_id,
      human(i.verification_status), i.note || "—"])));
  }

  $("filters").addEventListener("submit", (ev) => { ev.preventDefault(); loadQueue(); });

  // --- case --------------------------------------------------------------------------------
  function zoomable(artifact, label) {
    const fig = el("figure");
    const button = el("button", null, "zoom-button");
    button.type = "button";
    button.setAttribute("aria-pressed", "false");
    const img = el("img", null, "zoomable");
    img.src = artifact.url;
    img.alt = label;
    img.loading = "lazy";
    button.appendChild(img);
    button.addEventListener("click", () => {
      const zoomed = img.classList.toggle("zoomed");
      img.classList.toggle("zoomable", !zoomed);
      button.setAttribute("aria-pressed", zoomed ? "true" : "false");
    });
    const wrap = el("div", null, "zoom-wrap");
    wrap.appendChild(button);
    fig.appendChild(wrap);
    fig.appendChild(el("figcaption", label));
    return fig;
  }

  function figure(artifact, label) {
    const fig = el("figure");
    const img = el("img");
    img.src = artifact.url; img.alt = label; img.loading = "lazy";
    fig.appendChild(img);
    fig.appendChild(el("figcaption", label));
    return fig;
  }

  function renderEvidence(artifacts) {
    const doc = $("doc-images"), faces = $("face-images"), frames = $("frame-images");
    [doc, faces, frames].forEach((n) => { n.textContent = ""; });
    const byKind = (k) => artifacts.filter((a) => a.kind === k);
    byKind("document_front").forEach((a) => doc.appendChild(zoomable(a, "Document, front")));
    byKind("document_back").forEach((a) => doc.appendChild(zoomable(a, "Document, back")));
    byKind("portrait").forEach((a) => faces.appendChild(figure(a, "Portrait cropped from the document")));
    byKind("selfie_best").forEach((a) => faces.appendChild(figure(a, "Selfie frame used for matching")));
    byKind("selfie").forEach((a) => faces.appendChild(zoomable(a, "Still selfie (no liveness challenge)")));
    const burst = byKind("selfie_frame");
    const step = Math.max(1, Math.ceil(burst.length / 12));
    burst.filter((_, i) => i % step === 0).forEach((a) => frames.appendChild(
      figure(a, "Frame " + a.frame_index + (a.captured_at_s !== null ? " at " + a.captured_at_s.toFixed(1) + " s" : ""))));
    if (!burst.length) frames.appendChild(el("p", "No challenge frames in this attempt.", "hint"));
  }

  function renderChecks(checks) {
    const body = $("checks");
    body.textContent = "";
    checks.forEach((c) => {
      const outcome = el("span", c.outcome, "outcome outcome-" + c.outcome);
      body.appendChild(row([human(c.kind), outcome, c.score === null ? null : Number(c.score).toFixed(3), pills(c.reason_codes)]));
    });
  }

  function flatten(obj, prefix, out) {
    Object.entries(obj || {}).forEach(([k, v]) => {
      const key = prefix ? prefix + "." + k : k;
      if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, key, out);
      else out[key] = Array.isArray(v) ? v.join(", ") : v;
    });
    return out;
  }

  function renderFields(checks) {
    const mrz = checks.find((c) => c.kind === "mrz");
    const consistency = checks.find((c) => c.kind === "data_consistency");
    const mrzFields = (mrz && mrz.details && mrz.details.fields) || {};
    const cd = (consistency && consistency.details) || {};
    const printed = Object.assign({}, cd.printed || cd.printed_fields || cd.fields || {});
    const body = $("fields");
    body.textContent = "";
    const names = Array.from(new Set(Object.keys(mrzFields).concat(Object.keys(printed))));
    // The pipeline records which printed fields were compared and which differ, not the
    // printed values themselves: show that verdict when there is no value.
    const compared = new Set(cd.compared || []);
    const mismatches = new Set(cd.mismatches || []);
    names.forEach((n) => {
      const p = printed[n];
      let shown = p && typeof p === "object" ? JSON.stringify(p) : p;
      if (shown === undefined && compared.has(n)) shown = mismatches.has(n) ? "✗ differs" : "✓ matches";
      body.appendChild(row([human(n), mrzFields[n], shown]));
    });
    if (!names.length) body.appendChild(row(["No fields were read.", "", ""]));
    const summary = flatten(Object.fromEntries(Object.entries(cd).filter(([k]) => !["printed", "printed_fields", "fields"].includes(k))), "", {});
    $("consistency").textContent = consistency
      ? "Printed vs MRZ: " + consistency.outcome + ". " + Object.entries(summary).map(([k, v]) => k + ": " + v).join("; ")
      : "No printed-field comparison was recorded.";
  }

  function renderCluster(detail) {
    const dup = detail.verification.checks.find((c) => c.kind === "duplicates");
    const hits = (dup && dup.details && dup.details.face_hits) || [];
    const body = $("cluster");
    body.textContent = "";
    detail.linked_accounts.forEach((a) => {
      const hit = hits.find((h) => h.account === a.account_id);
      body.appendChild(row([a.account_id, a.known ? human(a.access) : "unknown",
        a.verification_id ? a.verification_id + " (" + human(a.verification_status) + ")" : null,
        hit ? Number(hit.distance).toFixed(3) : "document match"]));
    });
    $("cluster-empty").hidden = detail.linked_accounts.length > 0;
  }

  function renderHistory(events) {
    const list = $("history");
    list.textContent = "";
    events.forEach((e) => {
      const who = e.actor_type + (e.actor_id ? " " + e.actor_id : "");
      const extra = e.data && (e.data.to_status || e.data.reason || e.data.kind || e.data.note || "");
      list.appendChild(el("li", new Date(e.at).toLocaleString() + " — " + human(e.action) + " by " + who +
        (extra ? " — " + (Array.isArray(extra) ? extra.join(", ") : extra) : "")));
    });
  }

  async function openCase(id) {
    showError("");
    let detail;
    try { detail = await api("/v1/review/cases/" + encodeURIComponent(id)); } catch (e) { showError(e.message); return; }
    currentCase = detail.case;
    $("queue-view").hidden = true;
    $("case-view").hidden = false;
    $("case-title").textContent = "Case " + detail.case.id;
    const v = detail.verification;
    $("case-summary").textContent = "Account " + detail.case.account_id + " · verification " + v.id + " · status " +
      human(v.status) + " · attempt " + v.attempts + " · escalated for: " + (detail.case.escalations.map(human).join(", ") || "—");
    const banner = $("case-banner");
    const first = detail.case.details && detail.case.details.first_approval;
    if (detail.case.status === "second_review" && first) {
      banner.textContent = "Approved by " + first.reviewer_id + " (" + first.reason + "). A second reviewer must confirm: " +
        (first.reviewer_id === me ? "you cannot confirm your own approval." : "approve to confirm, or decide otherwise.");
      banner.hidden = false;
    } else if (detail.case.needs_second_approval) {
      banner.textContent = "Approving this case needs a second reviewer's confirmation (identity escalation).";
      banner.hidden = false;
    } else banner.hidden = true;
    $("claim").hidden = detail.case.assignee_id === me;
    renderEvidence(detail.artifacts);
    renderChecks(v.checks);
    renderFields(v.checks);
    renderCluster(detail);
    renderHistory(detail.history);
    $("decide-result").textContent = "";
    $("reason").value = "";
    $("case-title").focus();
  }

  $("claim").addEventListener("click", async () => {
    if (!currentCase) return;
    try { await api("/v1/review/cases/" + encodeURIComponent(currentCase.id) + "/claim", { method: "POST" }); announce("Case claimed."); openCase(currentCase.id); }
    catch (e) { showError(e.message); }
  });

  $("decide").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!currentCase) return;
    const reason = $("reason").value.trim();
    if (!reason) { $("decide-result").textContent = "Write the reason for your decision."; $("reason").focus(); return; }
    try {
      const result = await api("/v1/review/cases/" + encodeURIComponent(currentCase.id) + "/decision", {
        method: "POST", body: JSON.stringify({ decision: $("decision").value, reason: reason }),
      });
      const text = result.status === "second_review"
        ? "Approval recorded. A second reviewer must confirm it before access is restored."
        : "Decision recorded.";
      $("decide-result").textContent = text;
      announce(text);
    } catch (e) {
      $("decide-result").textContent = "Not recorded: " + e.message;
    }
  });

  $("back").addEventListener("click", (ev) => { ev.preventDefault(); window.location.hash = ""; });

  function route() {
    const match = window.location.hash.match(/^#case=(.+)$/);
    if (match) { openCase(decodeURIComponent(match[1])); return; }
    currentCase = null;
    $("case-view").hidden = true;
    $("queue-view").hidden = false;
    loadQueue();
  }
  window.addEventListener("hashchange", route);
  route();
})();
