package io.syncforge.load;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.devinfra.ConvergenceOracle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The report of one run, under {@code target/load-report/}: {@code report.json}, {@code report.md}
 * and {@code report.html} (self-contained: inline SVG, no script, no CDN) with the latency (p50/p99
 * per second) and the throughput (successful requests per second) of every scenario over time.
 */
final class Report {

  final LoadProfile profile;
  final String started = Instant.now().toString();
  final String loadBefore = Env.loadAverages();
  String loadAfter;
  final List<Stats> scenarios = new ArrayList<>();
  final Map<String, Object> figures = new java.util.LinkedHashMap<>();
  final List<ConvergenceOracle.Verdict> verdicts = new ArrayList<>();
  final List<String> divergence = new ArrayList<>();

  Report(LoadProfile profile) {
    this.profile = profile;
  }

  void write(Path dir) throws Exception {
    if (loadAfter == null) {
      loadAfter = Env.loadAverages();
    }
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("report.md"), markdown());
    Files.writeString(dir.resolve("report.html"), html());
    Files.writeString(dir.resolve("report.json"), json());
  }

  private String json() throws Exception {
    ObjectNode root = Http.JSON.createObjectNode();
    root.put("profile", profile.name());
    root.put("started", started);
    root.put("cores", Env.cores());
    root.put("loadAverageBefore", loadBefore);
    root.put("loadAverageAfter", loadAfter);
    root.put("settings", profile.toString());
    root.set("figures", Http.JSON.valueToTree(figures));
    ArrayNode sc = root.putArray("scenarios");
    for (Stats s : scenarios) {
      ObjectNode n = sc.addObject();
      n.put("name", s.name);
      n.put("mode", s.mode);
      n.put("targetRate", s.targetRate);
      n.put("seconds", s.seconds());
      n.put("requests", s.requests.sum());
      n.put("errors", s.errors.sum());
      n.put("okPerSecond", s.okRate());
      n.put("unitsPerSecond", s.unitRate());
      for (double p : new double[] {50, 95, 99, 99.9}) {
        n.put("p" + fmt(p).replace(".0", "") + "Ms", s.ms(p));
      }
      n.put("maxMs", s.maxMs());
      n.set("outcomes", Http.JSON.valueToTree(s.outcomes()));
      ArrayNode ts = n.putArray("perSecond");
      for (var e : s.perSecond.entrySet()) {
        Histogram h = e.getValue();
        var ok = s.okPerSecond.get(e.getKey());
        ts.addObject()
            .put("second", e.getKey())
            .put("requests", h.getTotalCount())
            .put("ok", ok == null ? 0 : ok.sum())
            .put("p50Ms", h.getValueAtPercentile(50) / 1000.0)
            .put("p99Ms", h.getValueAtPercentile(99) / 1000.0);
      }
    }
    ArrayNode vs = root.putArray("oracle");
    for (ConvergenceOracle.Verdict v : verdicts) {
      ObjectNode n = vs.addObject();
      n.put("tenant", v.tenant);
      n.set("counts", Http.JSON.valueToTree(v.counts));
      n.put("violations", v.violationCount);
      n.set("firstViolations", Http.JSON.valueToTree(v.violations));
    }
    root.set("deviceDivergence", Http.JSON.valueToTree(divergence));
    return Http.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
  }

  String markdown() {
    if (loadAfter == null) {
      loadAfter = Env.loadAverages();
    }
    StringBuilder b = new StringBuilder();
    b.append("# Load report: profile `").append(profile.name()).append("`\n\n");
    b.append("Started ")
        .append(started)
        .append(", ")
        .append(Env.cores())
        .append(" cores, load average ")
        .append(loadBefore)
        .append(" before, ")
        .append(loadAfter)
        .append(" after (1/5/15 min).\n\n");
    b.append(
        "| scenario | mode | target/s | requests | errors | ok/s | units/s | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms |\n");
    b.append(
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (Stats s : scenarios) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
              s.name,
              s.mode,
              s.targetRate == 0 ? "-" : fmt(s.targetRate),
              s.requests.sum(),
              s.errors.sum(),
              s.okRate(),
              s.unitRate(),
              s.ms(50),
              s.ms(95),
              s.ms(99),
              s.ms(99.9),
              s.maxMs()));
    }
    b.append("\nOutcomes by status and code:\n\n");
    for (Stats s : scenarios) {
      b.append("- ").append(s.name).append(": ").append(s.outcomes()).append('\n');
    }
    b.append("\n## Figures\n\n");
    figures.forEach((k, v) -> b.append("- ").append(k).append(": ").append(v).append('\n'));
    b.append("\n## Oracle\n\n");
    for (ConvergenceOracle.Verdict v : verdicts) {
      b.append("- `")
          .append(v.tenant)
          .append("`: ")
          .append(v.violationCount)
          .append(" violations; ")
          .append(v.counts)
          .append('\n');
      for (String s : v.violations) {
        b.append("  - ").append(s).append('\n');
      }
    }
    b.append("- devices: ")
        .append(
            divergence.isEmpty() ? "all equal to the server" : divergence.size() + " differences")
        .append('\n');
    for (String s : divergence) {
      b.append("  - ").append(s).append('\n');
    }
    return b.toString();
  }

  private String html() {
    StringBuilder b = new StringBuilder();
    b.append(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>SyncForge load report</title>")
        .append("<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}")
        .append(
            "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}svg{background:#fafafa;margin:4px}")
        .append("h3{margin-bottom:0}</style></head><body>");
    b.append("<h1>Load report: ")
        .append(esc(profile.name()))
        .append("</h1><p>")
        .append(esc(started))
        .append(", load average ")
        .append(esc(loadBefore))
        .append(" / ")
        .append(esc(loadAfter))
        .append("</p><pre>")
        .append(esc(markdownTable()))
        .append("</pre>");
    for (Stats s : scenarios) {
      b.append("<h3>").append(esc(s.name)).append("</h3>");
      b.append(chart(s, true)).append(chart(s, false));
    }
    b.append("<h2>Oracle</h2><pre>");
    for (ConvergenceOracle.Verdict v : verdicts) {
      b.append(esc(v.tenant + ": " + v.violationCount + " violations " + v.counts)).append('\n');
      for (String s : v.violations) {
        b.append("  ").append(esc(s)).append('\n');
      }
    }
    b.append(esc("devices: " + (divergence.isEmpty() ? "all equal to the server" : divergence)))
        .append("</pre>");
    b.append("</body></html>\n");
    return b.toString();
  }

  private String markdownTable() {
    String md = markdown();
    int end = md.indexOf("\nOutcomes");
    return end < 0 ? md : md.substring(0, end);
  }

  /** A line chart: p50 and p99 latency per second, or successful requests per second. */
  private static String chart(Stats s, boolean latency) {
    int w = 520;
    int h = 180;
    int pad = 40;
    List<double[]> a = new ArrayList<>();
    List<double[]> c = new ArrayList<>();
    double maxX = 1;
    double maxY = 1e-9;
    for (var e : s.perSecond.entrySet()) {
      double x = e.getKey();
      maxX = Math.max(maxX, x + 1);
      if (latency) {
        double p50 = e.getValue().getValueAtPercentile(50) / 1000.0;
        double p99 = e.getValue().getValueAtPercentile(99) / 1000.0;
        a.add(new double[] {x, p99});
        c.add(new double[] {x, p50});
        maxY = Math.max(maxY, p99);
      } else {
        var ok = s.okPerSecond.get(e.getKey());
        double y = ok == null ? 0 : ok.sum();
        a.add(new double[] {x, y});
        maxY = Math.max(maxY, y);
      }
    }
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">",
            w,
            h));
    b.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/><line x1=\"%d\" y1=\"10\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>",
            pad,
            h - 20,
            w - 10,
            h - 20,
            pad,
            pad,
            h - 20));
    b.append(
        String.format(Locale.ROOT, "<text x=\"2\" y=\"14\" font-size=\"11\">%s</text>", fmt(maxY)));
    b.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s s</text>",
            w - 40,
            h - 5,
            fmt(maxX)));
    b.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"14\" font-size=\"11\">%s</text>",
            pad + 10,
            latency ? "latency ms: p99 (red), p50 (blue)" : "successful requests per second"));
    b.append(poly(a, maxX, maxY, w, h, pad, latency ? "#c00" : "#080"));
    if (latency) {
      b.append(poly(c, maxX, maxY, w, h, pad, "#00c"));
    }
    return b.append("</svg>").toString();
  }

  private static String poly(
      List<double[]> pts, double maxX, double maxY, int w, int h, int pad, String color) {
    StringBuilder p = new StringBuilder();
    for (double[] pt : pts) {
      double x = pad + pt[0] / maxX * (w - pad - 10);
      double y = (h - 20) - pt[1] / maxY * (h - 30);
      p.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
    }
    return "<polyline fill=\"none\" stroke=\"" + color + "\" points=\"" + p + "\"/>";
  }

  static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e12
        ? Long.toString((long) d)
        : String.format(Locale.ROOT, "%.1f", d);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
