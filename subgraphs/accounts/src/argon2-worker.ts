import { argon2OnThisThread, type Argon2Input } from './argon2.ts';
import { serveTasks } from './worker-pool.ts';

// What a password worker thread does (password-hashing.ts starts them): argon2id runs, one at a time.
serveTasks<Argon2Input, Uint8Array>(argon2OnThisThread);
