// Real provisioning behind the emulator's databases, services and volumes: see provisioner.ts
// (PostgreSQL databases and Redis processes) and resources.ts (change-set resource.create /
// resource.delete).
export {
  type PostgresCredentials,
  type PostgresServer,
  ProvisionError,
  Provisioner,
  type ProvisionerOptions,
  type RedisCredentials,
  randomSecret,
} from "./provisioner.ts";
export {
  addressOf,
  createResource,
  deleteResource,
  generate,
  type ProvisionContext,
  ResourceError,
  type ResourceNode,
  type ResourceOutcome,
  type VariableNode,
  variableValue,
} from "./resources.ts";
