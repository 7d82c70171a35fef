import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { parseMasterKey } from "../provider/service/sealed-secrets";

/**
 * The pulumi-dts engine service on Kubernetes (issue 10 §4), as a Pulumi component: its
 * secrets, a Deployment of `pulumi-dts engine serve` replicas behind one Service, and a
 * PodDisruptionBudget. docs/engine-service.md says how to build the image and what each
 * setting does.
 *
 * This module needs @pulumi/kubernetes (an optional peer dependency of pulumi-dts), so it
 * is not exported from "pulumi-dts"; import it by its path:
 *
 *     import { EngineService } from "pulumi-dts/dist/sdk/engine-service";
 */

/** The service's TLS material, PEM text (e.g. `cfg.requireSecret("tlsKey")` or a cert-manager secret's data). */
export interface EngineServiceTls {
    /**
     * The server certificate (with its intermediates after it). Clients in the cluster reach the
     * service as `<serviceName>.<namespace>.svc`, so that name must be among its subject
     * alternative names (plus any name a client outside uses).
     */
    cert: pulumi.Input<string>;
    /** The server certificate's private key; kept secret. */
    key: pulumi.Input<string>;
    /**
     * CA certificates that sign client certificates. Given, the service requires a client
     * certificate signed by one of them (mTLS, `--client-ca`) besides the bearer token.
     */
    clientCa?: pulumi.Input<string>;
}

export type EngineServiceType = "ClusterIP" | "NodePort" | "LoadBalancer";

/** Arguments of an EngineService. */
export interface EngineServiceArgs {
    /** The namespace of every object the component makes; default: the provider's (usually `default`). */
    namespace?: pulumi.Input<string>;
    /** The engine image (built from the repository's Dockerfile), e.g. `registry.example.com/pulumi-dts:0.1.0`; required. */
    image: pulumi.Input<string>;
    /** Engine replicas, a whole number ≥ 1; default 3. Tasks are spread over them by lease. */
    replicas?: number;
    /**
     * The control store: a PostgreSQL URL, `postgres://user:password@host:5432/database`.
     * Kept secret; it reaches the pods as `PULUMI_DTS_CONTROL_URL` from a Secret.
     */
    controlStoreUrl: pulumi.Input<string>;
    /**
     * The 32-byte master key that seals connection secrets in the control store, as 64 hex
     * digits or base64 (`openssl rand -base64 32`). Kept secret (`PULUMI_DTS_MASTER_KEY`).
     * Losing it makes the sealed secrets unreadable; changing it needs them sealed again.
     */
    masterKey: pulumi.Input<string>;
    /**
     * An API bearer token, `dts_` and 43 base64url characters, that the service registers
     * (hashed) when it starts (`PULUMI_DTS_BOOTSTRAP_TOKEN`); Pulumi programs that use the
     * service are given the same token (`pulumi config set --secret pulumi-dts:token`). Kept secret.
     */
    token: pulumi.Input<string>;
    /** Server TLS, and client CAs for mTLS. The service speaks HTTPS only. */
    tls: EngineServiceTls;
    /** Most tasks one replica runs at once (`PULUMI_DTS_CAPACITY`), a whole number ≥ 1; default: the engine's (50). */
    capacityPerReplica?: number;
    /**
     * Seconds a replica is given after SIGTERM to hand its tasks to the other replicas and
     * exit, a whole number ≥ 0; default 30. The pods' terminationGracePeriodSeconds is
     * max(drainSeconds, 20): the engine's own drain takes at most about 15 s.
     */
    drainSeconds?: number;
    /** CPU and memory requests and limits of the engine container; default: none set (the namespace's LimitRange, if any). */
    resources?: pulumi.Input<k8s.types.input.core.v1.ResourceRequirements>;
    /** The port the engine listens on and the Service exposes, 1–65535; default 7443. */
    port?: number;
    /** The Service's type; default `ClusterIP` (reachable inside the cluster only). */
    serviceType?: pulumi.Input<EngineServiceType>;
    /**
     * The Service's name, a DNS label (lower-case letters, digits, `-`, at most 63); default:
     * the component's name. It is fixed, not auto-named, so the server certificate can be
     * issued for `<serviceName>.<namespace>.svc` before the first deployment.
     */
    serviceName?: string;
}

/** Where the pieces live in the container. */
const TLS_DIR = "/etc/pulumi-dts/tls";
const HOME_DIR = "/var/lib/pulumi-dts";
/** The uid and gid of the image's user (`node` in node:20-bookworm-slim; the Dockerfile's USER). */
const IMAGE_UID = 1000;
const DEFAULT_PORT = 7443;
const DEFAULT_REPLICAS = 3;
const DEFAULT_DRAIN_SECONDS = 30;
const MIN_GRACE_SECONDS = 20;

/** The secret's keys; the Deployment's env refers to them. */
export const engineSecretKeys = {
    controlUrl: "control-url",
    masterKey: "master-key",
    token: "bootstrap-token",
} as const;

const TOKEN_PATTERN = /^dts_[A-Za-z0-9_-]{43}$/; // as provider/service/tokens.ts accepts it
const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

function fail(name: string, message: string): never {
    throw new Error(`EngineService ${name}: ${message}`);
}

function wholeNumber(name: string, field: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        fail(name, `${field} must be a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}, not ${JSON.stringify(value)}`);
    }
    return value;
}

function nonEmpty(name: string, field: string, value: unknown): void {
    if (typeof value !== "string" || value.trim() === "") fail(name, `${field} is required (a non-empty string)`);
}

/**
 * Checks the secret arguments as the engine will read them. Messages name the field and
 * never hold its value.
 */
export function checkEngineServiceSecrets(name: string, values: { controlStoreUrl?: unknown; masterKey?: unknown; token?: unknown }): void {
    const { controlStoreUrl, masterKey, token } = values;
    if (controlStoreUrl !== undefined) {
        nonEmpty(name, "controlStoreUrl", controlStoreUrl);
        if (!/^postgres(ql)?:\/\//.test(controlStoreUrl as string)) fail(name, "controlStoreUrl must be a PostgreSQL URL, postgres://user:password@host:5432/database");
    }
    if (masterKey !== undefined) {
        nonEmpty(name, "masterKey", masterKey);
        try {
            parseMasterKey(masterKey as string);
        } catch (e) {
            fail(name, `masterKey: ${(e as Error).message}`);
        }
    }
    if (token !== undefined) {
        nonEmpty(name, "token", token);
        if (!TOKEN_PATTERN.test(token as string)) fail(name, `token must be "dts_" and 43 base64url characters, not a ${(token as string).length}-character string`);
    }
}

/** Checks what can be checked before any value is known; the rest is checked when it is. */
function checkArgs(name: string, args: EngineServiceArgs) {
    if (!args || typeof args !== "object") fail(name, "arguments are required (image, controlStoreUrl, masterKey, token, tls)");
    if (args.image === undefined || args.image === null) fail(name, "image is required");
    if (typeof args.image === "string") nonEmpty(name, "image", args.image);
    const replicas = wholeNumber(name, "replicas", args.replicas, DEFAULT_REPLICAS, 1);
    const port = wholeNumber(name, "port", args.port, DEFAULT_PORT, 1, 65535);
    const drainSeconds = wholeNumber(name, "drainSeconds", args.drainSeconds, DEFAULT_DRAIN_SECONDS, 0);
    const capacity = args.capacityPerReplica === undefined ? undefined : wholeNumber(name, "capacityPerReplica", args.capacityPerReplica, 0, 1);
    for (const field of ["controlStoreUrl", "masterKey", "token"] as const) {
        if (args[field] === undefined || args[field] === null) fail(name, `${field} is required`);
    }
    if (!args.tls || typeof args.tls !== "object") fail(name, "tls is required: { cert, key, clientCa? } as PEM text");
    for (const field of ["cert", "key"] as const) {
        const v = args.tls[field];
        if (v === undefined || v === null) fail(name, `tls.${field} is required (PEM text)`);
        if (typeof v === "string") nonEmpty(name, `tls.${field}`, v);
    }
    if (typeof args.tls.clientCa === "string") nonEmpty(name, "tls.clientCa", args.tls.clientCa);
    // Plain values are checked now; secrets from config are Outputs, checked when known.
    checkEngineServiceSecrets(name, {
        controlStoreUrl: typeof args.controlStoreUrl === "string" ? args.controlStoreUrl : undefined,
        masterKey: typeof args.masterKey === "string" ? args.masterKey : undefined,
        token: typeof args.token === "string" ? args.token : undefined,
    });
    const serviceName = args.serviceName ?? name;
    if (!DNS_LABEL.test(serviceName)) {
        fail(name, `${args.serviceName === undefined ? "the component's name (the default serviceName)" : "serviceName"} must be a DNS label (lower-case letters, digits and "-", starting with a letter, at most 63), not ${JSON.stringify(serviceName)}; set serviceName`);
    }
    if (args.serviceType !== undefined && typeof args.serviceType === "string" && !["ClusterIP", "NodePort", "LoadBalancer"].includes(args.serviceType)) {
        fail(name, `serviceType must be ClusterIP, NodePort or LoadBalancer, not ${JSON.stringify(args.serviceType)}`);
    }
    return { replicas, port, drainSeconds, capacity, serviceName, mtls: args.tls.clientCa !== undefined && args.tls.clientCa !== null };
}

/**
 * The pulumi-dts engine service on Kubernetes: replicas of `pulumi-dts engine serve` that
 * share one PostgreSQL control store, spread tasks by lease, and serve the HTTPS API that
 * Pulumi programs reach through `pulumi-dts:endpoint`. Creates a Secret (control store
 * URL, master key, bootstrap token), a kubernetes.io/tls Secret, a Deployment, a Service
 * and a PodDisruptionBudget.
 */
export class EngineService extends pulumi.ComponentResource {
    /** The service's URL for Pulumi programs in the cluster: `https://<service>.<namespace>.svc:<port>`. */
    public readonly endpoint: pulumi.Output<string>;
    /** The Service's name. */
    public readonly serviceName: pulumi.Output<string>;
    /** The namespace the objects are in. */
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: EngineServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked before anything is registered: a refused argument leaves nothing behind.
        const { replicas, port, drainSeconds, capacity, serviceName, mtls } = checkArgs(name, args);
        super("pulumi-dts:index:EngineService", name, {}, opts);
        const parent = { parent: this };
        const labels = {
            "app.kubernetes.io/name": "pulumi-dts-engine",
            "app.kubernetes.io/instance": name,
            "app.kubernetes.io/component": "engine-service",
            "app.kubernetes.io/managed-by": "pulumi",
        };
        const selector = { "app.kubernetes.io/name": labels["app.kubernetes.io/name"], "app.kubernetes.io/instance": name };
        const meta = { namespace: args.namespace, labels };

        const image = pulumi.output(args.image).apply((i) => {
            nonEmpty(name, "image", i);
            return i;
        });

        // The service's own secrets. stringData is secret in state; the values are checked
        // here once known (they are usually Outputs from `cfg.requireSecret`).
        const secret = new k8s.core.v1.Secret(`${name}-secrets`, {
            metadata: meta,
            type: "Opaque",
            stringData: pulumi.secret(pulumi.all([args.controlStoreUrl, args.masterKey, args.token]).apply(([controlStoreUrl, masterKey, token]) => {
                checkEngineServiceSecrets(name, { controlStoreUrl, masterKey, token });
                return {
                    [engineSecretKeys.controlUrl]: controlStoreUrl,
                    [engineSecretKeys.masterKey]: masterKey,
                    [engineSecretKeys.token]: token,
                };
            })),
        }, parent);

        const tlsData: Record<string, pulumi.Input<string>> = { "tls.crt": args.tls.cert, "tls.key": pulumi.secret(args.tls.key) };
        if (mtls) tlsData["ca.crt"] = args.tls.clientCa!;
        const tlsSecret = new k8s.core.v1.Secret(`${name}-tls`, {
            metadata: meta,
            type: "kubernetes.io/tls",
            stringData: pulumi.secret(pulumi.output(tlsData)),
        }, parent);

        const fromSecret = (envName: string, key: string): k8s.types.input.core.v1.EnvVar => ({
            name: envName,
            valueFrom: { secretKeyRef: { name: secret.metadata.name, key } },
        });
        const env: k8s.types.input.core.v1.EnvVar[] = [
            fromSecret("PULUMI_DTS_CONTROL_URL", engineSecretKeys.controlUrl),
            fromSecret("PULUMI_DTS_MASTER_KEY", engineSecretKeys.masterKey),
            fromSecret("PULUMI_DTS_BOOTSTRAP_TOKEN", engineSecretKeys.token),
            { name: "PULUMI_DTS_HOME", value: HOME_DIR },
        ];
        if (capacity !== undefined) env.push({ name: "PULUMI_DTS_CAPACITY", value: String(capacity) });

        // Appended to the image's ENTRYPOINT, node dist/provider/cli/main.js engine serve.
        const serveArgs = [
            "--listen", `0.0.0.0:${port}`,
            "--tls-cert", `${TLS_DIR}/tls.crt`,
            "--tls-key", `${TLS_DIR}/tls.key`,
            ...(mtls ? ["--client-ca", `${TLS_DIR}/ca.crt`] : []),
        ];

        const probe = (path: string, periodSeconds: number, failureThreshold: number): k8s.types.input.core.v1.Probe => ({
            httpGet: { path, port: "https", scheme: "HTTPS" },
            periodSeconds,
            timeoutSeconds: 3,
            failureThreshold,
        });

        new k8s.apps.v1.Deployment(name, {
            metadata: meta,
            spec: {
                replicas,
                selector: { matchLabels: selector },
                // A new replica is ready before an old one is told to drain: capacity never drops.
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                template: {
                    metadata: { labels },
                    spec: {
                        terminationGracePeriodSeconds: Math.max(drainSeconds, MIN_GRACE_SECONDS),
                        automountServiceAccountToken: false,
                        enableServiceLinks: false,
                        securityContext: {
                            runAsNonRoot: true,
                            runAsUser: IMAGE_UID,
                            runAsGroup: IMAGE_UID,
                            fsGroup: IMAGE_UID,
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        // Replicas on different nodes where the cluster allows it.
                        topologySpreadConstraints: [{
                            maxSkew: 1,
                            topologyKey: "kubernetes.io/hostname",
                            whenUnsatisfiable: "ScheduleAnyway",
                            labelSelector: { matchLabels: selector },
                        }],
                        containers: [{
                            name: "engine",
                            image,
                            args: serveArgs,
                            ports: [{ name: "https", containerPort: port, protocol: "TCP" }],
                            env,
                            resources: args.resources,
                            startupProbe: probe("/healthz", 2, 30),
                            livenessProbe: probe("/healthz", 10, 3),
                            readinessProbe: probe("/readyz", 5, 2),
                            securityContext: {
                                runAsNonRoot: true,
                                readOnlyRootFilesystem: true,
                                allowPrivilegeEscalation: false,
                                capabilities: { drop: ["ALL"] },
                            },
                            volumeMounts: [
                                { name: "tls", mountPath: TLS_DIR, readOnly: true },
                                { name: "home", mountPath: HOME_DIR },
                                { name: "tmp", mountPath: "/tmp" },
                            ],
                        }],
                        volumes: [
                            // 0440: readable by the pod's fsGroup, the engine's group.
                            { name: "tls", secret: { secretName: tlsSecret.metadata.name, defaultMode: 0o440 } },
                            // Scratch only: the service keeps its state in the control store.
                            { name: "home", emptyDir: {} },
                            { name: "tmp", emptyDir: {} },
                        ],
                    },
                },
            },
        }, parent);

        const service = new k8s.core.v1.Service(name, {
            metadata: { ...meta, name: serviceName },
            spec: {
                type: args.serviceType ?? "ClusterIP",
                selector,
                ports: [{ name: "https", port, targetPort: "https", protocol: "TCP" }],
            },
        }, parent);

        new k8s.policy.v1.PodDisruptionBudget(name, {
            metadata: meta,
            spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
        }, parent);

        this.serviceName = service.metadata.name;
        this.namespace = service.metadata.namespace;
        this.endpoint = pulumi.interpolate`https://${service.metadata.name}.${service.metadata.namespace}.svc:${port}`;
        this.registerOutputs({ endpoint: this.endpoint, serviceName: this.serviceName, namespace: this.namespace });
    }
}
