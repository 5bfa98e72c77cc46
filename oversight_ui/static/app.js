// Custodes dashboard: charts from the embedded JSON, and live refresh of the
// page's #live-region when the server-sent /api/live stream says data changed.
(function () {
  "use strict";
  const charts = [];
  const SEV = { critical: "#b42318", violation: "#d4a72c", warning: "#fb8f44", info: "#8c959f" };

  function drawCharts(root) {
    charts.splice(0).forEach((c) => c.destroy());
    const el = root.querySelector("#chart-data");
    if (!el || typeof Chart === "undefined") return;
    const data = JSON.parse(el.textContent);
    Chart.defaults.animation = false;
    const f = document.getElementById("chart-findings");
    if (f && data.findings.length) {
      const rules = [...new Set(data.findings.map((r) => r.rule))];
      const sevs = ["critical", "violation", "warning", "info"].filter((s) => data.findings.some((r) => r.severity === s));
      charts.push(new Chart(f, { type: "bar", data: { labels: rules, datasets: sevs.map((s) => ({
        label: s, backgroundColor: SEV[s],
        data: rules.map((rule) => (data.findings.find((r) => r.rule === rule && r.severity === s) || { n: 0 }).n) })) },
        options: { maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } } }));
    }
    const v = document.getElementById("chart-volumes");
    if (v && data.volumes.length) {
      charts.push(new Chart(v, { type: "line", data: { labels: data.volumes.map((r) => r.day), datasets: [
        { label: "queries", data: data.volumes.map((r) => r.queries), borderColor: "#0a4ea2", backgroundColor: "#0a4ea2" },
        { label: "hits", data: data.volumes.map((r) => r.hits), borderColor: "#1a7f37", backgroundColor: "#1a7f37" },
        { label: "transfers", data: data.volumes.map((r) => r.transfers), borderColor: "#bf3989", backgroundColor: "#bf3989" } ] },
        options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } }));
    }
    const r = document.getElementById("chart-reciprocity");
    if (r && data.reciprocity.length) {
      charts.push(new Chart(r, { type: "bar", data: { labels: data.reciprocity.map((x) => x.party), datasets: [
        { label: "to US", data: data.reciprocity.map((x) => x.a), backgroundColor: "#0a4ea2" },
        { label: "from US", data: data.reciprocity.map((x) => x.b), backgroundColor: "#d4a72c" } ] },
        options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } }));
    }
  }

  async function refresh() {
    const region = document.getElementById("live-region");
    if (!region || region.contains(document.activeElement) && document.activeElement !== document.body) return;
    const resp = await fetch(location.href, { credentials: "same-origin", headers: { "X-Live-Refresh": "1" } });
    if (!resp.ok) return;
    const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
    const fresh = doc.getElementById("live-region");
    if (fresh) { region.replaceWith(fresh); drawCharts(document); }
    const status = document.getElementById("live-status");
    if (status) status.textContent = "Updated " + new Date().toISOString().slice(11, 19) + " UTC";
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    if (!document.getElementById("live-region") || !window.EventSource) return;
    const es = new EventSource("/api/live");
    es.addEventListener("changed", () => { refresh().catch(() => {}); });
    es.addEventListener("hello", () => {
      const status = document.getElementById("live-status");
      if (status) status.textContent = "Live: pages update when new events arrive.";
    });
  });
})();
