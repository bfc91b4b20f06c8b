// Capture flow: consent -> document (camera or upload, front/back) -> live selfie challenge
// (mirrored preview, unmirrored frame burst with timestamps) -> submit -> status polling.
(function () {
  "use strict";
  const root = document.getElementById("app");
  if (!root) return;
  const verificationId = root.dataset.verification;
  // The link's secret is moved out of the address bar at once (history, screenshots,
  // shoulder-surfing) and kept for this tab only; reloads read it from sessionStorage.
  const secretKey = "idgate-secret-" + verificationId;
  const secret = (function () {
    const params = new URLSearchParams(window.location.search);
    const fromLink = params.get("secret");
    let stored = "";
    try {
      if (fromLink) window.sessionStorage.setItem(secretKey, fromLink);
      stored = window.sessionStorage.getItem(secretKey) || "";
    } catch (e) { /* storage disabled: keep the value for this page view only */ }
    if (fromLink) {
      params.delete("secret");
      const rest = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
    }
    return fromLink || stored;
  })();
  const api = "/v1/sessions/" + encodeURIComponent(verificationId);
  const $ = (id) => document.getElementById(id);
  const consentKey = "idgate-consent-" + verificationId;

  const BURST_FPS = 7;
  const BASELINE_S = 1.0;
  const ACTION_S = 2.8;
  const COUNTDOWN_S = 3;
  const MAX_FRAME_SIDE = 640;

  const STATUS_TEXT = {
    created: "Not sent yet.",
    awaiting_input: "Not sent yet.",
    processing: "We are checking your photos. This usually takes less than a minute.",
    approved: "Verified. Your access is restored.",
    declined: "We could not verify your identity.",
    needs_review: "A person will review your verification.",
    resubmission_requested: "We need new photos from you.",
    expired: "This verification has expired.",
    canceled: "This verification was canceled.",
  };
  const NEXT_TEXT = {
    wait: "Keep this page open; it updates by itself.",
    wait_for_review: "You do not need to do anything now. This page updates when the review is done; " +
      "the service that sent you here will also tell you.",
    retry: "Read what went wrong above, then try again: upload your document again and retake the selfie.",
    access_restored: "You can close this page and go back to the service.",
    contact_support: "If you think this is wrong, contact the support team of the service that sent you here.",
    request_new_link: "Ask the service that sent you here for a new verification link.",
    capture: "Continue with the steps.",
    capture_document: "Continue with the steps.",
  };

  // --- helpers -----------------------------------------------------------------------
  function announce(text) {
    const live = $("live");
    live.textContent = "";
    window.setTimeout(() => { live.textContent = text; }, 50);
  }

  function showError(err) {
    const box = $("error");
    if (!err) { box.hidden = true; box.textContent = ""; return; }
    box.textContent = err.message + (err.code ? " (" + err.code + ")" : "");
    box.hidden = false;
  }

  function human(status) { return String(status || "").replace(/_/g, " "); }

  async function call(path, options) {
    const opts = options || {};
    opts.headers = Object.assign({ "X-Client-Secret": secret }, opts.headers || {});
    let response;
    try {
      response = await fetch(api + path, opts);
    } catch (e) {
      throw { code: "network_error", message: "No connection to the server. Check your network and try again." };
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw (body && body.error) || { code: "http_" + response.status, message: "The request failed." };
    }
    return body;
  }

  function showStep(name, quiet) {
    document.querySelectorAll(".step").forEach((s) => { s.hidden = s.id !== "step-" + name; });
    document.querySelectorAll(".progress li").forEach((li) => {
      const current = li.dataset.step === name;
      li.classList.toggle("current", current);
      if (current) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    });
    const heading = document.querySelector("#step-" + name + " h2");
    if (heading && !quiet) heading.focus();
  }

  function stopStream(video) {
    const stream = video.srcObject;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
  }

  async function openCamera(video, facing, width, height) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw { code: "camera_unavailable", message: "This browser cannot use the camera. Upload a photo instead." };
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: facing }, width: { ideal: width }, height: { ideal: height } },
      });
    } catch (e) {
      throw { code: "camera_denied", message: "The camera could not be opened (" + (e.name || "error") +
        "). Allow camera access, or use the other option below." };
    }
    video.srcObject = stream;
    await video.play().catch(() => undefined);
    if (video.readyState < 2) {
      await new Promise((resolve) => video.addEventListener("loadeddata", resolve, { once: true }));
    }
    return stream;
  }

  // Draw the current video frame, unmirrored, at most maxSide pixels on its long side.
  function grab(video, canvas, maxSide) {
    const w = video.videoWidth, h = video.videoHeight;
    const scale = maxSide ? Math.min(1, maxSide / Math.max(w, h)) : 1;
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  }

  function toJpeg(canvas, quality) {
    return new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("encode failed"))), "image/jpeg", quality));
  }

  const sleep = (ms) => new Promise((r) => window.setTimeout(r, ms));

  // --- consent ---------------------------------------------------------------------------
  $("consent-continue").addEventListener("click", () => {
    if (!$("consent-check").checked) {
      showError({ code: "", message: "Tick the box to agree before you continue, or choose a manual review below." });
      $("consent-check").focus();
      return;
    }
    showError(null);
    window.sessionStorage.setItem(consentKey, "yes");
    showStep("document");
  });

  $("manual-request").addEventListener("click", async () => {
    const out = $("manual-result");
    try {
      const response = await fetch("/capture/" + encodeURIComponent(verificationId) + "/manual-review", {
        method: "POST",
        headers: { "X-Client-Secret": secret, "Content-Type": "application/json" },
        body: JSON.stringify({ note: $("manual-note").value }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw (body.error || { message: "The request failed." });
      out.textContent = body.message;
      announce(body.message);
    } catch (err) {
      out.textContent = err.message;
    }
  });

  $("handoff").addEventListener("toggle", () => {
    const img = $("handoff-qr");
    if ($("handoff").open && img.hidden) {
      // The secret goes in a header, never in the image's URL (which servers log).
      fetch("/capture/" + encodeURIComponent(verificationId) + "/qr.svg", {
        headers: { "X-Client-Secret": secret },
      }).then((response) => {
        if (!response.ok) throw new Error("qr");
        return response.blob();
      }).then((blob) => {
        img.src = URL.createObjectURL(blob);
        img.hidden = false;
      }).catch(() => { img.alt = "The QR code could not be loaded."; img.hidden = false; });
    }
  });

  // --- document --------------------------------------------------------------------------
  const uploadedSides = new Set();

  function currentSide() {
    return document.querySelector("input[name=side]:checked").value;
  }

  async function uploadDocument(blob, filename) {
    const side = currentSide();
    const out = $("document-result");
    const form = new FormData();
    form.append("file", blob, filename);
    form.append("side", side);
    out.textContent = "Uploading the " + side + " of your document…";
    showError(null);
    try {
      const body = await call("/document", { method: "POST", body: form });
      uploadedSides.add(side);
      const item = document.createElement("li");
      item.textContent = "✓ " + (side === "front" ? "Front" : "Back") + " uploaded (status: " + human(body.status) + ")";
      const list = $("document-uploaded");
      list.querySelectorAll("li[data-side='" + side + "']").forEach((li) => li.remove());
      item.dataset.side = side;
      list.appendChild(item);
      const verdict = body.quality;
      if (verdict && !verdict.ok) {
        // The server judged the photo at once: say exactly what to fix, then let them retake.
        out.textContent = "Please take this photo again: " +
          verdict.reason_codes.map((c) => verdict.messages[c] || c).join(" ");
        showError({ code: verdict.reason_codes.join(", "), message: out.textContent });
      } else {
        out.textContent = "The " + side + " of your document was received and looks sharp and readable.";
      }
      announce(out.textContent);
      $("document-continue").disabled = !uploadedSides.has("front");
    } catch (err) {
      out.textContent = "Upload failed: " + err.message;
      showError(err);
      announce(out.textContent);
    }
  }

  $("document-file").addEventListener("change", (ev) => {
    const file = ev.target.files && ev.target.files[0];
    if (file) uploadDocument(file, file.name);
    ev.target.value = "";
  });

  $("doc-camera-open").addEventListener("click", async () => {
    try {
      $("doc-camera").hidden = false;
      await openCamera($("doc-video"), "environment", 1920, 1080);
      $("doc-camera-shoot").hidden = false;
      $("doc-camera-shoot").focus();
      announce("Camera on. Fit your document inside the frame, then take the photo.");
    } catch (err) {
      $("doc-camera").hidden = true;
      showError(err);
    }
  });

  $("doc-camera-shoot").addEventListener("click", async () => {
    const video = $("doc-video");
    const canvas = document.createElement("canvas");
    grab(video, canvas, 0);
    const blob = await toJpeg(canvas, 0.92);
    stopStream(video);
    $("doc-camera").hidden = true;
    $("doc-camera-shoot").hidden = true;
    await uploadDocument(blob, "document-" + currentSide() + ".jpg");
  });

  $("document-continue").addEventListener("click", () => {
    stopStream($("doc-video"));
    showStep("selfie");
  });

  // --- selfie ------------------------------------------------------------------------------
  function setPrompt(text, progress) {
    $("prompt").textContent = text;
    if (typeof progress === "number") $("meter-bar").style.width = Math.round(progress * 100) + "%";
  }

  async function recordChallenge() {
    const start = $("selfie-start");
    start.disabled = true;
    showError(null);
    $("send-box").hidden = true;
    $("selfie-result").textContent = "";
    const video = $("selfie-video");
    let challenge;
    try {
      challenge = await call("/challenge", { method: "POST" });
      $("selfie-camera").hidden = false;
      await openCamera(video, "user", 640, 480);
    } catch (err) {
      $("selfie-camera").hidden = true;
      showError(err);
      start.disabled = false;
      return;
    }
    for (let n = COUNTDOWN_S; n > 0; n--) {
      setPrompt("Get ready: look straight at the camera… " + n, 0);
      await sleep(1000);
    }
    const plan = [{ text: "Look straight at the camera and hold still.", seconds: BASELINE_S }];
    challenge.actions.forEach((a, i) => plan.push({
      text: "Step " + (i + 1) + " of " + challenge.actions.length + ": " + (challenge.prompts[a] || human(a)),
      seconds: ACTION_S,
    }));
    const total = plan.reduce((s, p) => s + p.seconds, 0);
    const times = [];
    const encoded = [];
    const canvas = document.createElement("canvas");
    const t0 = performance.now();
    let promptIndex = -1;
    while (true) {
      const elapsed = (performance.now() - t0) / 1000;
      if (elapsed >= total) break;
      // Announce each prompt once, when its time window begins.
      let acc = 0, index = 0;
      for (; index < plan.length; index++) { acc += plan[index].seconds; if (elapsed < acc) break; }
      if (index !== promptIndex) {
        promptIndex = index;
        setPrompt(plan[index].text);
        if (index > 0) announce(plan[index].text);
      }
      $("meter-bar").style.width = Math.round((elapsed / total) * 100) + "%";
      grab(video, canvas, MAX_FRAME_SIDE);  // unmirrored: the preview is mirrored by CSS only
      times.push(Number(elapsed.toFixed(3)));
      encoded.push(toJpeg(canvas, 0.85));
      await sleep(1000 / BURST_FPS);
    }
    const frames = await Promise.all(encoded);
    stopStream(video);
    $("selfie-camera").hidden = true;
    setPrompt("Done. Uploading your selfie…", 1);
    announce("Recording finished. Uploading.");
    const form = new FormData();
    frames.forEach((blob, i) => form.append("files", blob, "frame-" + String(i).padStart(3, "0") + ".jpg"));
    form.append("nonce", challenge.nonce);
    form.append("timestamps", JSON.stringify(times));
    try {
      const body = await call("/selfie", { method: "POST", body: form });
      $("selfie-result").textContent = "Selfie received (" + body.artifact_ids.length + " frames, status: " +
        human(body.status) + ").";
      setPrompt("", 0);
      readyToSend();
    } catch (err) {
      $("selfie-result").textContent = "Upload failed: " + err.message;
      showError(err);
      setPrompt("", 0);
    }
    start.textContent = "Retake the selfie";
    start.disabled = false;
  }

  $("selfie-start").addEventListener("click", recordChallenge);

  $("selfie-still-upload").addEventListener("click", async () => {
    const input = $("selfie-file");
    const file = input.files && input.files[0];
    if (!file) { showError({ code: "", message: "Choose a photo of your face first." }); input.focus(); return; }
    const form = new FormData();
    form.append("files", file, file.name);
    try {
      const body = await call("/selfie", { method: "POST", body: form });
      $("selfie-result").textContent = "Photo received (status: " + human(body.status) +
        "). A person will check your case.";
      showError(null);
      readyToSend();
    } catch (err) {
      showError(err);
    }
  });

  function readyToSend() {
    $("send-box").hidden = false;
    $("submit").focus();
    announce("Selfie uploaded. You can now send everything for verification.");
  }

  $("submit").addEventListener("click", async () => {
    $("submit").disabled = true;
    try {
      const status = await call("/submit", { method: "POST" });
      showError(null);
      showStep("status");
      render(status);
      poll();
    } catch (err) {
      showError(err);
      if (err.code === "document_missing") showStep("document");
    } finally {
      $("submit").disabled = false;
    }
  });

  // --- status ------------------------------------------------------------------------------
  function render(status) {
    $("status-text").textContent = STATUS_TEXT[status.status] || human(status.status);
    $("status-text").dataset.status = status.status;
    $("status-spinner").hidden = status.status !== "processing";
    const list = $("status-reasons");
    list.textContent = "";
    (status.reason_codes || []).forEach((code) => {
      const li = document.createElement("li");
      li.dataset.code = code;
      const text = document.createElement("span");
      text.textContent = (status.messages && status.messages[code]) || human(code);
      const tag = document.createElement("span");
      tag.className = "code mono";
      tag.textContent = code;
      li.appendChild(text);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(tag);
      list.appendChild(li);
    });
    $("status-next").textContent = NEXT_TEXT[status.next_step] || "";
    $("retry").hidden = status.next_step !== "retry";
  }

  let pollTimer = null;
  async function poll() {
    if (pollTimer) window.clearTimeout(pollTimer);
    try {
      const status = await call("/status");
      render(status);
      if (status.status === "processing") pollTimer = window.setTimeout(poll, 1500);
      else if (status.status === "needs_review") pollTimer = window.setTimeout(poll, 15000);
      else announce(STATUS_TEXT[status.status] || human(status.status));
    } catch (err) {
      if (err.code === "invalid_client_secret") {
        $("status-text").textContent = "This link is no longer valid here. If you continued on another " +
          "device, finish there.";
      } else {
        pollTimer = window.setTimeout(poll, 5000);
        $("status-text").textContent = err.message;
      }
    }
  }

  $("retry").addEventListener("click", () => {
    uploadedSides.clear();
    $("document-uploaded").textContent = "";
    $("document-result").textContent = "";
    $("document-continue").disabled = true;
    $("selfie-result").textContent = "";
    $("send-box").hidden = true;
    $("selfie-start").textContent = "Start the selfie";
    showStep("document");
  });

  // --- start -------------------------------------------------------------------------------
  async function boot() {
    if (!secret) {
      showError({ code: "invalid_client_secret", message: "This link is incomplete. Open the full link you received." });
      return;
    }
    let status;
    try {
      status = await call("/status");
    } catch (err) {
      showError(err);
      return;
    }
    const collecting = ["created", "awaiting_input"].includes(status.status);
    if (collecting) {
      if (window.sessionStorage.getItem(consentKey) !== "yes") showStep("consent", true);
      else if (status.has_document && status.has_selfie) { showStep("selfie"); readyToSend(); }
      else if (status.has_document) showStep("selfie");
      else showStep("document");
      return;
    }
    showStep("status", true);
    render(status);
    if (status.status === "processing" || status.status === "needs_review") poll();
  }
  boot();
})();
