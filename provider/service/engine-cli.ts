#!/usr/bin/env node
/**
 * `pulumi-dts-engine serve [flags]`: the engine service's own command, for images and
 * process supervisors (the same as `pulumi-dts engine serve`; docs/engine-service.md).
 */
import { serveMain } from "./serve";

const [command, ...rest] = process.argv.slice(2);
if (command !== "serve") {
    console.error("usage: pulumi-dts-engine serve [--listen host:port] [--tls-cert FILE --tls-key FILE [--client-ca FILE]] [--capacity N] [--lease-ttl S] [--master-key-file FILE] [--home DIR]\n" +
        "  environment: PULUMI_DTS_CONTROL_URL (required), PULUMI_DTS_MASTER_KEY, PULUMI_DTS_BOOTSTRAP_TOKEN; see docs/engine-service.md");
    process.exit(2);
}
void serveMain(rest);
