import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repoRoot = resolve(__dirname, "..", "..", __dirname.includes(`${join("dist", "test")}`) ? ".." : "");

/** The bin directory holding pulumi, our language host and the dynamic-provider plugin. */
export function pulumiBin(): string {
    const out = execFileSync("bash", [join(repoRoot, "scripts", "ensure-pulumi.sh")], { stdio: ["ignore", "pipe", "inherit"] });
    return out.toString().trim().split("\n").pop()!;
}

/** A local file backend and Pulumi home in a temp dir: no service, no downloads. */
export interface PulumiEnv {
    home: string;
    env: NodeJS.ProcessEnv;
}

export function pulumiEnv(bin: string, passphrase = "pulumi-dts-test"): PulumiEnv {
    const home = mkdtempSync(join(tmpdir(), "dts-pulumi-"));
    mkdirSync(join(home, "state"));
    return {
        home,
        env: {
            ...process.env,
            PATH: `${bin}:${process.env.PATH}`,
            PULUMI_BACKEND_URL: `file://${join(home, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: passphrase,
            PULUMI_HOME: join(home, "home"),
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_SKIP_CONFIRMATIONS: "true",
            PULUMI_DTS_HOME: join(home, "dts"),
            NO_COLOR: "1",
        },
    };
}

export interface CliResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs the real Pulumi CLI in its own process. */
export function pulumi(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; echo?: boolean }): Promise<CliResult> {
    return new Promise((resolvePromise, reject) => {
        const child = spawn("pulumi", [...args, "--non-interactive", "--color", "never"], { cwd: opts.cwd, env: opts.env });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => { stdout += d; if (opts.echo) process.stdout.write(d); });
        child.stderr.on("data", (d: Buffer) => { stderr += d; if (opts.echo) process.stderr.write(d); });
        child.on("error", reject);
        child.on("close", (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    });
}

/** Writes a Pulumi TypeScript project that imports pulumi-dts the way a user's program does. */
export function writeProject(dir: string, name: string, program: string): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "Pulumi.yaml"), `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n`);
    writeFileSync(join(dir, "index.ts"), program);
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
        compilerOptions: { strict: true, target: "ES2022", module: "commonjs", moduleResolution: "node", esModuleInterop: true, skipLibCheck: true },
        files: ["index.ts"],
    }, null, 2));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, devDependencies: { typescript: "*" } }, null, 2));
}

export { repoRoot };
