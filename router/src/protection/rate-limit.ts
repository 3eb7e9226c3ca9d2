import type http from 'node:http';
import { isIP } from 'node:net';
import { ErrorCode } from '@storefront/api-conventions';
import { type HttpRefusal, type IncomingRequest } from '@storefront/http-host';
import type { RedisConnection } from '../cache/redis.ts';

export interface RateLimits {
  /** Requests an anonymous caller may send per window, counted by client IP; 0 turns the limit off. */
  perIp: number;
  /** Requests a signed-in user may send per window, wherever from; 0 turns the limit off. */
  perUser: number;
  windowMs: number;
  /**
   * Proxies in front of the router that append to X-Forwarded-For (a load balancer: 1). With 0 the socket's
   * address is the client; otherwise the address that many entries from the right, which no client can forge.
   */
  trustedProxyHops: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Until the window's counter expires. */
  resetMs: number;
}

/*
 * One counter per caller and window, in Redis so every router replica shares it. The window opens at the
 * caller's first request and lasts `windowMs` (INCR, then PEXPIRE on the first hit, in one script so a crash
 * between them cannot leave a counter that never expires).
 */
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
`;

/** The counters' name in the router's Redis stats (errors there mean requests counted in this process only). */
const STATS_NAME = 'rateLimit';

/**
 * This replica's own fixed-window counters, used while Redis does not answer: limits then hold per replica (a
 * caller may get up to replicas × the limit) instead of vanishing, and nothing waits for Redis. Bounded: windows
 * open in time order and all last as long, so the oldest (first in the Map) expire first and are dropped first.
 */
export class LocalRateWindows {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly maxSubjects = 100_000) {}

  hit(key: string, windowMs: number, now = Date.now()): { count: number; ttl: number } {
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      this.windows.delete(key);
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
      this.prune(now);
    }
    window.count += 1;
    return { count: window.count, ttl: window.resetAt - now };
  }

  get size(): number {
    return this.windows.size;
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.resetAt > now && this.windows.size <= this.maxSubjects) break;
      this.windows.delete(key);
    }
  }
}

/**
 * Limits requests per signed-in user, or per client IP for anonymous ones: a user's requests count against
 * the user only, so customers behind one office or mobile-carrier address do not share a budget, while
 * anonymous traffic (including sign-in attempts) is bounded per address. Never waits on Redis past its
 * deadline: while Redis is down, slow or frozen, requests are counted in this process instead
 * (LocalRateWindows), so the limits loosen to per replica rather than holding requests or switching off.
 */
export class RateLimiter {
  private readonly local: LocalRateWindows;

  constructor(
    private readonly redis: RedisConnection,
    private readonly limits: RateLimits,
    local?: LocalRateWindows,
  ) {
    this.local = local ?? new LocalRateWindows();
  }

  /** Counts one request of `subject` and says whether it is within the limit. */
  async hit(subject: { kind: 'ip' | 'user'; id: string }): Promise<RateDecision> {
    const limit = subject.kind === 'user' ? this.limits.perUser : this.limits.perIp;
    if (!limit) return { allowed: true, limit, resetMs: 0 };
    const key = this.redis.key('ratelimit', subject.kind, subject.id);
    const reply = await this.redis.run(STATS_NAME, (client) => client.eval(HIT, { keys: [key], arguments: [String(this.limits.windowMs)] }));
    const { count, ttl } = Array.isArray(reply) ? { count: Number(reply[0] ?? 0), ttl: Number(reply[1] ?? this.limits.windowMs) } : this.local.hit(key, this.limits.windowMs);
    return { allowed: count <= limit, limit, resetMs: Math.max(0, ttl) };
  }

  /** The HTTP host's `admit` hook: 429 RATE_LIMITED with Retry-After once the caller's budget is spent. */
  readonly admit = async (request: IncomingRequest, req: http.IncomingMessage): Promise<HttpRefusal | undefined> => {
    const subject = request.viewer
      ? ({ kind: 'user', id: request.viewer.userId } as const)
      : ({ kind: 'ip', id: clientIp(req, this.limits.trustedProxyHops) } as const);
    const decision = await this.hit(subject);
    if (decision.allowed) return undefined;
    const seconds = Math.max(1, Math.ceil(decision.resetMs / 1_000));
    return {
      status: 429,
      code: ErrorCode.RATE_LIMITED,
      message: `Too many requests from this ${subject.kind === 'user' ? 'user' : 'address'}: at most ${decision.limit} per ${this.limits.windowMs / 1_000} s; retry in ${seconds} s`,
      headers: { 'retry-after': String(seconds), 'ratelimit-limit': String(decision.limit), 'ratelimit-remaining': '0' },
    };
  };
}

/** The caller's address: the socket's, or the one the trusted proxies recorded in X-Forwarded-For. */
export function clientIp(req: { headers: http.IncomingHttpHeaders; socket: { remoteAddress?: string | undefined } }, trustedProxyHops: number): string {
  const socketAddress = normalize(req.socket.remoteAddress ?? 'unknown');
  if (trustedProxyHops <= 0) return socketAddress;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  // The last proxy appends whoever connected to it; entries further left are whatever the client sent.
  const candidate = forwarded[forwarded.length - trustedProxyHops] ?? forwarded[0];
  return candidate && isIP(normalize(candidate)) ? normalize(candidate) : socketAddress;
}

function normalize(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
