#!/usr/bin/env node
// Installs the freshly built package into this repo's node_modules/pulumi-dts, as
// `npm install pulumi-dts` would for a user. Programs in examples/ and in tests then
// import "pulumi-dts" exactly as users do, and Pulumi's closure serialiser records the
// provider as require("pulumi-dts/..."), which only happens for code under node_modules.
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const target = path.join(root, "node_modules", pkg.name);

fs.rmSync(target, { recursive: true, force: true });
fs.mkdirSync(target, { recursive: true });
for (const entry of pkg.files) {
    const from = path.join(root, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(target, entry), { recursive: true });
}
fs.copyFileSync(path.join(root, "package.json"), path.join(target, "package.json"));
