import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        globalSetup: ["test/harness/global-setup.ts"],
        reporters: ["default", "./test/harness/summary-reporter.ts"],
        pool: "forks",
        maxWorkers: 2,
        testTimeout: 120_000,
        hookTimeout: 300_000,
    },
});
