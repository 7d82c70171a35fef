/**
 * EngineService (issue 10 §4) under Pulumi's unit-test mocks: the component runs in this
 * worker against a mock engine (pulumi.runtime.setMocks), so no CLI, cluster or
 * Kubernetes plugin is involved. The test reads what the component asks Kubernetes for:
 * the objects, their specs, and which values are sent as secrets.
 */
import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { EngineService as EngineServiceClass, EngineServiceArgs } from "../../sdk/engine-service";

/** How the mock monitor hands over a secret input: { [sigKey]: secretSig, value }. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

interface Registered { type: string; name: string; inputs: any; custom?: boolean }
const registered: Registered[] = [];

function isSecret(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}
/** The value with every secret wrapper taken off. */
function unwrap(v: any): any {
    if (isSecret(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
}

let EngineService: typeof EngineServiceClass;
let checkEngineServiceSecrets: typeof import("../../sdk/engine-service").checkEngineServiceSecrets;

beforeAll(async () => {
    await pulumi.runtime.setMocks({
        newResource(args) {
            registered.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom });
            const state = { ...args.inputs };
            if (args.type.startsWith("kubernetes:")) {
                // As the Kubernetes provider does: an auto-name when none is given, the default namespace.
                const metadata = { ...(unwrap(args.inputs.metadata) ?? {}) };
                metadata.name ??= `${args.name}-0a1b2c3d`;
                metadata.namespace ??= "default";
                state.metadata = metadata;
            }
            return { id: `${args.name}-id`, state };
        },
        call: (args) => args.inputs,
    }, "project", "stack", false);
    // The component module after the mocks, as Pulumi's testing guide has it.
    ({ EngineService, checkEngineServiceSecrets } = await import("../../sdk/engine-service"));
});

const controlStoreUrl = "postgres://dts:ctl-Pass-9f@control.db:5432/dts";
const masterKey = randomBytes(32).toString("hex");
const token = "dts_" + randomBytes(32).toString("base64url");
const tls = { cert: "-----BEGIN CERTIFICATE-----\nSERVER\n-----END CERTIFICATE-----\n", key: "-----BEGIN PRIVATE KEY-----\nKEY-Secret-7\n-----END PRIVATE KEY-----\n" };
const clientCa = "-----BEGIN CERTIFICATE-----\nCLIENT-CA\n-----END CERTIFICATE-----\n";

function baseArgs(over: Partial<EngineServiceArgs> = {}): EngineServiceArgs {
    return {
        image: "registry.example.com/pulumi-dts:0.1.0",
        controlStoreUrl: pulumi.secret(controlStoreUrl),
        masterKey: pulumi.secret(masterKey),
        token: pulumi.secret(token),
        tls,
        ...over,
    };
}

function value<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => { resolve(v); return v; }));
}

/** The component and its five children, once all are registered with the mock engine. */
async function deploy(name: string, over: Partial<EngineServiceArgs> = {}) {
    const component = new EngineService(name, baseArgs(over));
    const mine = () => registered.filter((r) => r.name === name || r.name.startsWith(`${name}-`));
    const endpoint = await value(component.endpoint);
    for (let i = 0; i < 200 && mine().length < 6; i++) await new Promise((r) => setTimeout(r, 5));
    const rs = mine();
    const one = (type: string) => {
        const found = rs.filter((r) => r.type === type);
        expect(found, type).toHaveLength(1);
        return found[0];
    };
    const secrets = rs.filter((r) => r.type === "kubernetes:core/v1:Secret");
    return {
        component,
        endpoint,
        resources: rs,
        deployment: one("kubernetes:apps/v1:Deployment"),
        service: one("kubernetes:core/v1:Service"),
        pdb: one("kubernetes:policy/v1:PodDisruptionBudget"),
        secret: secrets.find((s) => s.name === `${name}-secrets`)!,
        tlsSecret: secrets.find((s) => s.name === `${name}-tls`)!,
    };
}

const podSpec = (d: Registered) => unwrap(d.inputs).spec.template.spec;
const container = (d: Registered) => podSpec(d).containers[0];

describe("EngineService", () => {
    it("makes a Secret, a TLS Secret, a Deployment, a Service and a PodDisruptionBudget under one component", async () => {
        const r = await deploy("engine-a");
        expect(r.resources.map((x) => x.type).sort()).toEqual([
            "kubernetes:apps/v1:Deployment",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:Service",
            "kubernetes:policy/v1:PodDisruptionBudget",
            "pulumi-dts:index:EngineService",
        ]);
        expect(r.secret.inputs.type).toBe("Opaque");
        expect(r.tlsSecret.inputs.type).toBe("kubernetes.io/tls");
        expect(await value(r.component.serviceName)).toBe("engine-a");
        expect(r.endpoint).toBe("https://engine-a.default.svc:7443");
    });

    it("runs 3 replicas by default, rolling one new replica in before an old one goes", async () => {
        const { deployment } = await deploy("engine-b");
        const spec = unwrap(deployment.inputs).spec;
        expect(spec.replicas).toBe(3);
        expect(spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
        expect(spec.selector.matchLabels).toEqual(expect.objectContaining({ "app.kubernetes.io/instance": "engine-b" }));
        const { deployment: five } = await deploy("engine-b5", { replicas: 5 });
        expect(unwrap(five.inputs).spec.replicas).toBe(5);
    });

    it("probes /readyz for readiness and /healthz for liveness over HTTPS on the service port", async () => {
        const { deployment } = await deploy("engine-c");
        const c = container(deployment);
        expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "https", scheme: "HTTPS" });
        expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "https", scheme: "HTTPS" });
        expect(c.startupProbe.httpGet).toEqual({ path: "/healthz", port: "https", scheme: "HTTPS" });
        expect(c.ports).toEqual([{ name: "https", containerPort: 7443, protocol: "TCP" }]);
        expect(c.image).toBe("registry.example.com/pulumi-dts:0.1.0");
        expect(c.args).toEqual(["--listen", "0.0.0.0:7443", "--tls-cert", "/etc/pulumi-dts/tls/tls.crt", "--tls-key", "/etc/pulumi-dts/tls/tls.key"]);
    });

    it("gives a replica at least drainSeconds, and never less than 20 s, to hand its tasks off", async () => {
        expect(podSpec((await deploy("engine-d")).deployment).terminationGracePeriodSeconds).toBe(30);
        expect(podSpec((await deploy("engine-d5", { drainSeconds: 5 })).deployment).terminationGracePeriodSeconds).toBe(20);
        expect(podSpec((await deploy("engine-d90", { drainSeconds: 90 })).deployment).terminationGracePeriodSeconds).toBe(90);
        for (const drain of [0, 5, 20, 21, 45]) {
            const grace = podSpec((await deploy(`engine-dd${drain}`, { drainSeconds: drain })).deployment).terminationGracePeriodSeconds;
            expect(grace).toBeGreaterThanOrEqual(drain);
            expect(grace).toBeGreaterThanOrEqual(20);
        }
    });

    it("lets at most one replica be disrupted at a time", async () => {
        const { pdb, deployment } = await deploy("engine-e");
        const spec = unwrap(pdb.inputs).spec;
        expect(spec.maxUnavailable).toBe(1);
        expect(spec.selector.matchLabels).toEqual(unwrap(deployment.inputs).spec.selector.matchLabels);
    });

    it("keeps the secrets in Secrets sent as secrets, and hands them to the pods by secretKeyRef only", async () => {
        const { secret, tlsSecret, deployment } = await deploy("engine-f");
        expect(isSecret(secret.inputs.stringData)).toBe(true);
        expect(unwrap(secret.inputs.stringData)).toEqual({ "control-url": controlStoreUrl, "master-key": masterKey, "bootstrap-token": token });
        expect(isSecret(tlsSecret.inputs.stringData)).toBe(true);

        const c = container(deployment);
        const env = new Map<string, any>(c.env.map((e: any) => [e.name, e]));
        const secretName = `engine-f-secrets-0a1b2c3d`; // the mock's auto-name of the Secret
        expect(env.get("PULUMI_DTS_CONTROL_URL")).toEqual({ name: "PULUMI_DTS_CONTROL_URL", valueFrom: { secretKeyRef: { name: secretName, key: "control-url" } } });
        expect(env.get("PULUMI_DTS_MASTER_KEY")).toEqual({ name: "PULUMI_DTS_MASTER_KEY", valueFrom: { secretKeyRef: { name: secretName, key: "master-key" } } });
        expect(env.get("PULUMI_DTS_BOOTSTRAP_TOKEN")).toEqual({ name: "PULUMI_DTS_BOOTSTRAP_TOKEN", valueFrom: { secretKeyRef: { name: secretName, key: "bootstrap-token" } } });
        expect(env.get("PULUMI_DTS_HOME")).toEqual({ name: "PULUMI_DTS_HOME", value: "/var/lib/pulumi-dts" });
        expect(env.has("PULUMI_DTS_CAPACITY")).toBe(false); // the engine's default
        for (const e of c.env) if ("value" in e) expect(e.value, e.name).not.toMatch(/dts_|postgres:|ctl-Pass|KEY-Secret/);
        // No secret value anywhere in the Deployment, nor in the Service or the PDB.
        const text = JSON.stringify(unwrap(deployment.inputs));
        for (const s of [controlStoreUrl, masterKey, token, "KEY-Secret-7"]) expect(text).not.toContain(s);
    });

    it("mounts the TLS Secret read-only, the home as an emptyDir, and runs as non-root on a read-only root", async () => {
        const { deployment, tlsSecret } = await deploy("engine-g");
        const spec = podSpec(deployment);
        const c = spec.containers[0];
        expect(unwrap(tlsSecret.inputs.stringData)).toEqual({ "tls.crt": tls.cert, "tls.key": tls.key });
        const volumes = new Map<string, any>(spec.volumes.map((v: any) => [v.name, v]));
        expect(volumes.get("tls").secret.secretName).toBe("engine-g-tls-0a1b2c3d");
        expect(volumes.get("home")).toEqual({ name: "home", emptyDir: {} });
        const mounts = new Map<string, any>(c.volumeMounts.map((m: any) => [m.name, m]));
        expect(mounts.get("tls")).toEqual({ name: "tls", mountPath: "/etc/pulumi-dts/tls", readOnly: true });
        expect(mounts.get("home").mountPath).toBe("/var/lib/pulumi-dts");
        expect(spec.securityContext.runAsNonRoot).toBe(true);
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    });

    it("with a client CA: ca.crt in the TLS Secret and --client-ca on the command line (mTLS)", async () => {
        const { deployment, tlsSecret } = await deploy("engine-h", { tls: { ...tls, clientCa } });
        expect(unwrap(tlsSecret.inputs.stringData)).toEqual({ "tls.crt": tls.cert, "tls.key": tls.key, "ca.crt": clientCa });
        const args = container(deployment).args as string[];
        expect(args.slice(args.indexOf("--client-ca"), args.indexOf("--client-ca") + 2)).toEqual(["--client-ca", "/etc/pulumi-dts/tls/ca.crt"]);
        // Without one, neither.
        const plain = await deploy("engine-h0");
        expect(container(plain.deployment).args).not.toContain("--client-ca");
        expect(unwrap(plain.tlsSecret.inputs.stringData)).not.toHaveProperty("ca.crt");
    });

    it("takes namespace, port, service type, capacity and resources", async () => {
        const r = await deploy("engine-i", {
            namespace: "dts", port: 8443, serviceType: "LoadBalancer", capacityPerReplica: 20,
            resources: { requests: { cpu: "500m", memory: "512Mi" } },
        });
        expect(r.endpoint).toBe("https://engine-i.dts.svc:8443");
        for (const x of r.resources.filter((x) => x.custom)) expect(unwrap(x.inputs).metadata.namespace, x.type).toBe("dts");
        const svc = unwrap(r.service.inputs).spec;
        expect(svc.type).toBe("LoadBalancer");
        expect(svc.ports).toEqual([{ name: "https", port: 8443, targetPort: "https", protocol: "TCP" }]);
        const c = container(r.deployment);
        expect(c.args.slice(0, 2)).toEqual(["--listen", "0.0.0.0:8443"]);
        expect(c.ports[0].containerPort).toBe(8443);
        expect(c.env).toContainEqual({ name: "PULUMI_DTS_CAPACITY", value: "20" });
        expect(c.resources).toEqual({ requests: { cpu: "500m", memory: "512Mi" } });
        expect(unwrap((await deploy("engine-j")).service.inputs).spec.type).toBe("ClusterIP");
    });

    it("refuses bad arguments with an error that names the field", () => {
        const bad = (over: Partial<EngineServiceArgs>, name = "bad") => () => new EngineService(name, baseArgs(over));
        expect(bad({ replicas: 0 })).toThrow(/EngineService bad: replicas must be a whole number ≥ 1, not 0/);
        expect(bad({ replicas: 1.5 })).toThrow(/replicas must be a whole number/);
        expect(bad({ replicas: "3" as unknown as number })).toThrow(/replicas must be a whole number/);
        expect(bad({ image: "" })).toThrow(/EngineService bad: image is required/);
        expect(bad({ image: "  " })).toThrow(/image is required/);
        expect(bad({ image: undefined as unknown as string })).toThrow(/image is required/);
        expect(bad({ port: 70000 })).toThrow(/port must be a whole number from 1 to 65535/);
        expect(bad({ drainSeconds: -1 })).toThrow(/drainSeconds must be a whole number ≥ 0/);
        expect(bad({ capacityPerReplica: 0 })).toThrow(/capacityPerReplica must be a whole number ≥ 1/);
        expect(bad({ tls: { cert: tls.cert } as EngineServiceArgs["tls"] })).toThrow(/tls\.key is required/);
        expect(bad({ tls: undefined as unknown as EngineServiceArgs["tls"] })).toThrow(/tls is required/);
        expect(bad({ controlStoreUrl: undefined as unknown as string })).toThrow(/controlStoreUrl is required/);
        expect(bad({ controlStoreUrl: "mysql://u:p@h/db" })).toThrow(/controlStoreUrl must be a PostgreSQL URL/);
        expect(bad({ masterKey: "abcd" })).toThrow(/masterKey: the master key must be 32 bytes/);
        expect(bad({ serviceType: "ExternalName" as never })).toThrow(/serviceType must be ClusterIP, NodePort or LoadBalancer/);
        expect(bad({}, "Engine_Prod")).toThrow(/default serviceName\) must be a DNS label.*set serviceName/);
        expect(bad({ serviceName: "engine-prod" }, "Engine_Prod")).not.toThrow();
        // A malformed token is refused without being echoed.
        const wrongToken = "dts_tooShort-Secret";
        let message = "";
        try { bad({ token: wrongToken })(); } catch (e) { message = (e as Error).message; }
        expect(message).toMatch(/token must be "dts_" and 43 base64url characters, not a 19-character string/);
        expect(message).not.toContain(wrongToken);
    });

    it("checks secrets given as Outputs by the same rules once their values are known", () => {
        // The component runs this inside the Secret's apply (an Output's value is not known at
        // construction); a refusal there fails the deployment with the same message.
        const check = (v: Parameters<typeof checkEngineServiceSecrets>[1]) => () => checkEngineServiceSecrets("e", v);
        expect(check({ controlStoreUrl, masterKey, token })).not.toThrow();
        expect(check({ masterKey: Buffer.from(masterKey, "hex").toString("base64") })).not.toThrow();
        expect(check({ token: "dts_x" })).toThrow(/EngineService e: token must be "dts_" and 43 base64url characters/);
        expect(check({ masterKey: "" })).toThrow(/masterKey is required/);
        expect(check({ controlStoreUrl: "https://db" })).toThrow(/controlStoreUrl must be a PostgreSQL URL/);
        let message = "";
        try { check({ controlStoreUrl: "mysql://u:pw-Secret@h/db" })(); } catch (e) { message = (e as Error).message; }
        expect(message).not.toContain("pw-Secret");
    });
});
