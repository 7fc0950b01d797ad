// Compares a GraphQL schema (the emulator's SDL) with Railway's real one: every type, field,
// argument and enum value declared must exist there with the same type.

import {
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
} from "graphql";

/** Every difference between the emulator's SDL and the real schema, as readable lines. */
export function compareWithReal(ours: GraphQLSchema, real: GraphQLSchema): string[] {
  const problems: string[] = [];
  for (const type of Object.values(ours.getTypeMap())) {
    if (type.name.startsWith("__")) continue;
    const other = real.getType(type.name);
    if (!other) {
      if (!(isScalarType(type) && ["String", "Int", "Float", "Boolean", "ID"].includes(type.name))) {
        problems.push(`type ${type.name} does not exist in Railway's schema`);
      }
      continue;
    }
    if (type.constructor !== other.constructor) {
      problems.push(
        `type ${type.name} is a ${type.constructor.name} here but a ${other.constructor.name} in Railway's schema`,
      );
      continue;
    }
    if (isEnumType(type) && isEnumType(other)) {
      const values = new Set(other.getValues().map((v) => v.name));
      for (const v of type.getValues()) {
        if (!values.has(v.name))
          problems.push(`enum value ${type.name}.${v.name} does not exist in Railway's schema`);
      }
    }
    if (isInputObjectType(type) && isInputObjectType(other)) {
      const fields = other.getFields();
      for (const f of Object.values(type.getFields())) {
        const o = fields[f.name];
        if (!o) problems.push(`input field ${type.name}.${f.name} does not exist in Railway's schema`);
        else if (String(o.type) !== String(f.type)) {
          problems.push(
            `input field ${type.name}.${f.name} is ${f.type} here but ${o.type} in Railway's schema`,
          );
        }
      }
    }
    if ((isObjectType(type) && isObjectType(other)) || (isInterfaceType(type) && isInterfaceType(other))) {
      const fields = other.getFields();
      for (const f of Object.values(type.getFields())) {
        const o = fields[f.name];
        if (!o) {
          problems.push(`field ${type.name}.${f.name} does not exist in Railway's schema`);
          continue;
        }
        if (String(o.type) !== String(f.type)) {
          problems.push(`field ${type.name}.${f.name} is ${f.type} here but ${o.type} in Railway's schema`);
        }
        for (const a of f.args) {
          const oa = o.args.find((x) => x.name === a.name);
          if (!oa)
            problems.push(`argument ${type.name}.${f.name}(${a.name}) does not exist in Railway's schema`);
          else if (String(oa.type) !== String(a.type)) {
            problems.push(
              `argument ${type.name}.${f.name}(${a.name}) is ${a.type} here but ${oa.type} in Railway's schema`,
            );
          }
        }
        // A required argument we left out would make our documents invalid on Railway.
        for (const oa of o.args) {
          if (
            String(oa.type).endsWith("!") &&
            oa.defaultValue === undefined &&
            !f.args.some((a) => a.name === oa.name)
          ) {
            problems.push(
              `argument ${type.name}.${f.name}(${oa.name}: ${oa.type}) is required in Railway's schema but missing here`,
            );
          }
        }
      }
    }
  }
  return problems;
}
