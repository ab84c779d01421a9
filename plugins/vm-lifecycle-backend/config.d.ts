import { HumanDuration } from '@backstage/types';

export interface Config {
  /** Configuration of the vm-lifecycle backend plugin (the ComputeInstance controller). */
  vmLifecycle?: {
    /**
     * API group of the ComputeInstance resource and prefix of its finalizers/annotations. Default osac.openshift.io (older clusters: cloudkit.openshift.io).
     * @visibility frontend
     */
    apiGroup?: string;
    /** Namespace used when a request names none. Default "default". */
    defaultNamespace?: string;
    /**
     * Entity refs of groups whose members may see and manage every instance (the admin view).
     * Used by the sandbox permission policy and to address live updates.
     */
    adminGroups?: string[];
    /** The VM templates developers can request from. */
    templates?: Array<{
      /** Template id, also spec.templateID: ^[a-zA-Z_][a-zA-Z0-9._]*$ */
      id: string;
      title: string;
      description?: string;
      /** Defaults for every spec field except templateID. */
      defaults: {
        image: { sourceType: 'registry'; sourceRef: string };
        guestOSFamily?: string;
        cores: number;
        memoryGiB: number;
        bootDisk: { sizeGiB: number };
        additionalDisks?: Array<{ sizeGiB: number }>;
        runStrategy: 'Always' | 'Halted';
        sshKey?: string;
        userDataSecretRef?: { name: string };
        templateParameters?: string;
      };
      /** Spec field paths the requester may change. Default: none (a template opens each field it wants changed). */
      editableFields?: string[];
      /**
       * The parameters a requester may set in spec.templateParameters (with templateParameters in
       * editableFields); any other key is refused, and keys in defaults.templateParameters are fixed.
       */
      parameters?: Array<{
        name: string;
        title: string;
        type: 'string' | 'number' | 'boolean';
        description?: string;
        required?: boolean;
        default?: string | number | boolean;
      }>;
      /**
       * Lifetime of the template's VMs, counted from creation: a request gets `defaultDays` unless it
       * proposes an expiry (annotation `<apiGroup>/expires-at`), which must not be later than
       * `maxDays`; the owner or an admin may extend up to `maxDays`. Absent: the VMs never expire.
       */
      lifetime?: {
        defaultDays: number;
        maxDays: number;
      };
    }>;
    /**
     * Quotas, checked when a VM is requested (422 when over). A VM counts against its owner group
     * when it has an owner annotation, else against the user who requested it. A limit left out is
     * no limit. Usage is kept in the plugin's database, shared by every replica.
     */
    quotas?: {
      /** Each user's own VMs (those without an owner annotation). Absent: no user quota. */
      defaultUser?: QuotaLimitsConfig;
      /**
       * Owner groups without an entry in `groups`. Absent: such groups have no quota, so a requester
       * can avoid their user quota by naming an unlisted group as owner; set this to close that.
       */
      defaultGroup?: QuotaLimitsConfig;
      groups?: Array<
        {
          /** Entity ref of the owner group, e.g. group:default/team-a. */
          group: string;
        } & QuotaLimitsConfig
      >;
    };
    /** Expiry of VMs whose template has a lifetime. */
    expiry?: {
      /** How long before the expiry reminders go out, each once. Default 3 days and 1 day. */
      reminders?: Array<HumanDuration | string>;
      /** How often the controller's leader looks for reminders and expiries due. Default 1 minute. */
      checkInterval?: HumanDuration | string;
    };
    store?: {
      /** Where ComputeInstances live: the Backstage database (default) or Kubernetes custom resources. */
      type?: 'database' | 'kubernetes';
    };
    /** Cluster mode (store.type: kubernetes). See docs/cluster-mode.md. */
    kubernetes?: {
      /** auto (default): in-cluster service account when KUBERNETES_SERVICE_HOST is set, else kubeconfig. */
      connection?: 'auto' | 'inCluster' | 'kubeconfig' | 'backstage';
      /** Default $KUBECONFIG, then ~/.kube/config. */
      kubeconfigPath?: string;
      /** Default: the kubeconfig's current context. */
      context?: string;
      /** For `backstage`: a cluster of kubernetes.clusterLocatorMethods (type config, authProvider serviceAccount); default the first. */
      clusterName?: string;
      /** Namespaces to manage and watch; default all namespaces. */
      namespaces?: string[];
      leaderElection?: {
        /** Default true. */
        enabled?: boolean;
        /** Default vm-lifecycle-controller. */
        leaseName?: string;
        /** Default $POD_NAMESPACE / the service account's namespace in a pod, else "default". */
        leaseNamespace?: string;
        /** Default 15 s. */
        leaseDuration?: HumanDuration | string;
        /** Default 2/3 of leaseDuration. */
        renewDeadline?: HumanDuration | string;
        /** Default 2 s. */
        retryPeriod?: HumanDuration | string;
        /** Default $POD_NAME, else hostname + random suffix. */
        identity?: string;
      };
      /** Phase and IP from KubeVirt VMs/VMIs labelled <group>/computeinstance=<name>. auto (default): when the cluster serves kubevirt.io. */
      kubevirt?: 'auto' | 'enabled' | 'disabled' | boolean;
      events?: {
        /** Default 1000. */
        maxPerInstance?: number;
      };
      /** Time-out of every Kubernetes API call (watches excepted). Default 30 s. */
      requestTimeout?: HumanDuration | string;
    };
    provider?: {
      /** How provisioning is driven: AAP job templates over the REST API (default) or EDA event streams. */
      type?: 'aap' | 'eda';
      aap?: {
        /** AAP controller API base URL, e.g. https://aap.example.com/api/controller/v2 (AAP 2.5+) or https://awx.example.com/api/v2. */
        baseUrl: string;
        /**
         * AAP OAuth2 / personal access token, sent as a Bearer token.
         * @visibility secret
         */
        token: string;
        /** Job or workflow job template names; default `<prefix>-create-compute-instance` / `<prefix>-delete-compute-instance`. */
        templates?: {
          prefix?: string;
          provision?: string;
          deprovision?: string;
        };
        /** PEM file with the CA that signed AAP's certificate. */
        caFile?: string;
        /** Skip TLS verification. Never in production. */
        insecureSkipTlsVerify?: boolean;
        /** Request timeout. Default 30 s. */
        timeout?: HumanDuration;
        /**
         * AAP's web UI, e.g. https://aap.example.com: the portal links every job to its page there
         * ("Open in AAP"). No links when unset.
         */
        uiUrl?: string;
        /**
         * `gateway` (AAP 2.5+: <uiUrl>/execution/jobs/...) or `controller` (AWX and AAP 2.4:
         * <uiUrl>/#/jobs/...). Default gateway.
         */
        uiStyle?: 'gateway' | 'controller';
      };
      /** Event-Driven Ansible: the whole instance is POSTed to AAP 2.5 event streams. */
      eda?: {
        /** e.g. https://aap.example.com/eda-event-streams/api/eda/v1/external_event_stream/<uuid>/post/ */
        provisionUrl: string;
        deprovisionUrl: string;
        auth: {
          type: 'token' | 'hmac';
          /** Header carrying the token or signature. Default Authorization (token) / X-Hub-Signature-256 (hmac). */
          header?: string;
          /**
           * Token for token auth (sent as "Bearer <token>" in Authorization, bare in a custom header).
           * @visibility secret
           */
          token?: string;
          /**
           * Shared secret for the HMAC-SHA256 signature of the body.
           * @visibility secret
           */
          secret?: string;
          /** Signature encoding, hex (default) or base64. */
          encoding?: 'hex' | 'base64';
          /** Signature prefix, default "sha256="; '' for none. */
          prefix?: string;
        };
        /** Per POST attempt. Default 30 s. */
        timeout?: HumanDuration;
        /** A playbook silent for this long is recorded as Failed (and retried). Default: wait forever. */
        completionTimeout?: HumanDuration;
        caFile?: string;
        insecureSkipTlsVerify?: boolean;
        /**
         * Token the EDA playbooks present to the callback route (database mode).
         * @visibility secret
         */
        callbackToken?: string;
      };
    };
    /** Fair use of the REST API, per backend replica. */
    rateLimit?: {
      writes?: {
        /** Requests, changes, restarts and deletes one user may send per window; 0 for no limit. Default 60. */
        limit?: number;
        /** Default 1 minute. */
        window?: HumanDuration | string;
      };
    };
    /** Paged lists (GET /instances?limit=&continue=). */
    pagination?: {
      /**
       * Key of the HMAC that seals continue tokens; every replica behind one load balancer needs the
       * same one. Without it a built-in key still detects damaged or edited tokens (a token carries no
       * authority: permissions are checked again for every page).
       * @visibility secret
       */
      continueTokenSecret?: string;
      /** How long a continue token is accepted after its page was served. Default 10 minutes. */
      continueTokenTtl?: HumanDuration | string;
    };
    /** Job output shown in the portal. */
    jobOutput?: {
      /** AAP is asked for one job's output at most once per this time, however many pages watch it. Default 3 s. */
      cacheTtl?: HumanDuration | string;
      /** Characters of output one answer carries (the end of it); the rest is behind "download full output". Default 262144. */
      maxCharacters?: number;
    };
    /** The history of deleted instances (GET /instances/by-uid/:uid and its events). */
    history?: {
      /**
       * How long a deleted instance's last state (status, job list) and its lifecycle events stay
       * readable, in both modes; pruned after that. Default 30 days.
       */
      retention?: HumanDuration;
    };
    controller?: {
      /** Set false to serve the API without running the controller in this replica. Default true. */
      enabled?: boolean;
      /** How often active jobs are polled. Default 2 s. */
      pollInterval?: HumanDuration;
      /** Number of reconcile workers. Default 4. */
      workers?: number;
      /** Full resync of every instance, healing missed events. Default 5 min. */
      resyncInterval?: HumanDuration;
      /** Entries kept in status.provisioningJobs. Default 10. */
      maxJobHistory?: number;
      /** `batch`: one unified_jobs request per tick for up to 200 jobs; `perJob`: one GET per job (as the original operator). Default batch. */
      jobPolling?: 'batch' | 'perJob';
      /**
       * After a launch whose answer was lost, how long AAP may still create the job from that
       * request: the controller launches again (same launch id) only when a look-up this long after
       * finds no job. Must exceed provider.aap.timeout. Default the larger of 60 s and twice that timeout.
       */
      unknownOutcomeSettle?: HumanDuration;
      /**
       * A deletion that waits this long on a job, on AAP or on an unknown launch outcome gets the
       * DeletionBlocked condition (and event) that admins act on with "retry now" or "release". A
       * failed deprovision that blocks deletion gets it at once. Default 15 minutes.
       */
      deletionStuckAfter?: HumanDuration;
    };
    /** Notifications through the Backstage notifications service (needs the notifications backend). */
    notifications?: {
      /** Send them. Default true. */
      enabled?: boolean;
      /** The admin groups hear of a deletion still waiting after this long. Default 1 hour. */
      stuckDeletionAfter?: HumanDuration;
    };
  };
  /** The bundled AAP simulator (sandbox only; never used when a real AAP URL is configured). */
  aapSimulator?: {
    /** Mount the simulator at /api/aap-simulator. Default false. */
    enabled?: boolean;
    /**
     * Bearer token the simulator accepts.
     * @visibility secret
     */
    token?: string;
    durations?: {
      provision?: HumanDuration;
      deprovision?: HumanDuration;
    };
    /** Serve the create/delete templates as workflow job templates. */
    workflowTemplates?: boolean;
  };
}

/** Limits of one quota; a limit left out is no limit. */
interface QuotaLimitsConfig {
  /** Number of VMs. */
  maxInstances?: number;
  /** Total cores. */
  cores?: number;
  /** Total memory, GiB. */
  memoryGiB?: number;
  /** Total disk (boot plus additional disks), GiB. */
  diskGiB?: number;
}
