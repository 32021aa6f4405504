// Drives infercost serve's page (appended to it with --page-script by tests/serve.rs, after TRACE and SCENARIO).
(function () {
  var $ = function (id) { return document.getElementById(id); };
  function waitFor(cond, then, n) {
    n = n || 0;
    if (cond()) return then();
    if (n > 4000) return report({ timeout: true, state: $("state").textContent, error: $("error").textContent });
    setTimeout(function () { waitFor(cond, then, n + 1); }, 50);
  }
  function setFile(name, text) {
    var dt = new DataTransfer();
    dt.items.add(new File([text], name, { type: "text/csv" }));
    $("trace").files = dt.files;
    $("trace").dispatchEvent(new Event("change"));
  }
  function explorerValue() {
    try {
      var o = $("report").contentDocument.getElementById("ic-usd-per-month");
      return o && o.dataset.usd;
    } catch (e) { return false; }
  }
  waitFor(function () { return document.body.dataset.ready === "1"; }, function () {
    setFile("pilot.csv", TRACE);
    $("scenario").value = SCENARIO;
    $("plan").click();
    waitFor(function () { return !$("result").hidden || $("error").textContent; }, function () {
      var out = { state: $("state").textContent, downloads: $("downloads").textContent, error: $("error").textContent };
      waitFor(explorerValue, function () {
        out.usd = explorerValue();
        setFile("bad.csv", "bad,log\n1,2\n");
        $("plan").click();
        waitFor(function () { return $("error").textContent; }, function () {
          out.bad = $("error").textContent;
          report(out);
        });
      });
    });
  });
})();
