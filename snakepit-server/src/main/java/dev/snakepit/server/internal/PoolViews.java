package dev.snakepit.server.internal;

import dev.snakepit.PoolHealth;
import dev.snakepit.PoolStats;
import dev.snakepit.Snakepit;
import dev.snakepit.ToolInfo;
import dev.snakepit.ToolParameter;
import dev.snakepit.WorkerInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON of a pool's state, as the API and the dashboard send it (docs/server.md lists every field).
 * Durations are milliseconds, sizes bytes, times milliseconds since the epoch.
 */
public final class PoolViews {
  private PoolViews() {}

  /** The pool's name, adapter, health and counts: what {@code GET /api/pools} lists. */
  static Map<String, Object> summary(String name, Snakepit pool) {
    PoolHealth health = pool.health();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", name);
    out.put("adapter", pool.config().adapter());
    out.put("generation", pool.generation());
    out.put("health", health(health));
    out.put("stats", stats(health.stats()));
    return out;
  }

  /** The summary, with each worker, the recent worker events and the per-second history. */
  static Map<String, Object> detail(String name, Snakepit pool, PoolWatch watch) {
    Map<String, Object> out = summary(name, pool);
    List<Map<String, Object>> workers = new ArrayList<>();
    for (WorkerInfo worker : pool.workers()) {
      workers.add(worker(worker));
    }
    out.put("workers", workers);
    List<Map<String, Object>> events = new ArrayList<>();
    for (PoolWatch.WorkerNote note : watch.events()) {
      events.add(note(note));
    }
    out.put("events", events);
    PoolWatch.WorkerNote crash = watch.lastCrash();
    out.put("lastCrash", crash == null ? null : note(crash));
    out.put("history", history(watch.history()));
    return out;
  }

  static Map<String, Object> health(PoolHealth health) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("live", health.live());
    out.put("ready", health.ready());
    out.put("status", health.ready() ? "UP" : health.live() ? "OUT_OF_SERVICE" : "DOWN");
    out.put("reasons", health.reasons());
    out.put("crashRate", health.crashRate());
    out.put("detail", health.detail());
    return out;
  }

  static Map<String, Object> stats(PoolStats s) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("state", s.state().name());
    out.put("targetSize", s.targetSize());
    out.put("workers", s.workers());
    out.put("idle", s.idle());
    out.put("busy", s.busy());
    out.put("starting", s.starting());
    out.put("queued", s.queued());
    out.put("callsSucceeded", s.callsSucceeded());
    out.put("callsFailed", s.callsFailed());
    out.put("callsRetried", s.callsRetried());
    out.put("workersStarted", s.workersStarted());
    out.put("workersCrashed", s.workersCrashed());
    out.put("workersReplaced", s.workersReplaced());
    out.put("workersRecycled", s.workersRecycled());
    Map<String, Object> recycles = new LinkedHashMap<>();
    s.recycles().forEach((reason, count) -> recycles.put(reason.name().toLowerCase(Locale.ROOT), count));
    out.put("recycles", recycles);
    out.put("sessions", s.sessions());
    out.put("streams", s.streams());
    out.put("streamItems", s.streamItems());
    out.put("crashLooping", s.crashLooping());
    out.put("uptimeMs", s.uptime().toMillis());
    out.put("limits", s.limits());
    return out;
  }

  static Map<String, Object> worker(WorkerInfo w) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", w.id());
    out.put("pid", w.pid());
    out.put("state", w.state().name());
    out.put("uptimeMs", w.uptime().toMillis());
    out.put("residentBytes", w.residentBytes());
    out.put("callsAnswered", w.callsAnswered());
    Duration rtt = w.heartbeatRoundTrip();
    out.put("heartbeatRoundTripMs", rtt == null ? null : rtt.toNanos() / 1e6);
    return out;
  }

  public static List<Map<String, Object>> tools(List<ToolInfo> tools) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ToolInfo tool : tools) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("name", tool.name());
      t.put("signature", tool.signature());
      t.put("doc", tool.doc());
      t.put("streams", tool.streams());
      List<Map<String, Object>> parameters = new ArrayList<>();
      for (ToolParameter p : tool.parameters()) {
        Map<String, Object> param = new LinkedHashMap<>();
        param.put("name", p.name());
        param.put("kind", p.kind().name());
        param.put("required", p.required());
        param.put("annotation", p.annotation());
        param.put("default", p.hasDefault() ? p.defaultRepr() : null);
        parameters.add(param);
      }
      t.put("parameters", parameters);
      out.add(t);
    }
    return out;
  }

  private static Map<String, Object> note(PoolWatch.WorkerNote note) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("at", note.atMillis());
    out.put("kind", note.kind());
    out.put("worker", note.workerId());
    out.put("pid", note.pid());
    out.put("cause", note.cause());
    return out;
  }

  /** The history as columns (one array per measure), which is what a chart draws and smaller than rows. */
  private static Map<String, Object> history(List<PoolWatch.Sample> samples) {
    int n = samples.size();
    long[] t = new long[n];
    double[] calls = new double[n];
    double[] failed = new double[n];
    Double[] p50 = new Double[n];
    Double[] p95 = new Double[n];
    Double[] p99 = new Double[n];
    int[] queued = new int[n];
    int[] busy = new int[n];
    int[] workers = new int[n];
    for (int i = 0; i < n; i++) {
      PoolWatch.Sample s = samples.get(i);
      t[i] = s.epochSecond();
      calls[i] = s.calls();
      failed[i] = s.failed();
      p50[i] = finite(s.p50());
      p95[i] = finite(s.p95());
      p99[i] = finite(s.p99());
      queued[i] = s.queued();
      busy[i] = s.busy();
      workers[i] = s.workers();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("t", t);
    out.put("callsPerSecond", calls);
    out.put("failuresPerSecond", failed);
    out.put("p50Ms", p50);
    out.put("p95Ms", p95);
    out.put("p99Ms", p99);
    out.put("queued", queued);
    out.put("busy", busy);
    out.put("workers", workers);
    return out;
  }

  /** A second with no call has no latency: null, which a chart leaves as a gap. */
  private static Double finite(double value) {
    return Double.isNaN(value) ? null : Math.round(value * 1000) / 1000.0;
  }
}
