import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RateLimiter } from "../../provider/engine/throttle";

// A fake clock: the limiter is judged by how many units it lets through per simulated second.
describe("RateLimiter", () => {
    beforeEach(() => vi.useFakeTimers({ now: 0 }));
    afterEach(() => vi.useRealTimers());

    async function passedWithin(limiter: RateLimiter, batch: number, ms: number): Promise<number> {
        let passed = 0;
        let running = true;
        const loop = (async () => {
            while (running) {
                await limiter.take(batch);
                if (!running) break;
                passed += batch;
            }
        })();
        await vi.advanceTimersByTimeAsync(ms);
        running = false;
        await vi.advanceTimersByTimeAsync(10_000);
        await loop;
        return passed;
    }

    it("holds the average rate when batches are larger than the rate", async () => {
        // 150 units/s in batches of 1,000: about one batch every 6.7 s after the first second's burst.
        const n = await passedWithin(new RateLimiter(() => 150), 1000, 20_000);
        expect(n).toBeLessThanOrEqual(150 * 21 + 1000);
        expect(n).toBeGreaterThanOrEqual(2000);
    });

    it("holds the average rate for small batches", async () => {
        const n = await passedWithin(new RateLimiter(() => 1000), 10, 10_000);
        expect(n).toBeLessThanOrEqual(1000 * 11 + 10);
        expect(n).toBeGreaterThanOrEqual(1000 * 9);
    });

    it("is unlimited without a rate, and follows a rate changed while running", async () => {
        let rate: number | undefined;
        const limiter = new RateLimiter(() => rate);
        await limiter.take(1e9);
        rate = 100;
        const n = await passedWithin(limiter, 10, 10_000);
        expect(n).toBeLessThanOrEqual(100 * 11 + 10);
    });
});
