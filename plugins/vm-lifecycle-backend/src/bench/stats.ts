/** Order statistics for the benchmark figures. */
export interface Summary {
  count: number;
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
  mean?: number;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; undefined for no values. */
export function percentile(
  values: readonly number[],
  p: number,
): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[
      Math.min(
        sorted.length,
        Math.max(1, Math.ceil((p / 100) * sorted.length)),
      ) - 1
    ];
  return {
    count: sorted.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted[sorted.length - 1],
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
  };
}

/** CPU and memory of the current process since `start` (CPU) and over its whole life (peak RSS). */
export interface ProcessFigures {
  /** Kernel high-water mark of the resident set (`process.resourceUsage().maxRSS`), MB (10^6 bytes). */
  peakRssMB: number;
  /** Largest RSS seen by the 250 ms sampler during the measured run, MB. */
  sampledPeakRssMB: number;
  /** RSS when the measured run started (modules loaded, nothing done yet), MB. */
  baselineRssMB: number;
  cpuSeconds: number;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
}

/** Samples RSS while a run is measured; `stop()` returns the figures of this process. */
export function startProcessSampler(intervalMs = 250): {
  stop(): ProcessFigures;
} {
  const cpuStart = process.cpuUsage();
  const baseline = process.memoryUsage.rss();
  let sampled = baseline;
  const timer = setInterval(() => {
    sampled = Math.max(sampled, process.memoryUsage.rss());
  }, intervalMs);
  timer.unref?.();
  return {
    stop() {
      clearInterval(timer);
      sampled = Math.max(sampled, process.memoryUsage.rss());
      const cpu = process.cpuUsage(cpuStart);
      return {
        peakRssMB: round1((process.resourceUsage().maxRSS * 1024) / 1e6),
        sampledPeakRssMB: round1(sampled / 1e6),
        baselineRssMB: round1(baseline / 1e6),
        cpuSeconds: round2((cpu.user + cpu.system) / 1e6),
        cpuUserSeconds: round2(cpu.user / 1e6),
        cpuSystemSeconds: round2(cpu.system / 1e6),
      };
    },
  };
}

export function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

export function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
