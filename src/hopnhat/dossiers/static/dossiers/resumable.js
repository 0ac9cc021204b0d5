/* Resumable uploads for the submission form (dossiers/uploads.py, the tus 1.0.0 protocol), with the tus project's
   own client (vendor/tus.min.js). Without JavaScript the form posts its files in the multipart body; with it, each
   file goes up in 1 MB pieces first, resuming where it stopped after a cut connection (or a reload of the page with
   the same submission key), and the form then posts only the uploads' ids. Either way the submission key makes
   one dossier. */
(function () {
  "use strict";
  function start() {
    var form = document.querySelector("form[data-resumable]");
    if (!form || !window.tus || !window.tus.isSupported) { return; }
    var endpoint = form.getAttribute("data-resumable");
    var status = form.querySelector(".upload-progress");
    var key = form.querySelector("input[name=key]").value;
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var english = (document.documentElement.lang || "vi").indexOf("en") === 0;
    var busy = false;
    function say(vi, en) { if (status) { status.textContent = english ? en : vi; } }
    form.addEventListener("submit", function (event) {
      var jobs = [];
      Array.prototype.forEach.call(form.querySelectorAll("input[type=file][data-paper]"), function (input) {
        Array.prototype.forEach.call(input.files || [], function (file) { jobs.push({ input: input, file: file }); });
      });
      if (!jobs.length || !form.checkValidity()) { return; }
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      var done = 0;
      function next() {
        if (done === jobs.length) {
          jobs.forEach(function (job) { job.input.value = ""; });   // the bytes are on the server: post the ids
          say("Đã tải lên đủ tệp, đang nộp hồ sơ…", "All files uploaded, submitting…");
          HTMLFormElement.prototype.submit.call(form);
          return;
        }
        var job = jobs[done];
        var index = job.input.name.split("-")[1];
        var upload = new window.tus.Upload(job.file, {
          endpoint: endpoint,
          chunkSize: 1024 * 1024,
          retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
          headers: { "X-CSRFToken": csrf },
          metadata: { filename: job.file.name, paper: job.input.getAttribute("data-paper"), key: key },
          fingerprint: function (file) {
            return Promise.resolve(["hopnhat", key, job.input.name, file.name, file.size, file.lastModified].join("-"));
          },
          onProgress: function (sent, total) {
            var pct = total ? Math.floor(sent * 100 / total) : 0;
            say("Đang tải lên “" + job.file.name + "”: " + pct + "%", "Uploading “" + job.file.name + "”: " + pct + "%");
          },
          onError: function (error) {
            busy = false;
            say("Tải lên “" + job.file.name + "” bị gián đoạn; bấm Nộp hồ sơ lần nữa để tiếp tục từ chỗ dừng. (" + error + ")",
                "Uploading “" + job.file.name + "” was interrupted; press Submit again to resume where it stopped. (" + error + ")");
          },
          onSuccess: function () {
            var hidden = document.createElement("input");
            hidden.type = "hidden";
            hidden.name = "upload-" + index;
            hidden.value = upload.url.replace(/\/+$/, "").split("/").pop();
            form.appendChild(hidden);
            done += 1;
            next();
          }
        });
        upload.findPreviousUploads().then(function (previous) {
          if (previous.length) { upload.resumeFromPreviousUpload(previous[0]); }
          upload.start();
        });
      }
      next();
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
