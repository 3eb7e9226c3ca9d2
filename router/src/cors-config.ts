import { ANY_ORIGIN, isSerializedOrigin, type CorsOptions } from '@storefront/http-host';
import { z } from 'zod';

/**
 * Where browsers may call the router from outside development: nowhere unless listed. In development and
 * tests: the usual local frontends (Vite on 5173, the router's own port) and Apollo's hosted Sandbox.
 */
export const DEVELOPMENT_CORS_ORIGINS: readonly string[] = [
  'http://localhost:5173',
  'http://localhost:4000',
  'https://studio.apollographql.com',
  'https://sandbox.apollo.dev',
];

export function defaultCorsOrigins(nodeEnv: 'development' | 'test' | 'production'): readonly string[] {
  return nodeEnv === 'production' ? [] : DEVELOPMENT_CORS_ORIGINS;
}

/**
 * CORS_ORIGINS: comma-separated origins (`https://shop.example.com`, no path or trailing slash), or `*` for
 * any origin without credentials. Unset: the default for NODE_ENV; set but empty: no cross-origin calls.
 */
export const corsEnv = {
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((value) => value?.split(',').map((origin) => origin.trim()).filter(Boolean))
    .superRefine((origins, ctx) => {
      for (const origin of origins ?? []) {
        if (origin !== ANY_ORIGIN && !isSerializedOrigin(origin)) {
          ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin: give scheme, host and port only, e.g. https://shop.example.com` });
        }
      }
    }),
};

type ParsedCorsEnv = z.output<z.ZodObject<typeof corsEnv>> & { NODE_ENV: 'development' | 'test' | 'production' };

export function corsConfigFrom(parsed: ParsedCorsEnv): CorsOptions {
  return { allowedOrigins: parsed.CORS_ORIGINS ?? defaultCorsOrigins(parsed.NODE_ENV) };
}
