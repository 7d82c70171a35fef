/**
 * A token bucket per limit (rows/s, bytes/s, queries/s). Limits can change while a task
 * runs (pulumi up with new throttling), so each take() reads the current rate. A take
 * larger than the bucket goes into debt and waits it off, so the average rate holds even
 * when one read batch is larger than a second's allowance.
 */
export class RateLimiter {
    private tokens: number;
    private last = Date.now();

    constructor(private rate: () => number | undefined) {
        this.tokens = rate() ?? 0;
    }

    /** Waits until `amount` units may pass. Unlimited when the rate is undefined. Returns early once `stopped()` is true. */
    async take(amount: number, stopped: () => boolean = () => false): Promise<void> {
        const rate = this.rate();
        if (rate === undefined || rate <= 0) return;
        const now = Date.now();
        // At most one second of burst, so a long pause does not buy a flood.
        this.tokens = Math.min(rate, this.tokens + ((now - this.last) / 1000) * rate);
        this.last = now;
        this.tokens -= amount;
        while (this.tokens < 0 && !stopped()) {
            const current = this.rate();
            if (current === undefined || current <= 0) {
                this.tokens = 0;
                return;
            }
            await new Promise((r) => setTimeout(r, Math.min(500, Math.ceil((-this.tokens / current) * 1000))));
            const t = Date.now();
            this.tokens += ((t - this.last) / 1000) * current;
            this.last = t;
        }
    }
}
