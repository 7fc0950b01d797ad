// Every GraphQL operation the client sends, as a named document. operations.test.ts
// validates each one against Railway's real schema (test/data/railway/schema.json).

const DEPLOYMENT_FIELDS = `
fragment DeploymentFields on Deployment {
  id
  status
  serviceId
  url
  staticUrl
  createdAt
  canRollback
  meta
}`;

export const ProjectTokenQuery = `
query ProjectToken {
  projectToken {
    projectId
    environmentId
  }
}`;

/** Cheap read any valid account/workspace token may do: tells a bad token from one without access. */
export const AccountProbeQuery = `
query AccountProbe {
  projects(first: 1) {
    edges { node { id } }
  }
}`;

export const ProjectQuery = `
query Project($id: String!) {
  project(id: $id) {
    id
    name
    services {
      edges { node { id name } }
    }
    environments {
      edges { node { id name } }
    }
  }
}`;

export const ServiceInstanceQuery = `
query ServiceInstance($environmentId: String!, $serviceId: String!) {
  serviceInstance(environmentId: $environmentId, serviceId: $serviceId) {
    serviceId
    environmentId
    builder
    buildCommand
    dockerfilePath
    watchPatterns
    rootDirectory
    railwayConfigFile
    nixpacksPlan
    startCommand
    preDeployCommand
    numReplicas
    region
    healthcheckPath
    healthcheckTimeout
    restartPolicyType
    restartPolicyMaxRetries
    cronSchedule
    sleepApplication
    overlapSeconds
    drainingSeconds
    ipv6EgressEnabled
    source { repo image }
    latestDeployment { ...DeploymentFields }
    domains {
      serviceDomains { domain }
      customDomains { domain status { verified certificateStatus } }
    }
  }
}
${DEPLOYMENT_FIELDS}`;

/**
 * The whole live state of an environment in one request: Railway's environment config and its
 * etag, and per service instance what the config does not hold (source, the latest deployment,
 * the domains with their status).
 */
const LIVE_INSTANCE_FIELDS = `
fragment LiveInstanceFields on ServiceInstance {
  serviceId
  source { repo image }
  latestDeployment { ...DeploymentFields }
  domains {
    serviceDomains { domain }
    customDomains {
      domain
      status { verified certificateStatus dnsRecords { recordType fqdn requiredValue status } }
    }
  }
}`;

/** Service instances per page, as Railway's CLI pages them. */
export const INSTANCES_PAGE_SIZE = 500;

export const EnvironmentStateQuery = `
query EnvironmentState($environmentId: String!, $first: Int) {
  environment(id: $environmentId) {
    id
    configEtag
    config(decryptVariables: false)
    serviceInstances(first: $first) {
      edges { node { ...LiveInstanceFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
${LIVE_INSTANCE_FIELDS}
${DEPLOYMENT_FIELDS}`;

/** The next page of an environment's instances (more than INSTANCES_PAGE_SIZE services). */
export const EnvironmentInstancesPageQuery = `
query EnvironmentInstancesPage($environmentId: String!, $first: Int, $after: String) {
  environment(id: $environmentId) {
    serviceInstances(first: $first, after: $after) {
      edges { node { ...LiveInstanceFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
${LIVE_INSTANCE_FIELDS}
${DEPLOYMENT_FIELDS}`;

const CHANGE_SET_APPLY_FIELDS = `
fragment ChangeSetApplyFields on ChangeSetApplyResult {
  id
  status
  deploymentId
  stagedPatchId
  diagnostics
  changes { kind path summary status outputs }
}`;

export const EnvironmentPreviewChangeSetMutation = `
mutation EnvironmentPreviewChangeSet($environmentId: String!, $input: JSON!) {
  environmentPreviewChangeSet(environmentId: $environmentId, input: $input) {
    changeSet
    diagnostics
    effects
  }
}`;

export const EnvironmentApplyChangeSetMutation = `
mutation EnvironmentApplyChangeSet($environmentId: String!, $input: JSON!, $commitMessage: String, $baseConfigEtag: String, $waitForCompletion: Boolean) {
  environmentApplyChangeSet(environmentId: $environmentId, input: $input, commitMessage: $commitMessage, baseConfigEtag: $baseConfigEtag, waitForCompletion: $waitForCompletion) {
    ...ChangeSetApplyFields
  }
}
${CHANGE_SET_APPLY_FIELDS}`;

export const EnvironmentChangeSetApplyQuery = `
query EnvironmentChangeSetApply($environmentId: String!, $id: String!) {
  environmentChangeSetApply(environmentId: $environmentId, id: $id) {
    ...ChangeSetApplyFields
  }
}
${CHANGE_SET_APPLY_FIELDS}`;

export const ServiceInstanceUpdateMutation = `
mutation ServiceInstanceUpdate($serviceId: String!, $environmentId: String!, $input: ServiceInstanceUpdateInput!) {
  serviceInstanceUpdate(serviceId: $serviceId, environmentId: $environmentId, input: $input)
}`;

export const VariablesForServiceDeploymentQuery = `
query VariablesForServiceDeployment($projectId: String!, $environmentId: String!, $serviceId: String!) {
  variablesForServiceDeployment(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId)
}`;

export const VariablesQuery = `
query Variables($projectId: String!, $environmentId: String!, $serviceId: String, $unrendered: Boolean) {
  variables(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId, unrendered: $unrendered)
}`;

export const VariableCollectionUpsertMutation = `
mutation VariableCollectionUpsert($input: VariableCollectionUpsertInput!) {
  variableCollectionUpsert(input: $input)
}`;

export const DeploymentTriggersQuery = `
query DeploymentTriggers($projectId: String!, $environmentId: String!, $serviceId: String!) {
  deploymentTriggers(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) {
    edges { node { id branch repository checkSuites } }
  }
}`;

export const ServiceInstanceDeployV2Mutation = `
mutation ServiceInstanceDeployV2($environmentId: String!, $serviceId: String!, $commitSha: String) {
  serviceInstanceDeployV2(environmentId: $environmentId, serviceId: $serviceId, commitSha: $commitSha)
}`;

export const ServiceInstanceRedeployMutation = `
mutation ServiceInstanceRedeploy($environmentId: String!, $serviceId: String!) {
  serviceInstanceRedeploy(environmentId: $environmentId, serviceId: $serviceId)
}`;

export const DeploymentRedeployMutation = `
mutation DeploymentRedeploy($id: String!) {
  deploymentRedeploy(id: $id) { ...DeploymentFields }
}
${DEPLOYMENT_FIELDS}`;

export const DeploymentQuery = `
query Deployment($id: String!) {
  deployment(id: $id) { ...DeploymentFields }
}
${DEPLOYMENT_FIELDS}`;

export const DeploymentsQuery = `
query Deployments($input: DeploymentListInput!, $first: Int) {
  deployments(input: $input, first: $first) {
    edges { node { ...DeploymentFields } }
  }
}
${DEPLOYMENT_FIELDS}`;

export const DeploymentEventsQuery = `
query DeploymentEvents($id: String!, $first: Int) {
  deploymentEvents(id: $id, first: $first) {
    edges {
      node { id step createdAt completedAt payload { error detail reason skipped } }
    }
  }
}`;

/** Each run of a service's instances, newest first: restarts show here while a deployment stays SUCCESS. */
export const DeploymentInstanceExecutionsQuery = `
query DeploymentInstanceExecutions($input: DeploymentInstanceExecutionListInput!, $first: Int) {
  deploymentInstanceExecutions(input: $input, first: $first) {
    edges {
      node { id deploymentId status createdAt updatedAt completedAt }
    }
  }
}`;

export const BuildLogsQuery = `
query BuildLogs($deploymentId: String!, $limit: Int) {
  buildLogs(deploymentId: $deploymentId, limit: $limit) { message severity timestamp }
}`;

export const DeploymentLogsQuery = `
query DeploymentLogs($deploymentId: String!, $limit: Int) {
  deploymentLogs(deploymentId: $deploymentId, limit: $limit) { message severity timestamp }
}`;

export const DeploymentRollbackMutation = `
mutation DeploymentRollback($id: String!) {
  deploymentRollback(id: $id)
}`;

export const DeploymentCancelMutation = `
mutation DeploymentCancel($id: String!) {
  deploymentCancel(id: $id)
}`;

export const DomainsQuery = `
query Domains($projectId: String!, $environmentId: String!, $serviceId: String!) {
  domains(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) {
    serviceDomains { domain }
    customDomains { domain status { verified certificateStatus } }
  }
}`;

export const DeploymentStatusSubscription = `
subscription DeploymentStatus($id: String!) {
  deployment(id: $id) { ...DeploymentFields }
}
${DEPLOYMENT_FIELDS}`;

export const BuildLogsSubscription = `
subscription BuildLogsStream($deploymentId: String!, $limit: Int) {
  buildLogs(deploymentId: $deploymentId, limit: $limit) { message severity timestamp }
}`;

export const DeploymentLogsSubscription = `
subscription DeploymentLogsStream($deploymentId: String!, $limit: Int) {
  deploymentLogs(deploymentId: $deploymentId, limit: $limit) { message severity timestamp }
}`;

/** The alias under which the batched status query reads the i-th deployment. */
export function batchAlias(index: number): string {
  return `d${index}`;
}

/** One query reading many deployments: `d0: deployment(id: $d0) {...} d1: ...`. */
export function deploymentStatusesQuery(count: number): string {
  const params: string[] = [];
  const fields: string[] = [];
  for (let i = 0; i < count; i++) {
    const alias = batchAlias(i);
    params.push(`$${alias}: String!`);
    fields.push(`  ${alias}: deployment(id: $${alias}) { ...DeploymentFields }`);
  }
  return `
query DeploymentStatuses(${params.join(", ")}) {
${fields.join("\n")}
}
${DEPLOYMENT_FIELDS}`;
}

/**
 * Most services one batched read covers (aliased fields per request). Railway's CLI reads 500
 * service instances, with their deployments and domains, in one page; 100 aliased fields is a
 * smaller answer than that.
 */
export const SERVICE_BATCH = 100;

function serviceBatch(
  name: string,
  count: number,
  field: (alias: string) => string,
  params = ["$projectId: String!", "$environmentId: String!"],
): string {
  params = [...params];
  const fields: string[] = [];
  for (let i = 0; i < count; i++) {
    params.push(`$s${i}: String!`);
    fields.push(field(`s${i}`));
  }
  return `
query ${name}(${params.join(", ")}) {
${fields.join("\n")}
}`;
}

/**
 * Many services' variables in one query: `r0` rendered for a deployment and, only for the
 * services whose user-set names are not known yet, `u0` as the user set them (unrendered),
 * which tells Railway's metadata from a user's variable of the same name.
 */
export function variablesForDeploymentsQuery(
  count: number,
  withUserNames: (index: number) => boolean = () => true,
): string {
  return serviceBatch("VariablesForServiceDeployments", count, (s) => {
    const i = Number(s.slice(1));
    const rendered = `  r${i}: variablesForServiceDeployment(projectId: $projectId, environmentId: $environmentId, serviceId: $${s})`;
    return withUserNames(i)
      ? `${rendered}\n  u${i}: variables(projectId: $projectId, environmentId: $environmentId, serviceId: $${s}, unrendered: true)`
      : rendered;
  });
}

/** Many services' deploy triggers in one query: `t0: deploymentTriggers(...)`. */
export function deploymentTriggersManyQuery(count: number): string {
  return serviceBatch(
    "DeploymentTriggersMany",
    count,
    (s) =>
      `  t${s.slice(1)}: deploymentTriggers(projectId: $projectId, environmentId: $environmentId, serviceId: $${s}) {\n` +
      "    edges { node { id branch repository checkSuites } }\n  }",
  );
}

/**
 * Many services' recent deployments in one query: `l0: deployments(input: {...serviceId: $s0})`.
 * What existed before the deploy requests, so a deploy whose answer is lost is never matched to
 * an older deployment (docs/decisions/0120-ambiguous-deploy-requests.md).
 */
export function recentDeploymentsManyQuery(count: number): string {
  return `${serviceBatch(
    "RecentDeploymentsMany",
    count,
    (s) =>
      `  l${s.slice(1)}: deployments(input: { projectId: $projectId, environmentId: $environmentId, serviceId: $${s} }, first: $first) {\n` +
      "    edges { node { ...DeploymentFields } }\n  }",
    ["$projectId: String!", "$environmentId: String!", "$first: Int"],
  )}
${DEPLOYMENT_FIELDS}`;
}

/**
 * Many services' instance runs in one query: `e0: deploymentInstanceExecutions(...)`. The
 * crash-loop check of every deployment at the end of the stability window
 * (docs/decisions/0122-crash-loops.md).
 */
export function instanceExecutionsManyQuery(count: number): string {
  return serviceBatch(
    "DeploymentInstanceExecutionsMany",
    count,
    (s) =>
      `  e${s.slice(1)}: deploymentInstanceExecutions(input: { environmentId: $environmentId, serviceId: $${s} }, first: $first) {\n` +
      "    edges { node { id deploymentId status createdAt updatedAt completedAt } }\n  }",
    ["$environmentId: String!", "$first: Int"],
  );
}

/** Every fixed document, by name (the batched query is built per call; the test checks a sample). */
export const operations: Record<string, string> = {
  ProjectTokenQuery,
  AccountProbeQuery,
  ProjectQuery,
  ServiceInstanceQuery,
  EnvironmentStateQuery,
  EnvironmentInstancesPageQuery,
  EnvironmentPreviewChangeSetMutation,
  EnvironmentApplyChangeSetMutation,
  EnvironmentChangeSetApplyQuery,
  ServiceInstanceUpdateMutation,
  VariablesForServiceDeploymentQuery,
  VariablesQuery,
  VariableCollectionUpsertMutation,
  DeploymentTriggersQuery,
  ServiceInstanceDeployV2Mutation,
  ServiceInstanceRedeployMutation,
  DeploymentRedeployMutation,
  DeploymentQuery,
  DeploymentsQuery,
  DeploymentEventsQuery,
  DeploymentInstanceExecutionsQuery,
  BuildLogsQuery,
  DeploymentLogsQuery,
  DeploymentRollbackMutation,
  DeploymentCancelMutation,
  DomainsQuery,
  DeploymentStatusSubscription,
  BuildLogsSubscription,
  DeploymentLogsSubscription,
};
