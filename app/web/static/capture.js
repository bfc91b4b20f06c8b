// Minimal capture flow: upload document, upload selfie, submit, poll status.
(function () {
  "use strict";
  const root = document.getElementById("app");
  const verificationId = root.dataset.verification;
  const secret = new URLSearchParams(window.location.search).get("secret") || "";
  const api = "/v1/sessions/" + encodeURIComponent(verificationId);
  const live = document.getElementById("live");

  function announce(text) { live.textContent = text; }

  async function call(path, options) {
    const opts = options || {};
    opts.headers = Object.assign({ "X-Client-Secret": secret }, opts.headers || {});
    const response = await fetch(api + path, opts);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const err = (body && body.error) || { code: "http_" + response.status, message: "Request failed." };
      throw err;
    }
    return body;
  }

  async function upload(path, field, input, out, extra) {
    const file = input.files && input.files[0];
    if (!file) { out.textContent = "Choose a photo first."; input.focus(); return; }
    const form = new FormData();
    form.append(field, file);
    Object.entries(extra || {}).forEach(([k, v]) => form.append(k, v));
    out.textContent = "Uploading…";
    try {
      await call(path, { method: "POST", body: form });
      out.textContent = "Uploaded.";
      announce("Upload complete.");
    } catch (err) {
      out.textContent = err.message + " (" + err.code + ")";
      announce(err.message);
    }
  }

  document.getElementById("document-upload").addEventListener("click", () =>
    upload("/document", "file", document.getElementById("document-file"),
      document.getElementById("document-result"), { side: "front" }));
  document.getElementById("selfie-upload").addEventListener("click", () =>
    upload("/selfie", "files", document.getElementById("selfie-file"),
      document.getElementById("selfie-result")));

  function render(status) {
    document.getElementById("status-text").textContent = "Status: " + status.status.replace(/_/g, " ");
    const list = document.getElementById("status-reasons");
    list.innerHTML = "";
    Object.values(status.messages || {}).forEach((m) => {
      const li = document.createElement("li"); li.textContent = m; list.appendChild(li);
    });
  }

  async function poll() {
    try {
      const status = await call("/status");
      render(status);
      if (status.status === "processing") setTimeout(poll, 1500);
      else announce("Status: " + status.status.replace(/_/g, " "));
    } catch (err) { document.getElementById("status-text").textContent = err.message; }
  }

  document.getElementById("submit").addEventListener("click", async () => {
    try {
      const status = await call("/submit", { method: "POST" });
      render(status);
      announce("Sent. Checking your documents.");
      poll();
    } catch (err) {
      document.getElementById("status-text").textContent = err.message + " (" + err.code + ")";
      announce(err.message);
    }
  });
  poll();
})();
