extension ComparisonReport {
    /// The report as one self-contained HTML page: the verdict, the run, both sides, the checks, charts
    /// of the latency distributions and of the findings over time, and the examples. Styles, script and
    /// data are inline and the charts are SVG drawn by the page's script, so it opens offline from a
    /// file. When the script has drawn everything it sets `data-rendered="ok"` on the `<body>` element
    /// (`data-rendered="error: …"` if it failed), which a headless browser can check.
    public func htmlPage() throws -> String {
        let data = String(decoding: try json(), as: UTF8.self).replacing("<", with: "\\u003c")
        let title = "Switchyard comparison: \(run.topic)"
            .replacing("&", with: "&amp;")
            .replacing("<", with: "&lt;")
        return Self.pageTemplate
            .replacing("@TITLE@", with: title)
            .replacing("@DATA@", with: data)
    }

    private static let pageTemplate = #"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>@TITLE@</title>
        <style>
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1d2330; background: #fafbfc; }
        h1 { font-size: 22px; margin: 0 0 4px; }
        h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #dde2ea; padding-bottom: 4px; }
        .meta { color: #566074; }
        .verdict { display: inline-block; padding: 4px 14px; border-radius: 4px; font-weight: 700; color: #fff; margin: 10px 0; }
        .pass { background: #1f8a4c; } .fail { background: #c0392b; }
        table { border-collapse: collapse; background: #fff; }
        th, td { border: 1px solid #dde2ea; padding: 4px 10px; text-align: right; }
        th:first-child, td:first-child, td.text { text-align: left; }
        th { background: #eef1f6; }
        tr.bad td { background: #fdecea; }
        .charts { display: flex; flex-wrap: wrap; gap: 18px; }
        .chart { background: #fff; border: 1px solid #dde2ea; padding: 8px; }
        .chart h3 { font-size: 13px; margin: 0 0 4px; }
        svg text { font-size: 11px; fill: #3b4456; }
        .mono { font-family: ui-monospace, Menlo, monospace; font-size: 12px; }
        .legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
        .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
        </style>
        </head>
        <body data-rendered="pending">
        <h1>@TITLE@</h1>
        <div id="summary" class="meta"></div>
        <div id="verdict"></div>
        <h2>Sides</h2><div id="sides"></div>
        <h2>Checks</h2><div id="checks"></div>
        <h2>Latency, publish to consume</h2><div class="charts" id="latency"></div>
        <h2>Over time</h2><div class="charts" id="timeline"></div>
        <h2>Examples</h2><div id="examples"></div>
        <h2>Keys</h2><div id="keys"></div>
        <script type="application/json" id="report-data">@DATA@</script>
        <script>
        "use strict";
        (function () {
          const colors = { primary: "#2f6fdb", secondary: "#e8832a", mismatched: "#c0392b", missing: "#8e44ad",
            late: "#d4ac0d", duplicates: "#7f8c8d", unexpected: "#16a085", inversions: "#e84393" };
          const esc = (v) => String(v).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
          const num = (v, d) => (v === null || v === undefined) ? "n/a" : Number(v).toFixed(d === undefined ? 0 : d);
          const el = (id) => document.getElementById(id);
          function table(head, rows, badRows) {
            let h = "<table><tr>" + head.map((c) => "<th>" + esc(c) + "</th>").join("") + "</tr>";
            rows.forEach((r, i) => { h += "<tr" + (badRows && badRows[i] ? ' class="bad"' : "") + ">" + r.map((c) => "<td>" + esc(c) + "</td>").join("") + "</tr>"; });
            return h + "</table>";
          }
          function legend(items) {
            return '<div class="legend">' + items.map((k) => '<span><i style="background:' + colors[k] + '"></i>' + esc(k) + "</span>").join("") + "</div>";
          }
          function axes(w, h, pad, xLabels, yMax, yUnit) {
            let s = '<line x1="' + pad.l + '" y1="' + (h - pad.b) + '" x2="' + (w - pad.r) + '" y2="' + (h - pad.b) + '" stroke="#99a3b5"/>';
            s += '<line x1="' + pad.l + '" y1="' + pad.t + '" x2="' + pad.l + '" y2="' + (h - pad.b) + '" stroke="#99a3b5"/>';
            for (let i = 0; i <= 4; i++) {
              const y = h - pad.b - (h - pad.t - pad.b) * i / 4;
              s += '<line x1="' + pad.l + '" y1="' + y + '" x2="' + (w - pad.r) + '" y2="' + y + '" stroke="#eef1f6"/>';
              s += '<text x="' + (pad.l - 4) + '" y="' + (y + 4) + '" text-anchor="end">' + esc(num(yMax * i / 4, yMax < 10 ? 2 : 0)) + "</text>";
            }
            xLabels.forEach((l) => { s += '<text x="' + l.x + '" y="' + (h - pad.b + 14) + '" text-anchor="middle">' + esc(l.text) + "</text>"; });
            s += '<text x="' + 4 + '" y="' + (pad.t - 6) + '">' + esc(yUnit) + "</text>";
            return s;
          }
          function percentileChart(report) {
            const w = 520, h = 280, pad = { l: 56, r: 12, t: 20, b: 34 };
            const nines = (p) => -Math.log10(Math.max(1e-6, 1 - p / 100));
            const maxX = 5;
            let yMax = 0;
            ["primary", "secondary"].forEach((s) => report[s].latency.percentiles.forEach((p) => { yMax = Math.max(yMax, p.milliseconds); }));
            yMax = yMax > 0 ? yMax * 1.05 : 1;
            const x = (p) => pad.l + (w - pad.l - pad.r) * Math.min(nines(p), maxX) / maxX;
            const y = (v) => h - pad.b - (h - pad.t - pad.b) * v / yMax;
            const labels = [0, 90, 99, 99.9, 99.99, 99.999].map((p) => ({ x: x(p), text: p + "%" }));
            let s = axes(w, h, pad, labels, yMax, "ms");
            ["primary", "secondary"].forEach((side) => {
              const pts = report[side].latency.percentiles.map((p) => x(p.percentile).toFixed(1) + "," + y(p.milliseconds).toFixed(1));
              if (pts.length) s += '<polyline fill="none" stroke-width="2" stroke="' + colors[side] + '" points="' + pts.join(" ") + '"/>';
            });
            return '<div class="chart"><h3>Latency by percentile</h3>' + legend(["primary", "secondary"]) + '<svg width="' + w + '" height="' + h + '">' + s + "</svg></div>";
          }
          function bucketChart(report) {
            const w = 520, h = 280, pad = { l: 56, r: 12, t: 20, b: 34 };
            const bounds = [];
            ["primary", "secondary"].forEach((s) => report[s].latency.buckets.forEach((b) => { if (bounds.indexOf(b.upToMilliseconds) < 0) bounds.push(b.upToMilliseconds); }));
            bounds.sort((a, b) => a - b);
            const counts = { primary: {}, secondary: {} };
            let yMax = 0;
            ["primary", "secondary"].forEach((s) => {
              const total = Math.max(1, report[s].latency.count);
              report[s].latency.buckets.forEach((b) => { const share = 100 * b.count / total; counts[s][b.upToMilliseconds] = share; yMax = Math.max(yMax, share); });
            });
            yMax = yMax > 0 ? yMax * 1.05 : 1;
            const slot = (w - pad.l - pad.r) / Math.max(1, bounds.length);
            let s = axes(w, h, pad, bounds.map((b, i) => ({ x: pad.l + slot * (i + 0.5), text: i % Math.ceil(bounds.length / 8) === 0 ? "≤" + num(b, b < 1 ? 3 : 1) : "" })), yMax, "% of deliveries");
            bounds.forEach((b, i) => {
              ["primary", "secondary"].forEach((side, j) => {
                const v = counts[side][b] || 0;
                const bh = (h - pad.t - pad.b) * v / yMax;
                s += '<rect x="' + (pad.l + slot * i + slot * (0.1 + 0.4 * j)).toFixed(1) + '" y="' + (h - pad.b - bh).toFixed(1) + '" width="' + (slot * 0.4).toFixed(1) + '" height="' + bh.toFixed(1) + '" fill="' + colors[side] + '"/>';
              });
            });
            return '<div class="chart"><h3>Latency distribution (ms buckets)</h3>' + legend(["primary", "secondary"]) + '<svg width="' + w + '" height="' + h + '">' + s + "</svg></div>";
          }
          function timelineCharts(report) {
            const bins = report.timeline.bins, step = report.timeline.binMilliseconds / 1000;
            const w = 520, h = 260, pad = { l: 56, r: 12, t: 20, b: 34 };
            const slot = (w - pad.l - pad.r) / Math.max(1, bins.length);
            const labels = bins.map((b, i) => ({ x: pad.l + slot * (i + 0.5), text: i % Math.max(1, Math.ceil(bins.length / 6)) === 0 ? num(i * step, step < 1 ? 1 : 0) + "s" : "" }));
            let dMax = 1;
            bins.forEach((b) => { dMax = Math.max(dMax, b.primary, b.secondary); });
            dMax = Math.ceil(dMax / 4) * 4;
            let d = axes(w, h, pad, labels, dMax, "messages per bin");
            ["primary", "secondary"].forEach((side) => {
              const pts = bins.map((b, i) => (pad.l + slot * (i + 0.5)).toFixed(1) + "," + (h - pad.b - (h - pad.t - pad.b) * b[side] / dMax).toFixed(1));
              if (pts.length) d += '<polyline fill="none" stroke-width="2" stroke="' + colors[side] + '" points="' + pts.join(" ") + '"/>';
            });
            const kinds = ["mismatched", "missing", "late", "duplicates", "unexpected", "inversions"];
            let fMax = 1;
            bins.forEach((b) => { fMax = Math.max(fMax, kinds.reduce((t, k) => t + Math.max(0, b[k]), 0)); });
            fMax = Math.ceil(fMax / 4) * 4;
            let f = axes(w, h, pad, labels, fMax, "findings per bin");
            bins.forEach((b, i) => {
              let base = h - pad.b;
              kinds.forEach((k) => {
                const bh = (h - pad.t - pad.b) * Math.max(0, b[k]) / fMax;
                if (bh > 0) { base -= bh; f += '<rect x="' + (pad.l + slot * i + slot * 0.1).toFixed(1) + '" y="' + base.toFixed(1) + '" width="' + Math.max(1, slot * 0.8).toFixed(1) + '" height="' + bh.toFixed(1) + '" fill="' + colors[k] + '"><title>' + k + ": " + b[k] + "</title></rect>"; }
              });
            });
            return '<div class="chart"><h3>Deliveries over time</h3>' + legend(["primary", "secondary"]) + '<svg width="' + w + '" height="' + h + '">' + d + "</svg></div>"
              + '<div class="chart"><h3>Mismatches and other findings over time</h3>' + legend(kinds) + '<svg width="' + w + '" height="' + h + '">' + f + "</svg></div>";
          }
          function render() {
            const report = JSON.parse(el("report-data").textContent);
            const run = report.run;
            const seconds = (run.endedAt - run.startedAt) / 1e6;
            el("summary").innerHTML = "topic <b>" + esc(run.topic) + "</b>: primary <b>" + esc(run.primaryBackend) + "</b> vs secondary <b>" + esc(run.secondaryBackend)
              + "</b>, " + esc(num(seconds, 1)) + " s from " + esc(new Date(run.startedAt / 1000).toISOString()) + ", grace " + esc(num(run.graceMilliseconds)) + " ms"
              + (run.rules.ignoredHeaders.length ? ", ignoring headers " + esc(run.rules.ignoredHeaders.join(", ")) : "")
              + "; matched " + esc(report.matched) + ", mismatched " + esc(report.mismatches.total);
            el("verdict").innerHTML = '<span class="verdict ' + (report.verdict.passed ? "pass" : "fail") + '">' + (report.verdict.passed ? "PASS" : "FAIL") + "</span>";
            const fields = [["delivered", "delivered"], ["deliveries", "deliveries"], ["duplicates", "duplicates"], ["missing", "missing"], ["late", "late"],
              ["unexpected", "unexpected"], ["order inversions", "orderInversions"], ["largest displacement", "largestDisplacement"]];
            const rows = fields.map((f) => [f[0], report.primary[f[1]], report.secondary[f[1]]]);
            ["p50", "p95", "p99", "max"].forEach((p) => rows.push(["latency " + p + " ms", num(report.primary.latency[p + "Milliseconds"], 3), num(report.secondary.latency[p + "Milliseconds"], 3)]));
            el("sides").innerHTML = table(["", "primary (" + run.primaryBackend + ")", "secondary (" + run.secondaryBackend + ")"], rows)
              + '<p class="meta">p99 skew (secondary - primary): ' + esc(num(report.skew.p99Milliseconds, 3)) + " ms; arrival gap p50 " + esc(num(report.skew.arrivalGap.p50Milliseconds, 3))
              + " ms, p99 " + esc(num(report.skew.arrivalGap.p99Milliseconds, 3)) + " ms" + (report.dualWrite ? "; dual write: " + esc(report.dualWrite.secondaryWriteFailures) + " failures, "
              + esc(report.dualWrite.spooled) + " spooled, " + esc(report.dualWrite.replayed) + " replayed, " + esc(report.dualWrite.spoolBacklog) + " waiting" : "") + "</p>";
            el("checks").innerHTML = table(["check", "actual", "limit", "result"], report.verdict.checks.map((c) => [c.name, c.actual,
              c.limit === null || c.limit === undefined ? "not gated" : (c.bound === "atLeast" ? "≥ " : "≤ ") + c.limit, c.passed ? "pass" : "FAIL"]), report.verdict.checks.map((c) => !c.passed));
            el("latency").innerHTML = percentileChart(report) + bucketChart(report);
            el("timeline").innerHTML = timelineCharts(report);
            let ex = "";
            if (report.mismatches.samples.length) {
              ex += "<h3>Mismatched (" + esc(report.mismatches.total) + ")</h3>" + table(["id", "key", "differs in", "payload bytes", "headers"], report.mismatches.samples.map((m) =>
                [m.id, m.key === null || m.key === undefined ? "" : m.key, m.kinds.join(", "), m.primaryPayloadBytes + " / " + m.secondaryPayloadBytes,
                 m.headers.map((d) => d.name + ": [" + d.primary.join(", ") + "] / [" + d.secondary.join(", ") + "]").join("; ")]));
            }
            ["primary", "secondary"].forEach((side) => {
              const s = report[side].samples;
              [["missing", s.missing], ["unexpected", s.unexpected], ["duplicates", s.duplicates]].forEach((pair) => {
                if (pair[1].length) ex += "<h3>" + esc(pair[0]) + " on " + side + " (" + esc(report[side][pair[0]]) + ")</h3>" + table(["id", "key", "published at"], pair[1].map((m) => [m.id, m.key || "", m.publishedAt ? new Date(m.publishedAt / 1000).toISOString() : ""]));
              });
              if (s.late.length) ex += "<h3>late on " + side + " (" + esc(report[side].late) + ")</h3>" + table(["id", "key", "after the other side, ms"], s.late.map((m) => [m.id, m.key || "", num(m.afterOtherSideMilliseconds, 1)]));
              if (s.inversions.length) ex += "<h3>out of order on " + side + " (" + esc(report[side].orderInversions) + ")</h3>" + table(["id", "key", "displacement"], s.inversions.map((m) => [m.id, m.key, (m.displacementIsLowerBound ? "≥ " : "") + m.displacement]));
            });
            el("examples").innerHTML = ex || '<p class="meta">No findings.</p>';
            el("keys").innerHTML = table(["key", "primary", "secondary", "inversions (primary / secondary)"], report.keys.rows.map((k) =>
              [k.key === null || k.key === undefined ? "(no key)" : k.key, k.primary, k.secondary, k.primaryInversions + " / " + k.secondaryInversions]))
              + (report.keys.truncated ? '<p class="meta">The ' + esc(report.keys.rows.length) + " busiest of " + esc(report.keys.tracked) + " keys.</p>" : "");
          }
          try {
            render();
            document.body.setAttribute("data-rendered", "ok");
          } catch (error) {
            document.body.setAttribute("data-rendered", "error: " + error);
            throw error;
          }
        })();
        </script>
        </body>
        </html>
        """#
}
