import { describe, expect, it } from "vitest";
import type { RailwayApi } from "../railway/types.ts";
import { withRunReads } from "./reads.ts";

/** A stand-in with a private field, as the real client has, counting what reaches it. */
class CountingApi {
  readonly calls: string[] = [];
  #state = 1;
  get requestCount(): number {
    return this.calls.length;
  }
  async project(id: string) {
    this.calls.push(`project ${id}`);
    return { id, state: this.#state };
  }
  async environmentState(id: string) {
    this.calls.push(`environmentState ${id}`);
    if (id === "broken") throw new Error("read failed");
    return { id, state: this.#state };
  }
  async deployments() {
    this.calls.push("deployments");
    return [];
  }
  async applyChangeSet() {
    this.calls.push("applyChangeSet");
    this.#state++;
    return { status: "applied" };
  }
}

const wrap = (api: CountingApi) => withRunReads(api as unknown as RailwayApi) as unknown as CountingApi;

describe("withRunReads", () => {
  it("reads the project and the environment once until a write, then fresh", async () => {
    const inner = new CountingApi();
    const api = wrap(inner);
    const [a, b] = await Promise.all([api.environmentState("env"), api.environmentState("env")]);
    expect(a).toBe(b);
    await api.project("p");
    await api.project("p");
    await api.deployments();
    expect(inner.calls).toEqual(["environmentState env", "project p", "deployments"]);
    await api.applyChangeSet();
    const after = await api.environmentState("env");
    expect(after).toEqual({ id: "env", state: 2 });
    expect(inner.calls.filter((call) => call === "environmentState env")).toHaveLength(2);
    expect(api.requestCount).toBe(5);
  });

  it("keeps reads of other ids apart and does not keep a failed read", async () => {
    const inner = new CountingApi();
    const api = wrap(inner);
    await api.environmentState("a");
    await api.environmentState("b");
    await expect(api.environmentState("broken")).rejects.toThrow("read failed");
    await expect(api.environmentState("broken")).rejects.toThrow("read failed");
    expect(inner.calls).toEqual([
      "environmentState a",
      "environmentState b",
      "environmentState broken",
      "environmentState broken",
    ]);
  });
});
