// Seeded randomness for the simulator. Everything random flows from here so that
// one seed reproduces a whole demo fleet (tests and screenshots stay stable).

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: 32 bits of state, fast, and good enough for visual noise (not crypto).
 * https://gist.github.com/tommyettinger/46a874533244883189143505d203312c
 */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * FNV-1a over the parts' text, so callers can derive independent sub-seeds
 * ("site 37.39,-5.98 / clouds") without the streams being correlated.
 */
export function hashSeed(...parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  const text = parts.join('\u001f');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Standard normal sample (Box–Muller); `1 - rng()` keeps log() away from 0. */
export function gaussian(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Standard normal stream that keeps Box–Muller's second sample: half the log/sqrt calls. */
export function createGaussian(rng: Rng): () => number {
  let spare = Number.NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const z = spare;
      spare = Number.NaN;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - rng()));
    const angle = 2 * Math.PI * rng();
    spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  };
}

export interface OrnsteinUhlenbeckOptions {
  rng: Rng;
  mean: number;
  /** Long-run standard deviation of the process. */
  stdDev: number;
  /** How long a deviation takes to decay to 1/e, in seconds. */
  timeConstantS: number;
}

export interface OrnsteinUhlenbeck {
  readonly value: number;
  /** Advance by dt seconds (any dt ≥ 0) and return the new value. */
  step(dtS: number): number;
}

/**
 * Mean-reverting smooth noise (clouds, gusts, load jitter). Uses the exact
 * discretisation, so 10 s and 60 s steps have the same statistics and a long gap
 * simply resamples from the stationary distribution.
 * https://en.wikipedia.org/wiki/Ornstein%E2%80%93Uhlenbeck_process#Formal_solution
 */
export function createOrnsteinUhlenbeck(opts: OrnsteinUhlenbeckOptions): OrnsteinUhlenbeck {
  const { rng, mean, stdDev, timeConstantS } = opts;
  // Start from the stationary distribution so there is no warm-up transient.
  const normal = createGaussian(rng);
  let x = mean + stdDev * normal();
  return {
    get value() {
      return x;
    },
    step(dtS: number): number {
      if (dtS <= 0) return x;
      const decay = Math.exp(-dtS / timeConstantS);
      x = mean + (x - mean) * decay + stdDev * Math.sqrt(1 - decay * decay) * normal();
      return x;
    },
  };
}
