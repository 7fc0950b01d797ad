"use client";

import { useEffect, useState } from "react";
import {
  formatAge,
  formatPrice,
  formatUptime,
  listWorkers,
  parseStackStatus,
  type StackStatus,
} from "../lib/status";

// Inlined by `next build`; scripts/check-build-env.mjs guarantees an absolute http(s) URL.
const API_URL = process.env.NEXT_PUBLIC_API_URL ?? "";
const REFRESH_MS = 3_000;
const REQUEST_TIMEOUT_MS = 5_000;

interface Snapshot {
  status: StackStatus;
  fetchedAt: number;
}

type View =
  | { state: "loading" }
  | { state: "ok"; snapshot: Snapshot }
  | { state: "error"; problem: string; lastGood: Snapshot | null };

type FetchResult = { ok: true; status: StackStatus } | { ok: false; problem: string };

async function fetchStackStatus(): Promise<FetchResult> {
  let response: Response;
  try {
    response = await fetch(`${API_URL}/api/status`, {
      cache: "no-store",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return {
      ok: false,
      problem: timedOut
        ? `The API did not answer within ${REQUEST_TIMEOUT_MS / 1000}s.`
        : "Cannot reach the API (it is down, unreachable, or refused this origin by CORS).",
    };
  }
  if (!response.ok) return { ok: false, problem: `The API answered HTTP ${response.status}.` };
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return { ok: false, problem: "The API answered with something that is not JSON." };
  }
  const parsed = parseStackStatus(body);
  return parsed.ok
    ? parsed
    : { ok: false, problem: `The API answered an unexpected shape: ${parsed.problem}.` };
}

export function StackStatusPanel() {
  const [view, setView] = useState<View>({ state: "loading" });
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Chained timeouts rather than setInterval: a slow answer never overlaps the next request.
    const poll = async () => {
      const result = await fetchStackStatus();
      if (stopped) return;
      const fetchedAt = Date.now();
      setView((previous) => {
        if (result.ok) return { state: "ok", snapshot: { status: result.status, fetchedAt } };
        const lastGood =
          previous.state === "ok" ? previous.snapshot : previous.state === "error" ? previous.lastGood : null;
        return { state: "error", problem: result.problem, lastGood };
      });
      setNow(fetchedAt);
      timer = setTimeout(poll, REFRESH_MS);
    };
    void poll();
    const clock = setInterval(() => setNow(Date.now()), 1_000);
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(clock);
    };
  }, []);

  const snapshot = view.state === "ok" ? view.snapshot : view.state === "error" ? view.lastGood : null;

  return (
    <section className="panel" data-testid="stack-status" data-api-state={view.state} aria-live="polite">
      <p className="api-url">
        API <code>{API_URL}</code>
      </p>
      {view.state === "loading" && <p className="banner banner-loading">Contacting the API…</p>}
      {view.state === "error" && (
        <div className="banner banner-error" role="alert" data-testid="api-error">
          <strong>API unreachable.</strong> {view.problem}
          {view.lastGood && (
            <span className="banner-note">
              {" "}
              Showing the last answer, from {new Date(view.lastGood.fetchedAt).toLocaleTimeString("en-GB")}.
            </span>
          )}{" "}
          Retrying every {REFRESH_MS / 1000}s.
        </div>
      )}
      {snapshot && <SnapshotView snapshot={snapshot} now={now} stale={view.state === "error"} />}
    </section>
  );
}

function SnapshotView({ snapshot, now, stale }: { snapshot: Snapshot; now: number; stale: boolean }) {
  const { status } = snapshot;
  return (
    <div className={stale ? "snapshot snapshot-stale" : "snapshot"}>
      <div className="cards">
        <div className="card" data-testid="api-card">
          <h2>API</h2>
          <p>
            <Badge
              status={stale ? "missing" : status.api.status}
              label={stale ? "unreachable" : status.api.status}
            />
          </p>
          <dl>
            <dt>Commit</dt>
            <dd data-testid="api-commit" title={status.api.commit ?? undefined}>
              {status.api.commit ? status.api.commit.slice(0, 12) : "unknown"}
            </dd>
            <dt>Uptime</dt>
            <dd>{formatUptime(status.api.uptimeSeconds)}</dd>
          </dl>
        </div>
        <div className="card">
          <h2>Orders</h2>
          <p className="big-number" data-testid="orders-total">
            {status.orders.total.toLocaleString("en-US")}
          </p>
          <p className="muted">simulated orders recorded</p>
        </div>
      </div>

      <h2>Workers</h2>
      <table>
        <thead>
          <tr>
            <th>Worker</th>
            <th>Heartbeat</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {listWorkers(status).map((worker) => (
            <tr
              key={worker.name}
              data-testid="worker-row"
              data-worker={worker.name}
              data-status={worker.status}
            >
              <td>{worker.name}</td>
              <td>
                <Badge status={worker.status} label={worker.status} />
              </td>
              <td>{formatAge(worker.lastHeartbeat, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Latest prices</h2>
      {status.prices.length === 0 ? (
        <p className="muted" data-testid="no-prices">
          No prices yet: the data-poller has not stored a tick.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Symbol</th>
              <th className="num">Price</th>
              <th>As of</th>
            </tr>
          </thead>
          <tbody>
            {status.prices.map((quote) => (
              <tr key={quote.symbol} data-testid="price-row" data-symbol={quote.symbol}>
                <td>{quote.symbol}</td>
                <td className="num" data-testid="price-value">
                  {formatPrice(quote.price)}
                </td>
                <td>{formatAge(quote.at, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted footer" data-testid="updated-at">
        Updated {new Date(snapshot.fetchedAt).toLocaleTimeString("en-GB")} · refreshes every{" "}
        {REFRESH_MS / 1000}s
      </p>
    </div>
  );
}

function Badge({ status, label }: { status: string; label: string }) {
  const tone = status === "ok" ? "ok" : status === "stale" ? "warn" : "bad";
  return <span className={`badge badge-${tone}`}>{label}</span>;
}
