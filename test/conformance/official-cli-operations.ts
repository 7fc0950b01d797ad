// The GraphQL operations Railway's official CLI (railwayapp/cli, MIT, read at v5.43.1) sends for
// `up`, `status`, `variables`, `redeploy`, `domain`, `config plan` and `config apply`: derived
// by reading its sources (src/gql/{queries,mutations,subscriptions}/strings/*.graphql and the
// inline documents of its IaC engine, src/iac/engine.rs) and the command code that calls them
// (src/commands/*.rs, src/controllers/*.rs). The documents below ask for the same fields with
// the same arguments, written out here; nothing is copied from the CLI's files.
// test/conformance/official-cli.test.ts validates each against both schemas and runs every
// command's sequence against a running emulator (docs/decisions/0100-conformance-answers.md).

export type Command =
  | "up"
  | "status"
  | "variables"
  | "redeploy"
  | "domain"
  | "config plan"
  | "config apply"
  | "environment edit";

/** The seven commands the conformance count is reported for (issue 11). */
export const CORE_COMMANDS: Command[] = [
  "up",
  "status",
  "variables",
  "redeploy",
  "domain",
  "config plan",
  "config apply",
];

/** Real ids from the emulator's state, and what earlier operations of a sequence returned. */
export interface Ids {
  projectId: string;
  /** What a person types after --project when they do not know the id. */
  projectName: string;
  environmentId: string;
  serviceId: string;
  /** A deployment of serviceId (from the source upload that `up` makes). */
  deploymentId: string;
  /** A domain name the test owns for customDomainCreate. */
  customDomainName: string;
  serviceDomainId?: string;
  serviceDomainName?: string;
  customDomainId?: string;
  /** A change set in the shape the CLI's IaC engine builds (src/iac/change_set.rs). */
  changeSet: unknown;
  configEtag?: string;
  changeSetApplyId?: string;
  /** A partial EnvironmentConfig as `railway environment edit` builds it. */
  environmentPatch: unknown;
}

export interface OfficialOperation {
  /** The operationName the CLI sends. */
  name: string;
  /** Where the CLI keeps the document (repository path in railwayapp/cli). */
  source: string;
  document: string;
  variables: (ids: Ids) => Record<string, unknown>;
  /**
   * Railway rejects this one too: the CLI probes for a field newer than the published schema and
   * falls back when the error names it (src/iac/engine.rs, fetch_current_environment).
   */
  rejectedByRailway?: RegExp;
  /** The answer is this error, as on Railway, and the CLI carries on (e.g. looks the project up by name). */
  expectedError?: RegExp;
}

const LOG_FIELDS = "fragment LogFields on Log { timestamp message attributes { key value } }";

export const operations: Record<string, OfficialOperation> = {
  Project: {
    name: "Project",
    source: "src/gql/queries/strings/Project.graphql",
    document: `query Project($id: String!) {
      project(id: $id) {
        id name workspaceId deletedAt
        workspace { name }
        buckets { edges { node { id name } } }
        environments { edges { node { id name canAccess deletedAt unmergedChangesCount } } }
        services { edges { node { id name } } }
      }
    }`,
    variables: (ids) => ({ id: ids.projectId }),
  },
  ProjectByName: {
    name: "Project",
    source:
      "src/gql/queries/strings/Project.graphql (resolve_project_id_or_name, src/controllers/project.rs)",
    document: `query Project($id: String!) {
      project(id: $id) {
        id name workspaceId deletedAt
        workspace { name }
        buckets { edges { node { id name } } }
        environments { edges { node { id name canAccess deletedAt unmergedChangesCount } } }
        services { edges { node { id name } } }
      }
    }`,
    // `--project shop`: the CLI first tries the name as an id and looks for "Project not found".
    variables: (ids) => ({ id: ids.projectName }),
    expectedError: /Project not found/,
  },
  UserProjects: {
    name: "UserProjects",
    source: "src/gql/queries/strings/UserProjects.graphql",
    document: `query UserProjects {
      externalWorkspaces {
        id name teamId
        projects {
          id name createdAt updatedAt deletedAt
          environments { edges { node { id name canAccess } } }
          services { edges { node { id name } } }
        }
      }
      me {
        workspaces {
          id name
          team { id }
          projects(first: 500) {
            edges {
              node {
                id name createdAt updatedAt deletedAt
                environments { edges { node { id name canAccess } } }
                services { edges { node { id name } } }
              }
            }
          }
        }
      }
    }`,
    variables: () => ({}),
  },
  Regions: {
    name: "Regions",
    source: "src/gql/queries/strings/Regions.graphql",
    document: `query Regions($projectId: String) {
      regions(projectId: $projectId) {
        name region country location workspaceId
        deploymentConstraints { deprecationInfo { isDeprecated replacementRegion } }
      }
    }`,
    variables: () => ({ projectId: null }),
  },
  GetEnvironmentConfig: {
    name: "GetEnvironmentConfig",
    source: "src/gql/queries/strings/EnvironmentConfig.graphql",
    document: `query GetEnvironmentConfig($id: String!, $decryptVariables: Boolean) {
      environment(id: $id) { id name config(decryptVariables: $decryptVariables) }
    }`,
    variables: (ids) => ({ id: ids.environmentId, decryptVariables: false }),
  },
  EnvironmentInstances: {
    name: "EnvironmentInstances",
    source: "src/gql/queries/strings/EnvironmentInstances.graphql",
    document: `query EnvironmentInstances(
      $environmentId: String!, $projectId: String!,
      $serviceInstancesFirst: Int, $serviceInstancesAfter: String,
      $volumeInstancesFirst: Int, $volumeInstancesAfter: String
    ) {
      environment(id: $environmentId, projectId: $projectId) {
        id name
        serviceInstances(first: $serviceInstancesFirst, after: $serviceInstancesAfter) {
          edges {
            node {
              id serviceId serviceName environmentId numReplicas
              latestDeployment {
                canRedeploy id meta status createdAt deploymentStopped
                instances { id status }
              }
              activeDeployments { id status createdAt meta deploymentStopped instances { id status } }
              source { repo image }
              domains {
                serviceDomains { id domain targetPort }
                customDomains { id domain targetPort }
              }
              cronSchedule nextCronRunAt startCommand
            }
          }
          pageInfo { hasNextPage endCursor }
        }
        volumeInstances(first: $volumeInstancesFirst, after: $volumeInstancesAfter) {
          edges {
            node {
              id serviceId mountPath environmentId currentSizeMB sizeMB state deletedAt isPendingDeletion
              volume { name id }
            }
          }
          pageInfo { hasNextPage endCursor }
        }
      }
    }`,
    // The CLI pages by 50 (src/controllers/project.rs, get_environment_instances).
    variables: (ids) => ({
      environmentId: ids.environmentId,
      projectId: ids.projectId,
      serviceInstancesFirst: 50,
      serviceInstancesAfter: null,
      volumeInstancesFirst: 50,
      volumeInstancesAfter: null,
    }),
  },
  DeploymentStatus: {
    name: "DeploymentStatus",
    source: "src/gql/queries/strings/DeploymentStatus.graphql",
    document: "query DeploymentStatus($id: String!) { deployment(id: $id) { status } }",
    variables: (ids) => ({ id: ids.deploymentId }),
  },
  BuildLogs: {
    name: "BuildLogs",
    source: "src/gql/subscriptions/strings/BuildLogs.graphql",
    document: `subscription BuildLogs($deploymentId: String!, $filter: String, $limit: Int) {
      buildLogs(deploymentId: $deploymentId, filter: $filter, limit: $limit) { ...LogFields }
    }
    ${LOG_FIELDS}`,
    // src/controllers/deployment.rs, stream_build_logs: empty filter, the last 500 lines.
    variables: (ids) => ({ deploymentId: ids.deploymentId, filter: "", limit: 500 }),
  },
  DeploymentLogs: {
    name: "DeploymentLogs",
    source: "src/gql/subscriptions/strings/DeploymentLogs.graphql",
    document: `subscription DeploymentLogs($deploymentId: String!, $filter: String, $limit: Int) {
      deploymentLogs(deploymentId: $deploymentId, filter: $filter, limit: $limit) { ...LogFields }
    }
    ${LOG_FIELDS}`,
    variables: (ids) => ({ deploymentId: ids.deploymentId, filter: "", limit: 500 }),
  },
  Deployment: {
    name: "Deployment",
    source: "src/gql/subscriptions/strings/Deployment.graphql",
    document: `subscription Deployment($id: String!) {
      deployment(id: $id) { id status deploymentStopped }
    }`,
    variables: (ids) => ({ id: ids.deploymentId }),
  },
  VariablesForServiceDeployment: {
    name: "VariablesForServiceDeployment",
    source: "src/gql/queries/strings/VariablesForServiceDeployment.graphql",
    document: `query VariablesForServiceDeployment($projectId: String!, $environmentId: String!, $serviceId: String!) {
      variablesForServiceDeployment(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId)
    }`,
    variables: (ids) => ({
      projectId: ids.projectId,
      environmentId: ids.environmentId,
      serviceId: ids.serviceId,
    }),
  },
  VariableCollectionUpsert: {
    name: "VariableCollectionUpsert",
    source: "src/gql/mutations/strings/VariableCollectionUpsert.graphql",
    document: `mutation VariableCollectionUpsert(
      $projectId: String!, $serviceId: String!, $environmentId: String!,
      $variables: EnvironmentVariables!, $skipDeploys: Boolean
    ) {
      variableCollectionUpsert(input: {
        projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId,
        variables: $variables, skipDeploys: $skipDeploys
      })
    }`,
    // `railway variables --set CONFORMANCE_FLAG=on` (skipDeploys only with --skip-deploys).
    variables: (ids) => ({
      projectId: ids.projectId,
      environmentId: ids.environmentId,
      serviceId: ids.serviceId,
      variables: { CONFORMANCE_FLAG: "on" },
      skipDeploys: null,
    }),
  },
  VariableDelete: {
    name: "VariableDelete",
    source: "src/gql/mutations/strings/VariableDelete.graphql",
    document: `mutation VariableDelete($projectId: String!, $environmentId: String!, $name: String!, $serviceId: String) {
      variableDelete(input: { projectId: $projectId, environmentId: $environmentId, name: $name, serviceId: $serviceId })
    }`,
    variables: (ids) => ({
      projectId: ids.projectId,
      environmentId: ids.environmentId,
      name: "CONFORMANCE_FLAG",
      serviceId: ids.serviceId,
    }),
  },
  DeploymentRedeploy: {
    name: "DeploymentRedeploy",
    source: "src/gql/mutations/strings/DeploymentRedeploy.graphql",
    document: "mutation DeploymentRedeploy($id: String!) { deploymentRedeploy(id: $id) { id } }",
    variables: (ids) => ({ id: ids.deploymentId }),
  },
  ServiceInstanceDeployLatestCommit: {
    name: "ServiceInstanceDeployLatestCommit",
    source: "src/gql/mutations/strings/ServiceInstanceDeployLatestCommit.graphql",
    document: `mutation ServiceInstanceDeployLatestCommit($environmentId: String!, $serviceId: String!) {
      serviceInstanceDeploy(environmentId: $environmentId, serviceId: $serviceId, latestCommit: true)
    }`,
    variables: (ids) => ({ environmentId: ids.environmentId, serviceId: ids.serviceId }),
  },
  Domains: {
    name: "Domains",
    source: "src/gql/queries/strings/Domains.graphql",
    document: `query Domains($environmentId: String!, $projectId: String!, $serviceId: String!) {
      domains(environmentId: $environmentId, projectId: $projectId, serviceId: $serviceId) {
        serviceDomains { id domain suffix environmentId serviceId targetPort syncStatus createdAt updatedAt }
        customDomains {
          id domain environmentId projectId serviceId targetPort syncStatus createdAt updatedAt
          status {
            dnsRecords { hostlabel fqdn recordType requiredValue currentValue status zone purpose }
            cdnProvider certificateStatus certificateStatusDetailed certificateErrorMessage
            certificateErrorType certificateRetryable
            certificates { issuedAt expiresAt domainNames fingerprintSha256 keyType }
            verificationToken verificationDnsHost verified
          }
        }
      }
    }`,
    variables: (ids) => ({
      environmentId: ids.environmentId,
      projectId: ids.projectId,
      serviceId: ids.serviceId,
    }),
  },
  ServiceDomainCreate: {
    name: "ServiceDomainCreate",
    source: "src/gql/mutations/strings/ServiceDomainCreate.graphql",
    document: `mutation ServiceDomainCreate($environmentId: String!, $serviceId: String!, $targetPort: Int) {
      serviceDomainCreate(input: { environmentId: $environmentId, serviceId: $serviceId, targetPort: $targetPort }) {
        id domain suffix environmentId serviceId targetPort syncStatus createdAt updatedAt
      }
    }`,
    // `railway domain --port 8080`
    variables: (ids) => ({ environmentId: ids.environmentId, serviceId: ids.serviceId, targetPort: 8080 }),
  },
  ServiceDomainUpdate: {
    name: "ServiceDomainUpdate",
    source: "src/gql/mutations/strings/ServiceDomainUpdate.graphql",
    document: `mutation ServiceDomainUpdate($input: ServiceDomainUpdateInput!) {
      serviceDomainUpdate(input: $input)
    }`,
    // `railway domain update <id> --port 9090`: the CLI sends the current name back.
    variables: (ids) => ({
      input: {
        domain: ids.serviceDomainName,
        environmentId: ids.environmentId,
        serviceDomainId: ids.serviceDomainId,
        serviceId: ids.serviceId,
        targetPort: 9090,
      },
    }),
  },
  ServiceDomainDelete: {
    name: "ServiceDomainDelete",
    source: "src/gql/mutations/strings/ServiceDomainDelete.graphql",
    document: "mutation ServiceDomainDelete($id: String!) { serviceDomainDelete(id: $id) }",
    variables: (ids) => ({ id: ids.serviceDomainId }),
  },
  CustomDomainCreate: {
    name: "CustomDomainCreate",
    source: "src/gql/mutations/strings/CustomDomainCreate.graphql",
    document: `mutation CustomDomainCreate($input: CustomDomainCreateInput!) {
      customDomainCreate(input: $input) {
        id domain createdAt updatedAt serviceId environmentId projectId targetPort syncStatus
        status {
          dnsRecords { hostlabel fqdn recordType requiredValue currentValue status zone purpose }
          cdnProvider
          certificates { issuedAt expiresAt domainNames fingerprintSha256 keyType }
          certificateStatus certificateStatusDetailed certificateErrorMessage certificateErrorType
          certificateRetryable verificationToken verificationDnsHost verified
        }
      }
    }`,
    variables: (ids) => ({
      input: {
        domain: ids.customDomainName,
        environmentId: ids.environmentId,
        projectId: ids.projectId,
        serviceId: ids.serviceId,
        targetPort: null,
      },
    }),
  },
  CustomDomainUpdate: {
    name: "CustomDomainUpdate",
    source: "src/gql/mutations/strings/CustomDomainUpdate.graphql",
    document: `mutation CustomDomainUpdate($environmentId: String!, $id: String!, $targetPort: Int) {
      customDomainUpdate(environmentId: $environmentId, id: $id, targetPort: $targetPort)
    }`,
    variables: (ids) => ({ environmentId: ids.environmentId, id: ids.customDomainId, targetPort: 3000 }),
  },
  CustomDomainIssueCertificate: {
    name: "CustomDomainIssueCertificate",
    source: "src/gql/mutations/strings/CustomDomainIssueCertificate.graphql",
    document: "mutation CustomDomainIssueCertificate($id: String!) { customDomainIssueCertificate(id: $id) }",
    variables: (ids) => ({ id: ids.customDomainId }),
  },
  CustomDomainDelete: {
    name: "CustomDomainDelete",
    source: "src/gql/mutations/strings/CustomDomainDelete.graphql",
    document: "mutation CustomDomainDelete($id: String!) { customDomainDelete(id: $id) }",
    variables: (ids) => ({ id: ids.customDomainId }),
  },
  EnvironmentStageChanges: {
    name: "EnvironmentStageChanges",
    source: "src/gql/mutations/strings/EnvironmentStageChanges.graphql",
    document: `mutation EnvironmentStageChanges($environmentId: String!, $input: EnvironmentConfig!, $merge: Boolean) {
      environmentStageChanges(environmentId: $environmentId, input: $input, merge: $merge) { id status }
    }`,
    // `railway environment edit --stage` merges into what is staged (src/commands/environment/edit.rs).
    variables: (ids) => ({ environmentId: ids.environmentId, input: ids.environmentPatch, merge: true }),
  },
  EnvironmentPatchCommit: {
    name: "EnvironmentPatchCommit",
    source: "src/gql/mutations/strings/EnvironmentPatchCommit.graphql",
    document: `mutation EnvironmentPatchCommit($environmentId: String!, $patch: EnvironmentConfig!, $commitMessage: String) {
      environmentPatchCommit(environmentId: $environmentId, patch: $patch, commitMessage: $commitMessage)
    }`,
    variables: (ids) => ({
      environmentId: ids.environmentId,
      patch: ids.environmentPatch,
      commitMessage: "conformance: scale web",
    }),
  },
  IacEnvironmentConfigWithPartials: {
    name: "IacEnvironmentConfig",
    source: "src/iac/engine.rs (fetch_current_environment, first attempt)",
    document: `query IacEnvironmentConfig($environmentId: String!, $decryptVariables: Boolean) {
      environment(id: $environmentId) {
        id name projectId config(decryptVariables: $decryptVariables) configEtag canvasGroupRefs iacPartials
      }
    }`,
    variables: (ids) => ({ environmentId: ids.environmentId, decryptVariables: false }),
    rejectedByRailway: /iacPartials/,
  },
  IacEnvironmentConfig: {
    name: "IacEnvironmentConfig",
    source: "src/iac/engine.rs (fetch_current_environment, fallback)",
    document: `query IacEnvironmentConfig($environmentId: String!, $decryptVariables: Boolean) {
      environment(id: $environmentId) {
        id name projectId config(decryptVariables: $decryptVariables) configEtag canvasGroupRefs
      }
    }`,
    variables: (ids) => ({ environmentId: ids.environmentId, decryptVariables: false }),
  },
  IacProjectName: {
    name: "IacProjectName",
    source: "src/iac/engine.rs (fill_name_maps)",
    document: "query IacProjectName($projectId: String!) { project(id: $projectId) { name } }",
    variables: (ids) => ({ projectId: ids.projectId }),
  },
  IacProjectServices: {
    name: "IacProjectServices",
    source: "src/iac/engine.rs (fill_name_maps)",
    document: `query IacProjectServices($projectId: String!) {
      project(id: $projectId) { services(first: 1000) { edges { node { id name } } } }
    }`,
    variables: (ids) => ({ projectId: ids.projectId }),
  },
  IacProjectVolumes: {
    name: "IacProjectVolumes",
    source: "src/iac/engine.rs (fill_name_maps)",
    document: `query IacProjectVolumes($projectId: String!) {
      project(id: $projectId) { volumes(first: 1000) { edges { node { id name } } } }
    }`,
    variables: (ids) => ({ projectId: ids.projectId }),
  },
  IacProjectBuckets: {
    name: "IacProjectBuckets",
    source: "src/iac/engine.rs (fill_name_maps)",
    document: `query IacProjectBuckets($projectId: String!) {
      project(id: $projectId) { buckets(first: 1000) { edges { node { id name groupId } } } }
    }`,
    variables: (ids) => ({ projectId: ids.projectId }),
  },
  IacPreviewChangeSet: {
    name: "IacPreviewChangeSet",
    source: "src/iac/engine.rs (preview_change_set)",
    document: `mutation IacPreviewChangeSet($environmentId: String!, $input: JSON!) {
      environmentPreviewChangeSet(environmentId: $environmentId, input: $input) { changeSet diagnostics effects }
    }`,
    variables: (ids) => ({ environmentId: ids.environmentId, input: ids.changeSet }),
  },
  IacApplyChangeSet: {
    name: "IacApplyChangeSet",
    source: "src/iac/engine.rs (apply_change_set)",
    document: `mutation IacApplyChangeSet(
      $environmentId: String!, $input: JSON!, $commitMessage: String,
      $baseConfigEtag: String, $waitForCompletion: Boolean
    ) {
      environmentApplyChangeSet(
        environmentId: $environmentId, input: $input, commitMessage: $commitMessage,
        baseConfigEtag: $baseConfigEtag, waitForCompletion: $waitForCompletion
      ) {
        id status deploymentId stagedPatchId diagnostics changes { kind path summary status outputs }
      }
    }`,
    variables: (ids) => ({
      environmentId: ids.environmentId,
      input: ids.changeSet,
      commitMessage: "Apply Railway configuration",
      baseConfigEtag: ids.configEtag,
      waitForCompletion: false,
    }),
  },
  IacChangeSetApplyStatus: {
    name: "IacChangeSetApplyStatus",
    source: "src/iac/engine.rs (wait_for_apply)",
    document: `query IacChangeSetApplyStatus($environmentId: String!, $id: String!) {
      environmentChangeSetApply(environmentId: $environmentId, id: $id) {
        id status deploymentId stagedPatchId diagnostics changes { kind path summary status outputs }
      }
    }`,
    variables: (ids) => ({ environmentId: ids.environmentId, id: ids.changeSetApplyId }),
  },
};

/**
 * What each command sends, in order (keys of `operations`), for a linked project and service in
 * CI mode, read from the command code:
 * - up (src/commands/up.rs): get_project (Project), then the tarball upload (REST,
 *   POST /project/…/up), then, 500 ms later, what is listed: the build-log and deployment
 *   subscriptions (the deploy logs too outside CI), DeploymentStatus polls if the socket fails.
 * - status (src/commands/status.rs): get_project, ensure_project_and_environment_exist (a second
 *   Project), fetch_region_locations, fetch_environment_config, get_environment_instances.
 * - variables / redeploy / domain go through resolve_service_context (src/controllers/project.rs):
 *   Project twice, then their own reads and writes.
 * - config plan|apply (src/commands/config/runner.rs → src/iac/engine.rs): the environment config
 *   (probing iacPartials first), four name-map reads, the preview; apply runs the plan once to
 *   confirm, then again with the apply and the status polls.
 */
export const commands: Record<Command, string[]> = {
  up: ["BuildLogs", "Deployment", "DeploymentLogs", "DeploymentStatus"],
  status: [
    // railway status (linked)
    ...["Project", "Project", "Regions", "GetEnvironmentConfig", "EnvironmentInstances"],
    // railway status --project shop --environment production: the name is not an id, so the
    // CLI lists the user's workspaces and projects to find it
    ...[
      "ProjectByName",
      "UserProjects",
      "Project",
      "Regions",
      "GetEnvironmentConfig",
      "EnvironmentInstances",
    ],
  ],
  variables: [
    // railway variables (list), --set, variable delete
    "Project",
    "Project",
    "VariablesForServiceDeployment",
    "Project",
    "Project",
    "VariableCollectionUpsert",
    "Project",
    "Project",
    "VariablesForServiceDeployment",
    "VariableDelete",
  ],
  redeploy: [
    // railway redeploy; railway redeploy --from-source
    "Project",
    "Project",
    "EnvironmentInstances",
    "DeploymentRedeploy",
    "Project",
    "Project",
    "EnvironmentInstances",
    "ServiceInstanceDeployLatestCommit",
  ],
  domain: [
    // railway domain --port 8080 (a service without domains gets one)
    ...["Project", "Project", "Domains", "ServiceDomainCreate"],
    // railway domain <name>
    ...["Project", "Project", "CustomDomainCreate"],
    // railway domain status <name>
    ...["Project", "Project", "Domains"],
    // railway domain update <service domain> --port 9090; update <custom domain> --port 3000
    ...["Project", "Project", "Domains", "ServiceDomainUpdate", "Domains"],
    ...["Project", "Project", "Domains", "CustomDomainUpdate", "Domains"],
    // railway domain certificate retry <name>
    ...["Project", "Project", "Domains", "CustomDomainIssueCertificate", "Domains"],
    // railway domain delete <service domain>; delete <custom domain>
    ...["Project", "Project", "Domains", "ServiceDomainDelete", "Domains"],
    ...["Project", "Project", "Domains", "CustomDomainDelete", "Domains"],
  ],
  "config plan": [
    "IacEnvironmentConfigWithPartials",
    "IacEnvironmentConfig",
    "IacProjectName",
    "IacProjectServices",
    "IacProjectVolumes",
    "IacProjectBuckets",
    "IacPreviewChangeSet",
  ],
  "config apply": [
    "IacEnvironmentConfigWithPartials",
    "IacEnvironmentConfig",
    "IacProjectName",
    "IacProjectServices",
    "IacProjectVolumes",
    "IacProjectBuckets",
    "IacPreviewChangeSet",
    "IacEnvironmentConfigWithPartials",
    "IacEnvironmentConfig",
    "IacProjectName",
    "IacProjectServices",
    "IacProjectVolumes",
    "IacProjectBuckets",
    "IacPreviewChangeSet",
    "IacApplyChangeSet",
    "IacChangeSetApplyStatus",
  ],
  "environment edit": [
    // --stage, then -m "message" (commit at once) (src/commands/environment/edit.rs)
    ...["Project", "EnvironmentInstances", "EnvironmentStageChanges"],
    ...["Project", "EnvironmentInstances", "EnvironmentPatchCommit"],
  ],
};
