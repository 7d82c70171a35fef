import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { giveTo, type RunAs, serverUser } from "./process-user";

/** A throw-away CA, a server certificate it signed, and an unrelated CA for negative tests. */
export interface TlsFiles {
    /** PEM text of the CA that signed the server certificate. */
    caPem: string;
    /** PEM text of a CA that signed nothing the servers use. */
    otherCaPem: string;
    /** Server certificate (signed by caPem), valid for 127.0.0.1 and localhost. */
    certFile: string;
    /** The server certificate's private key (mode 0600, owned by the server user). */
    keyFile: string;
    /** File holding caPem. */
    caFile: string;
    /**
     * A second server certificate signed by caPem that names only `misnamedHost` (no IP,
     * no localhost): a server using it fails tls.mode "verify-full" at 127.0.0.1.
     */
    misnamedCertFile: string;
    misnamedKeyFile: string;
    misnamedHost: string;
}

const misnamedHost = "db.example.test";

const opensslConfig = [
    "[req]",
    "distinguished_name = dn",
    "prompt = no",
    "[dn]",
    "CN = pulumi-dts test",
    "[v3_ca]",
    "basicConstraints = critical,CA:TRUE",
    "keyUsage = critical,keyCertSign,cRLSign",
    "subjectKeyIdentifier = hash",
    "[v3_server]",
    "basicConstraints = critical,CA:FALSE",
    "keyUsage = critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage = serverAuth",
    "subjectAltName = IP:127.0.0.1,DNS:localhost",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid",
    "[v3_misnamed]",
    "basicConstraints = critical,CA:FALSE",
    "keyUsage = critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage = serverAuth",
    `subjectAltName = DNS:${misnamedHost}`,
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid",
    "",
].join("\n");

function openssl(dir: string, args: string[]): void {
    try {
        execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    } catch (err) {
        const e = err as { stderr?: Buffer; message?: string };
        throw new Error(`openssl ${args.join(" ")} failed: ${e.stderr?.toString() ?? e.message}`);
    }
}

function makeCa(dir: string, cnf: string, name: string, cn: string): void {
    openssl(dir, [
        "req", "-x509", "-config", cnf, "-extensions", "v3_ca", "-newkey", "rsa:2048", "-nodes",
        "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.pem`), "-days", "2", "-subj", `/CN=${cn}`,
    ]);
}

/**
 * Generates the certificates with the `openssl` command-line tool into `dir` (which must
 * exist) and hands the directory and files to the server user, so MariaDB and PostgreSQL
 * (running as that user) can read them.
 */
export function makeTlsFiles(dir: string, runAs: RunAs = serverUser()): TlsFiles {
    const cnf = join(dir, "openssl.cnf");
    writeFileSync(cnf, opensslConfig);
    makeCa(dir, cnf, "ca", "pulumi-dts test CA");
    makeCa(dir, cnf, "other-ca", "pulumi-dts unrelated test CA");

    const caFile = join(dir, "ca.pem");
    const server = issueServerCert(dir, cnf, "server", "127.0.0.1", "v3_server");
    const misnamed = issueServerCert(dir, cnf, "misnamed", misnamedHost, "v3_misnamed");

    chmodSync(dir, 0o755);
    giveTo(runAs, dir, caFile, server.certFile, server.keyFile, misnamed.certFile, misnamed.keyFile);
    return {
        caPem: readFileSync(caFile, "utf8"),
        otherCaPem: readFileSync(join(dir, "other-ca.pem"), "utf8"),
        certFile: server.certFile,
        keyFile: server.keyFile,
        caFile,
        misnamedCertFile: misnamed.certFile,
        misnamedKeyFile: misnamed.keyFile,
        misnamedHost,
    };
}

/** A server certificate signed by the CA in `dir`, with the subjectAltName of config section `extensions`. */
function issueServerCert(dir: string, cnf: string, name: string, cn: string, extensions: string): { certFile: string; keyFile: string } {
    const keyFile = join(dir, `${name}.key`);
    const certFile = join(dir, `${name}.pem`);
    const csr = join(dir, `${name}.csr`);
    openssl(dir, ["req", "-new", "-config", cnf, "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", csr, "-subj", `/CN=${cn}`]);
    const serial = "0x" + execFileSync("openssl", ["rand", "-hex", "8"]).toString().trim();
    openssl(dir, [
        "x509", "-req", "-in", csr, "-CA", join(dir, "ca.pem"), "-CAkey", join(dir, "ca.key"), "-set_serial", serial,
        "-out", certFile, "-days", "2", "-extfile", cnf, "-extensions", extensions,
    ]);
    // PostgreSQL refuses a key readable by group/others.
    chmodSync(keyFile, 0o600);
    return { certFile, keyFile };
}
