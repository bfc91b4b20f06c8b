// Minimal reviewer console: login, queue, case detail with evidence, decision.
(function () {
  "use strict";
  const login = document.getElementById("login");
  if (login) {
    login.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const response = await fetch("/v1/review/login", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: login.email.value, password: login.password.value }),
      });
      if (response.ok) { window.location.reload(); return; }
      const body = await response.json().catch(() => ({}));
      document.getElementById("login-error").textContent = (body.error && body.error.message) || "Login failed.";
    });
    return;
  }
  const consoleEl = document.getElementById("console");
  const csrf = consoleEl.dataset.csrf;
  let current = null;

  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin" });
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.json();
  }

  async function loadQueue() {
    const cases = await getJSON("/v1/review/cases");
    const body = document.getElementById("cases");
    body.innerHTML = "";
    cases.forEach((c) => {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      const a = document.createElement("a");
      a.href = "#" + c.id; a.textContent = c.id; a.addEventListener("click", () => openCase(c.id));
      td.appendChild(a); tr.appendChild(td);
      [c.account_id, c.escalations.join(", "), c.created_at].forEach((t) => {
        const cell = document.createElement("td"); cell.textContent = t; tr.appendChild(cell);
      });
      body.appendChild(tr);
    });
  }

  async function openCase(id) {
    const detail = await getJSON("/v1/review/cases/" + encodeURIComponent(id));
    current = id;
    document.getElementById("case").hidden = false;
    document.getElementById("case-title").textContent = "Case " + id + " · account " + detail.case.account_id;
    const ev = document.getElementById("case-evidence");
    ev.innerHTML = "";
    detail.artifacts.filter((a) => a.kind !== "selfie_frame" || a.frame_index % 5 === 0).forEach((a) => {
      const fig = document.createElement("figure");
      const img = document.createElement("img");
      img.src = a.url; img.alt = a.kind.replace(/_/g, " "); img.style.maxWidth = "16rem";
      const cap = document.createElement("figcaption"); cap.textContent = a.kind.replace(/_/g, " ");
      fig.appendChild(img); fig.appendChild(cap); ev.appendChild(fig);
    });
    const checks = document.getElementById("case-checks");
    checks.innerHTML = "";
    detail.verification.checks.forEach((c) => {
      const li = document.createElement("li");
      li.textContent = c.kind + ": " + c.outcome + (c.score !== null ? " (score " + c.score.toFixed(3) + ")" : "") +
        (c.reason_codes.length ? " — " + c.reason_codes.join(", ") : "");
      checks.appendChild(li);
    });
  }

  document.getElementById("decide").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!current) return;
    const form = ev.target;
    const r = await fetch("/v1/review/cases/" + encodeURIComponent(current) + "/decision", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ decision: form.decision.value, reason: form.reason.value }),
    });
    const body = await r.json().catch(() => ({}));
    document.getElementById("decide-result").textContent = r.ok ? "Decision recorded." :
      ((body.error && body.error.message) || "Failed.");
    if (r.ok) { document.getElementById("case").hidden = true; loadQueue(); }
  });
  loadQueue();
})();
