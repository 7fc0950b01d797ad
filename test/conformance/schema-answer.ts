// Is an answer one Railway's schema allows for this document? (docs/decisions/0100-conformance-answers.md)
// The answer is replayed: the same document is executed by graphql-js against Railway's real
// schema, every field resolving to the value the emulator gave under that response key. The
// schema's own rules then judge each value (non-null, list, enum membership, Int/Float/Boolean/
// String/ID serialization); a DateTime must be an ISO timestamp. The replay must have no errors
// AND give back exactly the answer: a serializer that would coerce (5 → "5") shows as a
// difference, as does a field the document did not ask for or one the answer left out.

import { isDeepStrictEqual } from "node:util";
import { buildClientSchema, execute, type GraphQLSchema, parse } from "graphql";

/** Railway's schema from its introspection JSON, with DateTime checked as an ISO timestamp. */
export function replaySchema(introspection: { data: unknown }): GraphQLSchema {
  const schema = buildClientSchema(introspection.data as Parameters<typeof buildClientSchema>[0]);
  const dateTime = schema.getType("DateTime");
  if (dateTime && "serialize" in dateTime) {
    dateTime.serialize = (value: unknown) => {
      if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value)))
        throw new TypeError(`DateTime cannot represent ${JSON.stringify(value)}`);
      return value;
    };
  }
  return schema;
}

/** Every way `data` is not an answer Railway's schema allows for `document`; [] when it is. */
export function answerProblems(
  schema: GraphQLSchema,
  document: string,
  variables: Record<string, unknown>,
  data: unknown,
): string[] {
  if (data === null || typeof data !== "object") return [`the answer has no data object (${String(data)})`];
  const result = execute({
    schema,
    document: parse(document),
    rootValue: data,
    variableValues: variables,
    fieldResolver: (source, _args, _context, info) =>
      source !== null && typeof source === "object"
        ? (source as Record<string, unknown>)[String(info.path.key)]
        : undefined,
  });
  if (result instanceof Promise) return ["the replay did not finish synchronously"];
  const problems = (result.errors ?? []).map(
    (e) => `${(e.path ?? []).join(".") || "(document)"}: ${e.message}`,
  );
  if (problems.length === 0) problems.push(...differences(data, result.data, ""));
  return problems;
}

function differences(answer: unknown, replayed: unknown, path: string): string[] {
  if (isDeepStrictEqual(answer, replayed)) return [];
  const where = path || "(root)";
  if (Array.isArray(answer) && Array.isArray(replayed) && answer.length === replayed.length)
    return answer.flatMap((a, i) => differences(a, replayed[i], `${path}.${i}`));
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(answer) && isObject(replayed)) {
    const keys = new Set([...Object.keys(answer), ...Object.keys(replayed)]);
    return [...keys].flatMap((k) => {
      const at = path ? `${path}.${k}` : k;
      if (!(k in replayed)) return [`${at}: answered but not asked for`];
      if (!(k in answer)) return [`${at}: asked for but missing from the answer`];
      return differences(answer[k], replayed[k], at);
    });
  }
  return [
    `${where}: answered ${JSON.stringify(answer)}, which the schema reads as ${JSON.stringify(replayed)}`,
  ];
}
