/* fedlend job progress: polls GET /jobs/<id> for every [data-job-url] box, updates its <progress>,
   and reloads the page (or goes to the job's result.redirect) once the job has finished. A running
   job whose message starts with ASK waits for the user: the page is reloaded once to show the
   question, unless it already shows one ([data-job-question]). */
(function () {
  "use strict";
  var ASK = "Your answer is needed: ";  // owner_app/review.py ASK_PREFIX

  function text(box, selector, value) {
    var el = box.querySelector(selector);
    if (el) { el.textContent = value || ""; }
    return el;
  }

  function update(box, job) {
    var bar = box.querySelector("[data-job-progress]");
    if (bar) {
      bar.value = job.progress;
      bar.textContent = Math.round(job.progress * 100) + "%";
    }
    text(box, "[data-job-state]", job.state);
    text(box, "[data-job-message]", job.message);
    var err = text(box, "[data-job-error]", job.error);
    if (err) { err.hidden = !job.error; }
    box.className = box.className.replace(/\bjob-(queued|running|done|failed|cancelled)\b/, "job-" + job.state);
  }

  function localPath(target) {
    return typeof target === "string" && target.charAt(0) === "/" && target.charAt(1) !== "/" &&
      target.charAt(1) !== "\\";
  }

  function finish(job) {
    var target = job.result && job.result.redirect;
    window.setTimeout(function () {
      if (localPath(target)) { window.location.assign(target); } else { window.location.reload(); }
    }, 400);
  }

  function poll(box, interval, failures) {
    fetch(box.dataset.jobUrl, {
      headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store"
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (job) {
      update(box, job);
      var asks = !job.finished && (job.message || "").indexOf(ASK) === 0;
      if (asks && !document.querySelector("[data-job-question]")) { window.location.reload(); return; }
      if (job.finished) { finish(job); } else {
        window.setTimeout(function () { poll(box, interval, 0); }, interval);
      }
    }).catch(function () {
      text(box, "[data-job-message]", "Lost contact with the app; retrying…");
      var wait = Math.min(30000, interval * Math.pow(2, failures + 1));
      window.setTimeout(function () { poll(box, interval, failures + 1); }, wait);
    });
  }

  document.querySelectorAll("[data-job-url]").forEach(function (box) {
    var interval = parseInt(box.dataset.jobInterval || "1000", 10);
    poll(box, interval > 0 ? interval : 1000, 0);
  });
})();
