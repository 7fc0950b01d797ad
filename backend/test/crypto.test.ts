import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EncryptionKeys } from "../src/config.ts";
import { loadCredentials, rotateCredentials, saveCredentials } from "../src/credentials.ts";
import {
  DecryptionError,
  decryptSecret,
  encryptSecret,
  envelopeKeyId,
  reencryptSecret,
} from "../src/crypto.ts";
import { createDatabases, type TestDatabases } from "./helpers.ts";

const KEY_1 = Buffer.from("11".repeat(32), "hex");
const KEY_2 = Buffer.from("22".repeat(32), "hex");
const onlyK1: EncryptionKeys = { currentKeyId: "k1", keys: new Map([["k1", KEY_1]]) };
const rotatedToK2: EncryptionKeys = {
  currentKeyId: "k2",
  keys: new Map([
    ["k2", KEY_2],
    ["k1", KEY_1],
  ]),
};
const onlyK2: EncryptionKeys = { currentKeyId: "k2", keys: new Map([["k2", KEY_2]]) };

/** Flips one bit of one base64url part of the envelope. */
function tamper(envelope: string, partIndex: number): string {
  const parts = envelope.split(".");
  const bytes = Buffer.from(parts[partIndex] as string, "base64url");
  bytes[0] = (bytes[0] as number) ^ 0x01;
  parts[partIndex] = bytes.toString("base64url");
  return parts.join(".");
}

describe("AES-256-GCM envelopes", () => {
  it("round-trips and carries the key id", () => {
    const envelope = encryptSecret("api-secret-value", onlyK1, "row:1:api_secret");
    expect(envelope).toMatch(/^v1\.k1\./);
    expect(envelope).not.toContain("api-secret-value");
    expect(envelopeKeyId(envelope)).toBe("k1");
    expect(decryptSecret(envelope, onlyK1, "row:1:api_secret")).toBe("api-secret-value");
  });

  it("uses a fresh 12-byte nonce for every value", () => {
    const first = encryptSecret("same", onlyK1, "ad");
    const second = encryptSecret("same", onlyK1, "ad");
    expect(first).not.toBe(second);
    const nonce = (envelope: string) => Buffer.from(envelope.split(".")[2] as string, "base64url");
    expect(nonce(first)).toHaveLength(12);
    expect(nonce(first).equals(nonce(second))).toBe(false);
  });

  it("detects tampering with the nonce, ciphertext or tag, and a value moved to another record", () => {
    const envelope = encryptSecret("api-secret-value", onlyK1, "row:1:api_secret");
    for (const part of [2, 3, 4]) {
      expect(() => decryptSecret(tamper(envelope, part), onlyK1, "row:1:api_secret")).toThrow(
        DecryptionError,
      );
    }
    expect(() => decryptSecret(envelope, onlyK1, "row:2:api_secret")).toThrow(/authentication failed/);
    expect(() => decryptSecret("v1.k1.garbage", onlyK1, "ad")).toThrow(/malformed envelope/);
  });

  it("never puts the plaintext or the key in an error", () => {
    const envelope = encryptSecret("api-secret-value", onlyK1, "ad");
    try {
      decryptSecret(tamper(envelope, 3), onlyK1, "ad");
      throw new Error("expected a DecryptionError");
    } catch (error) {
      expect(String(error)).not.toContain("api-secret-value");
      expect(String(error)).not.toContain(KEY_1.toString("hex"));
    }
  });

  it("rotates: old values decrypt with the previous key and re-encrypt under the current one", () => {
    const old = encryptSecret("api-secret-value", onlyK1, "ad");
    expect(() => decryptSecret(old, onlyK2, "ad")).toThrow(/unknown key id k1/);
    expect(decryptSecret(old, rotatedToK2, "ad")).toBe("api-secret-value");
    const rotated = reencryptSecret(old, rotatedToK2, "ad") as string;
    expect(envelopeKeyId(rotated)).toBe("k2");
    expect(decryptSecret(rotated, onlyK2, "ad")).toBe("api-secret-value");
    expect(reencryptSecret(rotated, rotatedToK2, "ad")).toBeUndefined();
  });
});

describe("stored exchange credentials (User Data DB)", () => {
  let dbs: TestDatabases;
  beforeAll(async () => {
    dbs = await createDatabases();
  });
  afterAll(async () => {
    await dbs?.drop();
  });

  it("are stored encrypted and rotate to the current key", async () => {
    const { rows } = await dbs.userDb.query<{ id: number }>(
      "INSERT INTO users (email) VALUES ('a@example.com'), ('b@example.com') RETURNING id",
    );
    const [alice, bob] = rows.map((row) => row.id) as [number, number];
    await saveCredentials(dbs.userDb, onlyK1, {
      userId: alice,
      exchange: "sim",
      apiKey: "AK-1",
      apiSecret: "SK-1",
    });
    await saveCredentials(dbs.userDb, onlyK1, {
      userId: bob,
      exchange: "sim",
      apiKey: "AK-2",
      apiSecret: "SK-2",
    });

    const raw = await dbs.userDb.query(
      "SELECT key_id, api_key_enc, api_secret_enc FROM exchange_credentials",
    );
    expect(JSON.stringify(raw.rows)).not.toMatch(/AK-1|SK-1|AK-2|SK-2/);
    expect(raw.rows.every((row) => row.key_id === "k1")).toBe(true);

    // Copying Bob's ciphertext onto Alice's row must not decrypt as Alice's secret.
    await dbs.userDb.query(
      `UPDATE exchange_credentials SET api_secret_enc = (SELECT api_secret_enc FROM exchange_credentials WHERE user_id = $2)
        WHERE user_id = $1`,
      [alice, bob],
    );
    await expect(loadCredentials(dbs.userDb, onlyK1, alice, "sim")).rejects.toThrow(DecryptionError);
    await saveCredentials(dbs.userDb, onlyK1, {
      userId: alice,
      exchange: "sim",
      apiKey: "AK-1",
      apiSecret: "SK-1",
    });

    expect(await rotateCredentials(dbs.userDb, rotatedToK2)).toBe(2);
    expect(await rotateCredentials(dbs.userDb, rotatedToK2)).toBe(0);
    const after = await dbs.userDb.query<{ key_id: string }>("SELECT key_id FROM exchange_credentials");
    expect(after.rows.map((row) => row.key_id)).toEqual(["k2", "k2"]);
    // The previous key is no longer needed once every row is rotated.
    expect(await loadCredentials(dbs.userDb, onlyK2, alice, "sim")).toMatchObject({
      apiKey: "AK-1",
      apiSecret: "SK-1",
    });
    expect(await loadCredentials(dbs.userDb, onlyK2, bob, "sim")).toMatchObject({
      apiKey: "AK-2",
      apiSecret: "SK-2",
    });
  });
});
