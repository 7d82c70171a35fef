/**
 * A token bucket per limit (rows/s, bytes/s, queries/s). Limits can change while a task
 * runs (pulumi up with new throttling), so each take() reads the current rate.
 */
export class RateLimiter {
    private tokens: number;
    private last = Date.now();

    constructor(private rate: () => number | undefined) {
        this.tokens = rate() ?? 0;
    }

    /** Waits until `amount` units may pass. Unlimited when the rate is undefined. */
    async take(amount: number): Promise<void> {
        for (;;) {
            const rate = this.rate();
            if (rate === undefined || rate <= 0) return;
            const now = Date.now();
            // At most one second of burst, so a long pause does not buy a flood.
            this.tokens = Math.min(rate, this.tokens + ((now - this.last) / 1000) * rate);
            this.last = now;
            if (this.tokens >= amount || (this.tokens >= rate && amount > rate)) {
                this.tokens -= amount;
                return;
            }
            const wait = ((Math.min(amount, rate) - this.tokens) / rate) * 1000;
            await new Promise((r) => setTimeout(r, Math.max(5, Math.min(wait, 1000))));
        }
    }
}
