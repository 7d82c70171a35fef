import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
// EngineService needs @pulumi/kubernetes, an optional peer dependency of pulumi-dts, so it
// is imported by its path rather than from "pulumi-dts".
import { EngineService, type EngineServiceType } from "pulumi-dts/dist/sdk/engine-service";

// The pulumi-dts engine service in its own namespace of the cluster that the Kubernetes
// provider is configured for (kubeconfig's current context by default). README.md lists
// the config keys and how to make the image, the certificate, the token and the master key.
const cfg = new pulumi.Config();

const namespace = new k8s.core.v1.Namespace("pulumi-dts", {
    metadata: { name: cfg.get("namespace") ?? "pulumi-dts" },
});

const engine = new EngineService("engine", {
    namespace: namespace.metadata.name,
    image: cfg.require("image"),
    replicas: cfg.getNumber("replicas"),
    // The control store: a PostgreSQL database the replicas share (tasks, leases, tokens).
    controlStoreUrl: cfg.requireSecret("controlStoreUrl"),
    masterKey: cfg.requireSecret("masterKey"),
    // Programs that use the service are given the same token (pulumi-dts:token).
    token: cfg.requireSecret("token"),
    tls: {
        cert: cfg.require("tlsCert"),
        key: cfg.requireSecret("tlsKey"),
        // Set, the service requires client certificates signed by it (mTLS).
        clientCa: cfg.get("clientCa"),
    },
    capacityPerReplica: cfg.getNumber("capacityPerReplica"),
    serviceType: cfg.get("serviceType") as EngineServiceType | undefined,
});

/** What `pulumi config set pulumi-dts:endpoint` takes in a program that runs in the cluster. */
export const endpoint = engine.endpoint;
export const serviceName = engine.serviceName;
export const engineNamespace = engine.namespace;
