import type { EncryptionKeys } from "./config.ts";
import { decryptSecret, encryptSecret, reencryptSecret } from "./crypto.ts";
import type { Pool } from "./db.ts";

export interface ExchangeCredentials {
  userId: number;
  exchange: string;
  apiKey: string;
  apiSecret: string;
}

// Associated data ties each ciphertext to its user, exchange and field.
function associatedData(userId: number, exchange: string, field: "api_key" | "api_secret"): string {
  return `exchange_credentials:${userId}:${exchange}:${field}`;
}

export async function saveCredentials(
  pool: Pool,
  keys: EncryptionKeys,
  credentials: ExchangeCredentials,
): Promise<void> {
  const { userId, exchange } = credentials;
  await pool.query(
    `INSERT INTO exchange_credentials (user_id, exchange, key_id, api_key_enc, api_secret_enc)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (user_id, exchange) DO UPDATE
       SET key_id = EXCLUDED.key_id, api_key_enc = EXCLUDED.api_key_enc,
           api_secret_enc = EXCLUDED.api_secret_enc, updated_at = now()`,
    [
      userId,
      exchange,
      keys.currentKeyId,
      encryptSecret(credentials.apiKey, keys, associatedData(userId, exchange, "api_key")),
      encryptSecret(credentials.apiSecret, keys, associatedData(userId, exchange, "api_secret")),
    ],
  );
}

export async function loadCredentials(
  pool: Pool,
  keys: EncryptionKeys,
  userId: number,
  exchange: string,
): Promise<ExchangeCredentials | undefined> {
  const { rows } = await pool.query<{ api_key_enc: string; api_secret_enc: string }>(
    "SELECT api_key_enc, api_secret_enc FROM exchange_credentials WHERE user_id = $1 AND exchange = $2",
    [userId, exchange],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    userId,
    exchange,
    apiKey: decryptSecret(row.api_key_enc, keys, associatedData(userId, exchange, "api_key")),
    apiSecret: decryptSecret(row.api_secret_enc, keys, associatedData(userId, exchange, "api_secret")),
  };
}

/**
 * Re-encrypts every credential not under the current key. Each row is locked and
 * rewritten in its own transaction, so two engines rotating at once do no harm.
 * Returns how many rows were rewritten.
 */
export async function rotateCredentials(pool: Pool, keys: EncryptionKeys): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    "SELECT id FROM exchange_credentials WHERE key_id <> $1",
    [keys.currentKeyId],
  );
  let rotated = 0;
  for (const { id } of rows) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const locked = await client.query<{
        user_id: number;
        exchange: string;
        api_key_enc: string;
        api_secret_enc: string;
      }>(
        "SELECT user_id, exchange, api_key_enc, api_secret_enc FROM exchange_credentials WHERE id = $1 AND key_id <> $2 FOR UPDATE",
        [id, keys.currentKeyId],
      );
      const row = locked.rows[0];
      if (row !== undefined) {
        const apiKey = reencryptSecret(
          row.api_key_enc,
          keys,
          associatedData(row.user_id, row.exchange, "api_key"),
        );
        const apiSecret = reencryptSecret(
          row.api_secret_enc,
          keys,
          associatedData(row.user_id, row.exchange, "api_secret"),
        );
        await client.query(
          "UPDATE exchange_credentials SET key_id = $2, api_key_enc = $3, api_secret_enc = $4, updated_at = now() WHERE id = $1",
          [id, keys.currentKeyId, apiKey ?? row.api_key_enc, apiSecret ?? row.api_secret_enc],
        );
        rotated += 1;
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
  return rotated;
}
