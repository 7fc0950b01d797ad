import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { EncryptionKeys } from "./config.ts";

// Envelope: v1.<keyId>.<nonce>.<ciphertext>.<tag>, base64url parts. The key id travels
// with the ciphertext so a value encrypted under a previous master key still decrypts
// after rotation; associated data binds a value to its row and field, so a ciphertext
// copied to another row fails authentication.

const VERSION = "v1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt value: ${reason}`);
    this.name = "DecryptionError";
  }
}

export function encryptSecret(plaintext: string, keys: EncryptionKeys, associatedData: string): string {
  const key = keys.keys.get(keys.currentKeyId);
  if (key === undefined) throw new Error(`current key ${keys.currentKeyId} is not loaded`);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(associatedData, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, keys.currentKeyId, nonce, ciphertext, tag]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

export function envelopeKeyId(envelope: string): string {
  const parts = envelope.split(".");
  if (parts.length !== 5 || parts[0] !== VERSION || !parts[1])
    throw new DecryptionError("malformed envelope");
  return parts[1];
}

export function decryptSecret(envelope: string, keys: EncryptionKeys, associatedData: string): string {
  const [version, keyId, nonceText, ciphertextText, tagText] = envelope.split(".");
  if (version !== VERSION || !keyId || nonceText === undefined || ciphertextText === undefined || !tagText) {
    throw new DecryptionError("malformed envelope");
  }
  const key = keys.keys.get(keyId);
  if (key === undefined) throw new DecryptionError(`unknown key id ${keyId}`);
  const nonce = Buffer.from(nonceText, "base64url");
  const tag = Buffer.from(tagText, "base64url");
  if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES)
    throw new DecryptionError("malformed envelope");
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(Buffer.from(associatedData, "utf8"));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertextText, "base64url")),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    throw new DecryptionError("authentication failed (tampered, wrong key or wrong record)");
  }
}

/** Re-encrypts under the current key, or returns undefined when the value already uses it. */
export function reencryptSecret(
  envelope: string,
  keys: EncryptionKeys,
  associatedData: string,
): string | undefined {
  if (envelopeKeyId(envelope) === keys.currentKeyId) return undefined;
  return encryptSecret(decryptSecret(envelope, keys, associatedData), keys, associatedData);
}
