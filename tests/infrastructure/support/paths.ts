import path from 'node:path';
import { REPO_ROOT } from '@storefront/config';

export const INFRASTRUCTURE = path.join(REPO_ROOT, 'infrastructure');
export const OVERLAYS = ['dev', 'production'] as const;
export const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');
export const MIGRATION_JOB = 'storefront-migrate';
